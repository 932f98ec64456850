"""Parsing raw mail and the built-in drafter, without servers."""

from __future__ import annotations

import pytest

from servers.email_mcp.drafter import draft_reply_text
from servers.email_mcp.handbook import Handbook
from servers.email_mcp.parse import parse_message


def _mail(sender: str = "Alice Client <client@example.test>", subject: str = "Hello", text=""):
    raw = (
        f"From: {sender}\r\nTo: ops@example.test\r\nSubject: {subject}\r\n"
        f"Message-ID: <d@x>\r\n\r\n{text}\r\n"
    ).encode()
    return parse_message(raw, 7, "INBOX")


def test_rfc2047_headers_and_dates() -> None:
    raw = (
        b"From: =?utf-8?b?SsO8cmdlbiBNw7xsbGVy?= <jm@example.test>\r\n"
        b"To: =?iso-8859-1?q?Fran=E7ois?= <fr@example.test>, b@example.test\r\n"
        b"Subject: =?utf-8?q?Gr=C3=BC=C3=9Fe?= und =?utf-8?q?mehr?=\r\n"
        b"Date: Tue, 24 Nov 2026 10:00:00 +0100\r\nMessage-ID: <a@x>\r\n\r\nHallo\r\n"
    )
    mail = parse_message(raw, 1, "INBOX")
    assert mail.from_ == "Jürgen Müller <jm@example.test>"
    assert mail.to == ["François <fr@example.test>", "b@example.test"]
    assert mail.subject == "Grüße und mehr"
    assert mail.date == "2026-11-24T10:00:00+01:00"


@pytest.mark.parametrize(
    "header",
    [b"", b"Message-ID: <caf\xc3\xa9@x>\r\n", b"Message-ID: not-an-id\r\n"],
    ids=["missing", "non-ascii", "no-brackets"],
)
def test_unusable_message_id_becomes_a_stable_synthetic_one(header: bytes) -> None:
    raw = b"From: a@example.test\r\nSubject: s\r\n" + header + b"\r\nbody\r\n"
    first = parse_message(raw, 1, "INBOX").message_id
    assert first.startswith("<synthetic-") and first.endswith("@aie.invalid>")
    assert parse_message(raw, 99, "Archive").message_id == first  # same bytes, same id
    assert parse_message(raw + b"x", 1, "INBOX").message_id != first


def test_garbage_never_raises() -> None:
    mail = parse_message(b"\x00\xff\xfe garbage without headers \r\n\r\n\x80", 1, "INBOX")
    assert mail.message_id.startswith("<synthetic-")
    assert mail.subject == "" and mail.to == []


def test_multipart_alternative_prefers_text_and_html_only_is_converted() -> None:
    alt = (
        b"From: a@example.test\r\nSubject: s\r\nMessage-ID: <m@x>\r\n"
        b'Content-Type: multipart/alternative; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nplain words\r\n"
        b"--b\r\nContent-Type: text/html\r\n\r\n<p>html words</p>\r\n--b--\r\n"
    )
    mail = parse_message(alt, 1, "INBOX")
    assert mail.text == "plain words" and not mail.html_only
    html = alt.replace(b"--b\r\nContent-Type: text/plain\r\n\r\nplain words\r\n", b"")
    converted = parse_message(html, 1, "INBOX")
    assert converted.html_only and converted.text == "html words"


HANDBOOK = Handbook(
    greeting="Dear {first_name},",
    known_contacts=["client@example.test"],
    auto_reply_domains=["partner.example"],
    never_auto_reply=["lawsuit", "refund"],
)


@pytest.mark.parametrize(
    ("sender", "subject", "text", "body_starts", "reason"),
    [
        ("Alice Client <client@example.test>", "Invoice 12", "", "Dear Alice,", "built-in"),
        ("bob@partner.example", "Meeting", "", "Dear Bob,", "built-in"),
        ("eve@elsewhere.example", "Hello", "", None, "not a known contact"),
        ("noreply@partner.example", "Your order", "", None, "automated sender"),
        ("client@example.test", "About the REFUND", "", None, "'refund'"),
        ("client@example.test", "Hi", "we will file a lawsuit", None, "'lawsuit'"),
    ],
)
def test_drafter_follows_the_handbook(sender, subject, text, body_starts, reason) -> None:
    decision = draft_reply_text(_mail(sender, subject, text), HANDBOOK)
    assert reason in decision.reason
    if body_starts is None:
        assert decision.body is None
    else:
        assert decision.body is not None and decision.body.startswith(body_starts)


def test_drafter_topics_and_open_handbook() -> None:
    anyone = Handbook()  # no lists: everyone may get a drafted reply
    invoice = draft_reply_text(_mail(subject="Invoice", text=""), anyone)
    assert invoice.body is not None and "invoice" in invoice.body
    meeting = draft_reply_text(_mail(subject="Can we schedule a call?"), anyone)
    assert meeting.body is not None and "slot" in meeting.body
    other = draft_reply_text(_mail("x.y@z.example", subject="Misc"), anyone)
    assert other.body is not None and other.body.startswith("Hello X,") and "Misc" in other.body
