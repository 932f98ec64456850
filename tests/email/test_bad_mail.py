"""Hostile and broken input: clear tool errors, nothing sent, vault and mailbox unchanged."""

from __future__ import annotations

import pytest
from mcp import Client

from devstack.mail_servers import MailServers
from servers.vault_mcp.server import build_server as build_vault
from tests.support.approving import person_answers
from tests.support.mail_fixtures import incoming
from tests.support.tool_calls import error_text, ok, snapshot

pytestmark = pytest.mark.anyio

LATIN1 = (
    b"From: =?iso-8859-1?q?Ren=E9?= <rene@example.test>\r\nTo: ops@example.test\r\n"
    b"Subject: =?iso-8859-1?q?Caf=E9_cr=E8me?=\r\nMessage-ID: <latin@x>\r\n"
    b"Content-Type: text/plain; charset=iso-8859-1\r\n\r\nUn caf\xe9, s'il vous pla\xeet.\r\n"
)
MISLABELLED = (
    b"From: a@example.test\r\nTo: ops@example.test\r\nSubject: mislabelled\r\n"
    b"Message-ID: <mis@x>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    b"Gr\xfc\xdfe aus K\xf6ln\r\n"
)
BOGUS_CHARSET = (
    b"From: a@example.test\r\nTo: ops@example.test\r\nSubject: =?x-unknown?q?hi?=\r\n"
    b"Message-ID: <bogus@x>\r\nContent-Type: text/plain; charset=x-no-such\r\n\r\n"
    b"plain bytes \xff\xfe\r\n"
)
HTML_ONLY = (
    b"From: news@example.test\r\nTo: ops@example.test\r\nSubject: html\r\n"
    b"Message-ID: <html@x>\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    b"<html><body><h1>Hello</h1><p>Please <b>call</b> me.</p></body></html>\r\n"
)
NO_ID = b"From: a@example.test\r\nTo: ops@example.test\r\nSubject: no id\r\n\r\nbody\r\n"
BROKEN_MIME = (
    b"From: a@example.test\r\nTo: ops@example.test\r\nSubject: broken\r\n"
    b'Message-ID: <broken@x>\r\nContent-Type: multipart/mixed; boundary="zz"\r\n\r\n'
    b"--zz\r\nContent-Type: text/plain\r\n\r\nonly part, never closed\r\n"
)


@pytest.mark.parametrize(
    ("raw", "check"),
    [
        (
            LATIN1,
            lambda m: (
                m["subject"] == "Café crème"
                and "café" in m["text"]
                and m["from"].startswith("René")
            ),
        ),
        (MISLABELLED, lambda m: "Köln" in m["text"]),
        (BOGUS_CHARSET, lambda m: "plain bytes" in m["text"]),
        (HTML_ONLY, lambda m: m["html_only"] and "Hello" in m["text"] and "<b>" not in m["text"]),
        (NO_ID, lambda m: m["message_id"].startswith("<synthetic-")),
        (BROKEN_MIME, lambda m: "only part" in m["text"]),
    ],
    ids=["latin1", "mislabelled", "unknown-charset", "html-only", "no-message-id", "broken-mime"],
)
async def test_any_mail_reads_and_triages(
    mail: MailServers, email_servers, raw: bytes, check
) -> None:
    mail.deliver("ops@example.test", raw)
    async with Client(email_servers("cloud")) as c:
        listed = await ok(c, "mail_list")
        (summary,) = listed["messages"]
        got = await ok(c, "mail_get", uid=summary["uid"])
        assert check(got), got
        first = await ok(c, "mail_triage")
        assert len(first["created"]) == 1
        second = await ok(c, "mail_triage")
        assert second["created"] == [] and second["scanned"] == 0


async def test_same_message_id_twice_is_one_task(mail, email_servers) -> None:
    mail.deliver("ops@example.test", incoming())
    mail.deliver("ops@example.test", incoming())  # a resend with the same Message-ID
    async with Client(email_servers("cloud")) as c:
        result = await ok(c, "mail_triage")
    assert len(result["created"]) == 1 and result["already_known"] == 1


async def test_thirty_megabyte_message_is_read_without_its_body(mail, email_servers) -> None:
    big = incoming(subject="Huge", message_id="<huge@x>", body="x" * (30 * 1024 * 1024))
    mail.deliver("ops@example.test", big)
    async with Client(email_servers("cloud")) as c:
        (summary,) = (await ok(c, "mail_list"))["messages"]
        got = await ok(c, "mail_get", uid=summary["uid"])
        assert got["subject"] == "Huge" and got["text"] == ""
        assert any("body not fetched" in d for d in got["defects"])
        assert len((await ok(c, "mail_triage"))["created"]) == 1


async def test_incoming_subject_with_encoded_crlf_cannot_inject(mail, email_servers) -> None:
    raw = (
        b"From: a@example.test\r\nTo: ops@example.test\r\n"
        b"Subject: =?utf-8?q?hi=0D=0ABcc:_evil@example.test?=\r\nMessage-ID: <inj@x>\r\n\r\n"
        b"hello\r\n"
    )
    mail.deliver("ops@example.test", raw)
    async with Client(email_servers("cloud")) as c:
        (summary,) = (await ok(c, "mail_list"))["messages"]
        draft = await ok(c, "mail_draft_reply", uid=summary["uid"], body="Hi")
    assert "\n" not in draft["subject"] and "\r" not in draft["subject"]
    (raw_draft,) = mail.messages("ops@example.test", "Drafts")
    assert b"\nBcc:" not in raw_draft


@pytest.mark.parametrize("text", ["a\r\nb", "x\nDELETE 1:*"])
async def test_search_text_with_line_breaks_is_refused(mail, email_servers, text: str) -> None:
    async with Client(email_servers("cloud")) as c:
        message = await error_text(c, "mail_search", subject=text)
    assert "one line" in message


async def test_mailbox_name_with_line_break_is_refused(mail, email_servers) -> None:
    async with Client(email_servers("cloud")) as c:
        message = await error_text(c, "mail_list", folder="INBOX\r\nA1 LOGOUT")
    assert "mailbox name" in message and "not valid" in message


BAD_PARAMS = [
    ({"subject": "Hi\r\nBcc: evil@example.test"}, "line break"),
    ({"to": ["not-an-address"]}, "not a valid email address"),
    ({"to": [f"user{n}@example.test" for n in range(5000)]}, "at most 50"),
    ({"to": ["ok@example.test\r\nBcc: evil@example.test"]}, "line break"),
    ({"body": "x" * 600_000}, "at most 500000"),
]


@pytest.mark.parametrize(
    ("change", "expected"),
    BAD_PARAMS,
    ids=["subject-crlf", "bad-address", "5000-addresses", "to-crlf", "big"],
)
async def test_bad_parameters_in_an_approved_request(
    mail, email_servers, make_settings, vault_path, clock, change, expected
) -> None:
    """A request built by hand through the vault tools (a compromised cloud could), approved
    by a person: the sender still refuses it and sends nothing."""
    params = {
        "from": "ops@example.test",
        "to": ["client@example.test"],
        "cc": [],
        "subject": "Re: hi",
        "body": "Hello",
        "in_reply_to": "",
        "references": [],
        "message_id": "<m1@example.test>",
        "draft_id": "1-1",
    } | change
    async with (
        Client(build_vault(make_settings("cloud"), clock)) as cloud_vault,
        Client(
            build_vault(make_settings("local"), clock),
            elicitation_callback=person_answers("approve"),
        ) as local_vault,
        Client(email_servers("local")) as local_mail,
    ):
        made = await ok(cloud_vault, "task_create", domain="email", title="T", body="b")
        await ok(cloud_vault, "task_claim", task_id=made["id"])
        request = await ok(
            cloud_vault,
            "approval_request",
            task_id=made["id"],
            action="send_email",
            params=params,
            summary="Send",
        )
        await ok(local_vault, "approval_decide", approval_id=request["id"], decision="approve")
        before = snapshot(vault_path)
        message = await error_text(local_mail, "mail_send_approved", approval_id=request["id"])
        assert expected in message
        assert snapshot(vault_path) == before
    assert mail.deliveries == []
    assert mail.messages("ops@example.test", "Sent") == []


@pytest.mark.parametrize("missing", ["from", "to", "subject", "body", "message_id"])
async def test_an_approval_missing_a_field_of_the_message_is_refused_by_name(
    mail, email_servers, make_settings, vault_path, clock, missing: str
) -> None:
    """A hand-made send_email request that lacks a field the message needs, approved by a
    person: refused with the field's name, audited, nothing sent, the vault unchanged."""
    params = {
        "from": "ops@example.test",
        "to": ["client@example.test"],
        "cc": [],
        "subject": "Re: hi",
        "body": "Hello",
        "in_reply_to": "",
        "references": [],
        "message_id": "<m1@example.test>",
        "draft_id": "1-1",
    }
    del params[missing]
    async with (
        Client(build_vault(make_settings("cloud"), clock)) as cloud_vault,
        Client(
            build_vault(make_settings("local"), clock),
            elicitation_callback=person_answers("approve"),
        ) as local_vault,
        Client(email_servers("local")) as local_mail,
    ):
        made = await ok(cloud_vault, "task_create", domain="email", title="T", body="b")
        await ok(cloud_vault, "task_claim", task_id=made["id"])
        request = await ok(
            cloud_vault,
            "approval_request",
            task_id=made["id"],
            action="send_email",
            params=params,
            summary="Send",
        )
        await ok(local_vault, "approval_decide", approval_id=request["id"], decision="approve")
        before = snapshot(vault_path)
        message = await error_text(local_mail, "mail_send_approved", approval_id=request["id"])
        assert f"does not hold what send_email needs ({missing}: Field required)" in message
        assert "nothing was sent" in message
        assert snapshot(vault_path) == before
        refusals = (await ok(local_vault, "audit_query", action="send_email_refused"))["events"]
        assert [e["approval_id"] for e in refusals] == [request["id"]]
        assert f"({missing}: Field required)" in refusals[0]["detail"]
    assert mail.deliveries == []
    assert mail.messages("ops@example.test", "Sent") == []


def _drafts(mail: MailServers) -> list[bytes]:
    return mail.messages("ops@example.test", "Drafts")


async def test_reply_all_to_thousands_of_addresses_is_refused(
    mail: MailServers, email_servers, vault_path
) -> None:
    crowd = ", ".join(f"user{n}@example.test" for n in range(3000))
    mail.deliver("ops@example.test", incoming(message_id="<crowd@x>", Cc=crowd))
    async with Client(email_servers("cloud")) as c:
        (summary,) = (await ok(c, "mail_list"))["messages"]
        before = snapshot(vault_path)
        text = await error_text(
            c, "mail_draft_reply", uid=summary["uid"], body="Hi", reply_all=True
        )
        assert "at most 50" in text
        assert snapshot(vault_path) == before and _drafts(mail) == []
        plain = await ok(c, "mail_draft_reply", uid=summary["uid"], body="Hi")
    assert plain["to"] == ["client@example.test"] and plain["cc"] == []


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (b"From: a@example.test\r\nReply-To: not an address\r\n", "not a valid email address"),
        (b"From: a@example.test\r\nReply-To: a@b@c.example\r\n", "not a valid email address"),
        (b"From: nobody\r\n", "not a valid email address"),
        (b"", "needs at least one recipient"),
    ],
    ids=["reply-to-words", "reply-to-two-ats", "from-no-domain", "no-from"],
)
async def test_reply_to_an_invalid_sender_is_refused(
    mail: MailServers, email_servers, headers: bytes, expected: str
) -> None:
    raw = headers + b"To: ops@example.test\r\nSubject: hi\r\nMessage-ID: <bad@x>\r\n\r\nhello\r\n"
    mail.deliver("ops@example.test", raw)
    async with Client(email_servers("cloud")) as c:
        (summary,) = (await ok(c, "mail_list"))["messages"]
        text = await error_text(c, "mail_draft_reply", uid=summary["uid"], body="Hi")
    assert expected in text
    assert _drafts(mail) == []


async def test_absurdly_long_subject_still_gets_a_reply(mail: MailServers, email_servers) -> None:
    mail.deliver("ops@example.test", incoming(subject="word " * 1000, message_id="<long@x>"))
    async with Client(email_servers("cloud")) as c:
        (summary,) = (await ok(c, "mail_list"))["messages"]
        draft = await ok(c, "mail_draft_reply", uid=summary["uid"], body="Hi")
    assert draft["subject"].startswith("Re: word word") and len(draft["subject"]) < 998


async def test_draft_must_answer_the_tasks_own_mail(
    mail: MailServers, email_servers, make_settings, vault_path, clock
) -> None:
    mail.deliver("ops@example.test", incoming(message_id="<one@x>", subject="One"))
    mail.deliver("ops@example.test", incoming(message_id="<two@x>", subject="Two"))
    async with (
        Client(email_servers("cloud")) as c,
        Client(build_vault(make_settings("cloud"), clock)) as v,
    ):
        created = (await ok(c, "mail_triage"))["created"]
        tasks = {
            (await ok(v, "task_get", task_id=t))["task"]["meta"]["subject"]: t for t in created
        }
        await ok(v, "task_claim", task_id=tasks["One"])
        listed = {m["subject"]: m["uid"] for m in (await ok(c, "mail_list"))["messages"]}
        wrong = await ok(c, "mail_draft_reply", uid=listed["Two"], body="Hi")
        before = snapshot(vault_path)
        text = await error_text(
            c, "mail_request_send", task_id=tasks["One"], draft_id=wrong["draft_id"]
        )
        assert "answers <two@x>" in text and "is about <one@x>" in text
        garbage = await error_text(c, "mail_request_send", task_id=tasks["One"], draft_id="x-y")
        assert "not valid" in garbage
        gone = await error_text(c, "mail_request_send", task_id=tasks["One"], draft_id="1-999")
        assert "no longer in 'Drafts'" in gone
        assert snapshot(vault_path) == before
        right = await ok(c, "mail_draft_reply", uid=listed["One"], body="Hi")
        await ok(c, "mail_request_send", task_id=tasks["One"], draft_id=right["draft_id"])
