"""US1 on a real Dovecot and SMTP: mail arrives, is triaged into a task, drafted as a
threaded reply, approved by a person moving a file, sent exactly once by the local
machine, filed in Sent; the task ends in Done/ and the audit log holds every step."""

from __future__ import annotations

import email
import shutil
from pathlib import Path

import pytest
from mcp import Client

from devstack.mail_servers import MailServers
from devstack.stack import wait_until
from servers.vault_mcp.server import build_server as build_vault
from tests.support.approving import approve, edit_field
from tests.support.mail_fixtures import draft_and_request, incoming
from tests.support.tool_calls import error_text, ok, snapshot

pytestmark = [pytest.mark.anyio, pytest.mark.clock]


async def test_us1_end_to_end(
    mail: MailServers, email_servers, make_settings, vault_path, clock
) -> None:
    async with (
        Client(email_servers("cloud")) as cloud_mail,
        Client(build_vault(make_settings("cloud"), clock)) as cloud_vault,
        Client(email_servers("local")) as local_mail,
    ):
        flow = await draft_and_request(cloud_mail, cloud_vault, mail)
        draft, request = flow["draft"], flow["request"]
        assert draft["subject"] == "Re: Invoice question"  # type: ignore[index]
        assert draft["in_reply_to"] == "<q1@client.example.test>"  # type: ignore[index]
        (raw_draft,) = mail.messages("ops@example.test", "Drafts")
        parsed = email.message_from_bytes(raw_draft)
        assert parsed["In-Reply-To"] == "<q1@client.example.test>"
        assert parsed["References"] == "<q1@client.example.test>"
        assert "> Could you resend the invoice" in parsed.get_payload()
        assert "Sam Owner" in parsed.get_payload()  # the handbook's signature

        pending = vault_path / request["path"]  # type: ignore[index]
        text = pending.read_text()
        assert "client@example.test" in text and "Re: Invoice question" in text

        # The person approves in Obsidian: the file moves to Approved/.
        approve(vault_path, pending)
        sent = await ok(local_mail, "mail_send_approved", approval_id=request["approval_id"])  # type: ignore[index]
        assert sent["sent"] and sent["filed_in_sent"] and sent["to"] == ["client@example.test"]

        (reply,) = wait_until(lambda: mail.messages("client@example.test"))
        reply_msg = email.message_from_bytes(reply)
        assert reply_msg["In-Reply-To"] == "<q1@client.example.test>"
        assert reply_msg["Message-ID"] == draft["message_id"]  # type: ignore[index]
        assert len(mail.messages("ops@example.test", "Sent")) == 1
        assert mail.messages("ops@example.test", "Drafts") == []

        again = await error_text(
            local_mail, "mail_send_approved", approval_id=request["approval_id"]
        )  # type: ignore[index]
        assert "already executed" in again
        assert len(mail.deliveries) == 1

        task_id = flow["task_id"]
        assert (vault_path / "Done" / f"{task_id}.md").is_file()
        assert (vault_path / "Done" / pending.name).is_file()
        events = await ok(cloud_vault, "audit_query", limit=100)
        actions = [e["action"] for e in events["events"]]
        for step in (
            "mail_triage",
            "task_create",
            "task_claim",
            "mail_draft_reply",
            "approval_request",
            "send_email_start",
            "send_email",
            "send_email_filed",
            "task_complete",
        ):
            assert step in actions, step


async def test_person_edits_the_body_before_approving(
    mail, email_servers, make_settings, vault_path, clock
) -> None:
    async with (
        Client(email_servers("cloud")) as cloud_mail,
        Client(build_vault(make_settings("cloud"), clock)) as cloud_vault,
        Client(email_servers("local")) as local_mail,
    ):
        flow = await draft_and_request(cloud_mail, cloud_vault, mail)
        pending = vault_path / flow["request"]["path"]  # type: ignore[index]
        text = pending.read_text()
        edited = edit_field(text, "body", "Hello Alice,\n\nAttached again, sorry!\n\nSam\n")
        (vault_path / "Approved" / pending.name).write_text(edited)
        pending.unlink()
        sent = await ok(
            local_mail, "mail_send_approved", approval_id=flow["request"]["approval_id"]
        )  # type: ignore[index]
        assert sent["edited"] == ["body"]
        (reply,) = wait_until(lambda: mail.messages("client@example.test"))
        assert b"Attached again, sorry!" in reply
        events = (await ok(cloud_vault, "audit_query", action="send_email"))["events"]
        assert "edited body" in events[-1]["detail"]


async def test_tampered_or_expired_approval_sends_nothing(
    mail, email_servers, make_settings, vault_path, clock
) -> None:
    async with (
        Client(email_servers("cloud")) as cloud_mail,
        Client(build_vault(make_settings("cloud"), clock)) as cloud_vault,
        Client(email_servers("local")) as local_mail,
    ):
        flow = await draft_and_request(cloud_mail, cloud_vault, mail)
        approval_id = flow["request"]["approval_id"]  # type: ignore[index]
        pending = vault_path / flow["request"]["path"]  # type: ignore[index]
        approved = vault_path / "Approved" / pending.name
        shutil.move(pending, approved)
        original = approved.read_text()
        approved.write_text(original.replace("- client@example.test", "- evil@example.test", 1))
        before = snapshot(vault_path)
        text = await error_text(local_mail, "mail_send_approved", approval_id=approval_id)
        assert "altered after it was requested" in text
        assert snapshot(vault_path) == before and mail.deliveries == []

        approved.write_text(original)
        clock.advance(hours=73)
        before = snapshot(vault_path)
        text = await error_text(local_mail, "mail_send_approved", approval_id=approval_id)
        assert "expired" in text
        assert snapshot(vault_path) == before and mail.deliveries == []
        assert mail.messages("ops@example.test", "Sent") == []
        assert len(mail.messages("ops@example.test", "Drafts")) == 1  # the draft is kept
        refusals = (await ok(cloud_vault, "audit_query", action="send_email_refused"))["events"]
        assert len(refusals) == 2


async def test_pending_approval_is_not_sent(
    mail, email_servers, make_settings, vault_path, clock
) -> None:
    async with (
        Client(email_servers("cloud")) as cloud_mail,
        Client(build_vault(make_settings("cloud"), clock)) as cloud_vault,
        Client(email_servers("local")) as local_mail,
    ):
        flow = await draft_and_request(cloud_mail, cloud_vault, mail)
        text = await error_text(
            local_mail, "mail_send_approved", approval_id=flow["request"]["approval_id"]
        )  # type: ignore[index]
        assert "Pending_Approval" in text
        assert mail.deliveries == []


async def test_cloud_has_no_send_tool_and_the_service_refuses(
    mail, email_servers, make_settings
) -> None:
    from servers.email_mcp.outbox import send_approved
    from servers.email_mcp.service import EmailService
    from shared.errors import RoleForbidden
    from tests.support.mail_fixtures import imap_settings, smtp_settings

    async with Client(email_servers("cloud")) as cloud, Client(email_servers("local")) as local:
        cloud_tools = {t.name for t in (await cloud.list_tools()).tools}
        local_tools = {t.name for t in (await local.list_tools()).tools}
    assert "mail_send_approved" not in cloud_tools
    assert local_tools - cloud_tools == {"mail_send_approved"}
    service = EmailService(make_settings("cloud"), imap_settings(mail), smtp_settings(mail))
    with pytest.raises(RoleForbidden):
        await send_approved(service, "appr-0123456789abcdef")
    assert mail.deliveries == []


async def test_drafting_again_replaces_our_earlier_draft_of_that_reply(
    mail, email_servers, make_settings, clock
) -> None:
    """A session that drafted and stopped, then the rules drafting again: Drafts holds one
    reply per mail, the newest. Another mail's draft is left alone."""
    mail.deliver("ops@example.test", incoming())
    mail.deliver(
        "ops@example.test", incoming(subject="Other", message_id="<q2@client.example.test>")
    )
    async with Client(email_servers("cloud")) as cloud_mail:
        first = await ok(cloud_mail, "mail_draft_reply", uid=1, body="Hello Alice, first try.")
        other = await ok(cloud_mail, "mail_draft_reply", uid=2, body="Hello Alice, other.")
        second = await ok(cloud_mail, "mail_draft_reply", uid=1, body="Hello Alice, second.")
        assert first["replaced_drafts"] == 0 and other["replaced_drafts"] == 0
        assert second["replaced_drafts"] == 1
    kept = sorted(
        email.message_from_bytes(raw)["Message-ID"]
        for raw in mail.messages("ops@example.test", "Drafts")
    )
    assert kept == sorted([other["message_id"], second["message_id"]])


def test_fixture_paths_exist(mail: MailServers) -> None:
    assert Path(mail.ca_file).is_file()
