"""Building outgoing mail, without servers: the security invariants as properties."""

from __future__ import annotations

from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from servers.email_mcp import compose
from servers.email_mcp.parse import parse_message
from shared.errors import InvalidInput
from tests.support.clock import FakeClock

BASE: dict[str, Any] = {
    "from": "ops@example.test",
    "to": ["client@example.test"],
    "cc": [],
    "subject": "Re: hi",
    "body": "Hello",
    "in_reply_to": "<q@x>",
    "references": ["<q@x>"],
    "message_id": "<m@example.test>",
}
HEADERS = {
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "in-reply-to",
    "references",
    "x-mailer",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
}
NOW = FakeClock()()
LINE_ENDS = ["\r", "\n", "\r\n", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029", "\0"]


def _headers(params: dict[str, Any]) -> tuple[set[str], Any]:
    raw = compose.build_message(params, NOW).as_bytes()
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    return {k.lower() for k in parsed.keys()}, parsed


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    field=st.sampled_from(
        ["subject", "in_reply_to", "message_id", "to", "cc", "from", "references", "body"]
    ),
    value=st.text(max_size=120),
)
@example(field="message_id", value="<[>")  # crashed Python's header parser (IndexError)
@example(field="in_reply_to", value="<[>")
@example(field="references", value="<[>")
def test_no_value_can_add_a_header(field: str, value: str) -> None:
    """Whatever text lands in a header field, the message has exactly our headers, or
    building it fails with a clear InvalidInput (never another exception)."""
    params = dict(BASE)
    params[field] = [value] if field in ("to", "cc", "references") else value
    try:
        names, parsed = _headers(params)
    except InvalidInput:
        return
    expected = HEADERS | ({"cc"} if field == "cc" and value.strip() else set())
    assert names == expected - ({"in-reply-to"} if params["in_reply_to"] == "" else set())
    if field == "body":  # the text survives; line ends may be normalised
        assert "".join(parsed.get_content().split()) == "".join(value.split())
    assert parsed["To"].addresses[0].addr_spec == (value if field == "to" else BASE["to"][0])


@pytest.mark.parametrize("end", LINE_ENDS, ids=[repr(e) for e in LINE_ENDS])
@pytest.mark.parametrize("field", ["subject", "in_reply_to", "message_id"])
def test_line_ends_in_headers_are_refused(field: str, end: str) -> None:
    with pytest.raises(InvalidInput, match="line break"):
        compose.build_message(BASE | {field: f"hi{end}Bcc: evil@example.test"}, NOW)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"to": ["no-at-sign"]}, "not a valid email address"),
        ({"to": ["a@b"]}, "not a valid email address"),
        ({"to": ["a b@example.test"]}, "not a valid email address"),
        ({"to": []}, "needs at least one recipient"),
        ({"to": [f"u{n}@example.test" for n in range(51)]}, "at most 50"),
        ({"cc": [", ".join(f"u{n}@x.io" for n in range(60))]}, "at most 50"),
        ({"cc": [", ".join(f"user{n}@example.test" for n in range(60))]}, "longer than 998"),
        ({"from": "ops@example.test, evil@example.test"}, "exactly one address"),
        ({"from": ""}, "exactly one address"),
        ({"body": "x" * (compose.MAX_BODY_CHARS + 1)}, "at most"),
        ({"subject": "x" * 999}, "longer than 998"),
    ],
)
def test_bad_fields(change: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        compose.build_message(BASE | change, NOW)


def test_duplicate_recipients_collapse() -> None:
    _, parsed = _headers(BASE | {"to": ["A <client@example.test>", "client@example.test"]})
    assert [a.addr_spec for a in parsed["To"].addresses] == ["client@example.test"]


def _original(**overrides: Any) -> Any:
    raw = (
        b"From: Alice <client@example.test>\r\nTo: ops@example.test, bob@example.test\r\n"
        b"Cc: carol@example.test, OPS@example.test\r\nSubject: Invoice\r\n"
        b"Message-ID: <q2@x>\r\nReferences: <q0@x> <q1@x>\r\nIn-Reply-To: <q1@x>\r\n\r\nHi\r\n"
    )
    mail = parse_message(raw, 1, "INBOX")
    return mail.model_copy(update=overrides)


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Invoice", "Re: Invoice"),
        ("Re: Invoice", "Re: Invoice"),
        ("RE:Invoice", "RE:Invoice"),
        ("AW: Rechnung", "AW: Rechnung"),
        ("", "Re:"),
        ("a\r\n b\x01c\u2028d", "Re: a b c d"),
    ],
)
def test_reply_subject_gets_re_once(subject: str, expected: str) -> None:
    headers = compose.reply_headers(_original(subject=subject), "ops@example.test", False)
    assert headers["subject"] == expected
    compose.check_header("subject", headers["subject"])


def test_reply_threading_and_reply_all() -> None:
    one = compose.reply_headers(_original(), "ops@example.test", reply_all=False)
    assert one["to"] == ["client@example.test"] and one["cc"] == []
    assert one["in_reply_to"] == "<q2@x>"
    assert one["references"] == ["<q0@x>", "<q1@x>", "<q2@x>"]
    everyone = compose.reply_headers(_original(), "ops@example.test", reply_all=True)
    assert everyone["cc"] == ["bob@example.test", "carol@example.test"]  # not me, any case
    replied = compose.reply_headers(
        _original(reply_to=["List <list@example.test>"]), "ops@example.test", False
    )
    assert replied["to"] == ["list@example.test"]


def test_references_are_capped() -> None:
    refs = [f"<r{n}@x>" for n in range(100)]
    headers = compose.reply_headers(_original(references=refs), "ops@example.test", False)
    assert len(headers["references"]) == 20 and headers["references"][-1] == "<q2@x>"


def test_quote_marks_every_line() -> None:
    quoted = compose.quote(_original(text="line one\n\nline three"))
    assert quoted.splitlines()[1:] == ["> line one", ">", "> line three"]


def test_the_date_header_comes_from_the_injected_clock() -> None:
    moment = datetime(2031, 2, 3, 4, 5, 6, tzinfo=UTC)
    parsed = BytesParser(policy=policy.default).parsebytes(
        compose.build_message(dict(BASE), moment).as_bytes()
    )
    assert parsedate_to_datetime(str(parsed["Date"])) == moment
