"""Exactly once across a crash: the sender is SIGKILLed right after the SMTP server accepted
the mail and before the ledger recorded it. On restart nothing is sent again. Also: the
real email-mcp command over stdio, and a server that starts while IMAP is down."""

from __future__ import annotations

import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters

from devstack.mail_servers import MailServers, free_port
from devstack.stack import wait_until
from servers.vault_mcp.server import build_server as build_vault
from tests.support.approving import approve
from tests.support.mail_fixtures import draft_and_request
from tests.support.tool_calls import error_text, ok

pytestmark = [pytest.mark.anyio, pytest.mark.clock]
BIN = Path(sys.executable).parent


def _local_stdio(mail: MailServers, vault: Path, **extra: str) -> StdioServerParameters:
    env = (
        mail.settings_env("ops@example.test")
        | {"AIE_ROLE": "local", "AIE_VAULT": str(vault)}
        | extra
    )
    return StdioServerParameters(command=str(BIN / "email-mcp"), args=[], env=env)


async def test_sigkill_after_smtp_acceptance_never_sends_twice(
    mail, email_servers, make_settings, vault_path
) -> None:
    async with (
        Client(email_servers("cloud")) as cloud_mail,
        Client(build_vault(make_settings("cloud"))) as cloud_vault,
    ):
        flow = await draft_and_request(cloud_mail, cloud_vault, mail)
    request = flow["request"]
    pending = vault_path / request["path"]  # type: ignore[index]
    approve(vault_path, pending)
    approval_id = request["approval_id"]  # type: ignore[index]

    crashing = _local_stdio(mail, vault_path, AIE_FAULT_INJECT="after_smtp")
    with pytest.raises(Exception):  # noqa: B017 - the server process dies mid-call
        with anyio.fail_after(30):
            async with Client(crashing, mode="legacy") as c:
                await c.call_tool("mail_send_approved", {"approval_id": approval_id})
    wait_until(lambda: len(mail.messages("client@example.test")) == 1)
    assert len(mail.deliveries) == 1

    with anyio.fail_after(30):
        async with Client(_local_stdio(mail, vault_path), mode="legacy") as c:
            text = await error_text(c, "mail_send_approved", approval_id=approval_id)
            assert "NOT sent again" in text
            again = await error_text(c, "mail_send_approved", approval_id=approval_id)
            assert "already executed" in again
    assert len(mail.deliveries) == 1
    assert len(mail.messages("client@example.test")) == 1
    assert (vault_path / "Done" / pending.name).is_file()


async def test_crash_after_the_ledger_recorded_acceptance_files_without_resending(
    mail, email_servers, make_settings, vault_path
) -> None:
    """Simulates the other crash window: SMTP accepted and the ledger says so."""
    from servers.email_mcp.outbox import send_approved
    from servers.email_mcp.service import EmailService
    from tests.support.mail_fixtures import imap_settings, smtp_settings

    async with (
        Client(email_servers("cloud")) as cloud_mail,
        Client(build_vault(make_settings("cloud"))) as cloud_vault,
    ):
        flow = await draft_and_request(cloud_mail, cloud_vault, mail)
    pending = vault_path / flow["request"]["path"]  # type: ignore[index]
    approve(vault_path, pending)
    approval_id = flow["request"]["approval_id"]  # type: ignore[index]
    service = EmailService(make_settings("local"), imap_settings(mail), smtp_settings(mail))
    item = service.vault.approvals.load_for_execution(approval_id, "send_email")
    with service.vault.ledger.run(approval_id, {"message_id": item.params["message_id"]}) as e:
        service.vault.ledger.mark(e, "accepted")  # as if the process died right after
    result = await send_approved(service, approval_id)
    await service.close()
    assert result.sent and result.filed_in_sent
    assert mail.deliveries == []  # recovered from the ledger: SMTP not used again
    assert len(mail.messages("ops@example.test", "Sent")) == 1


async def test_email_mcp_over_stdio(mail: MailServers, vault_path: Path) -> None:
    mail.deliver(
        "ops@example.test",
        b"From: a@example.test\r\nSubject: hi\r\nMessage-ID: <s1@x>\r\n\r\nhello\r\n",
    )
    for mode in ("auto", "legacy"):
        with anyio.fail_after(30):
            async with Client(_local_stdio(mail, vault_path), mode=mode) as c:  # type: ignore[arg-type]
                names = {t.name for t in (await c.list_tools()).tools}
                assert {"mail_list", "mail_triage", "mail_send_approved"} <= names
                listed = await ok(c, "mail_list")
                assert listed["messages"][0]["subject"] == "hi"


async def test_server_starts_with_imap_down_and_says_so(vault_path: Path) -> None:
    dead = free_port()
    env = {
        "AIE_ROLE": "cloud",
        "AIE_VAULT": str(vault_path),
        "AIE_IMAP_HOST": "127.0.0.1",
        "AIE_IMAP_PORT": str(dead),
        "AIE_IMAP_USER": "ops@example.test",
        "AIE_IMAP_PASSWORD": "pw",
        "AIE_IMAP_SECURITY": "none",
        "AIE_IMAP_TIMEOUT_S": "3",
    }
    params = StdioServerParameters(command=str(BIN / "email-mcp"), args=[], env=env)
    with anyio.fail_after(30):
        async with Client(params) as c:
            assert "mail_list" in {t.name for t in (await c.list_tools()).tools}
            text = await error_text(c, "mail_list")
    assert f"cannot reach the IMAP server 127.0.0.1:{dead}" in text
    assert "pw" not in text.split("IMAP server")[1]


async def test_wrong_password_is_a_clear_error(mail: MailServers, vault_path: Path) -> None:
    env = mail.settings_env("ops@example.test") | {
        "AIE_ROLE": "cloud",
        "AIE_VAULT": str(vault_path),
        "AIE_IMAP_PASSWORD": "wrong-secret",
    }
    params = StdioServerParameters(command=str(BIN / "email-mcp"), args=[], env=env)
    with anyio.fail_after(30):
        async with Client(params) as c:
            text = await error_text(c, "mail_list")
    assert "refused the login" in text and "AIE_IMAP_PASSWORD" in text
    assert "wrong-secret" not in text
