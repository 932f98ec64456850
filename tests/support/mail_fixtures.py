"""Mail for the tests: a fresh real Dovecot + SMTP per test (fixture ``mail``), email-mcp
servers wired to it (``email_servers``), their settings, and a sample incoming mail.
Registered for every test by ``tests/conftest.py``."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.server import MCPServer

from devstack.mail_servers import MailServers, dovecot_available
from servers.email_mcp.server import build_server
from shared.settings import CoreSettings, ImapSettings, SmtpSettings
from tests.support.tool_calls import ok


def ensure_dovecot() -> None:
    if dovecot_available():
        return
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "dovecot-imapd"],
        capture_output=True,
        timeout=600,
        check=False,
    )
    if not dovecot_available():
        pytest.skip(
            "NOT RUN: Dovecot is not installed and could not be installed "
            "(apt-get install dovecot-imapd as root)"
        )


@pytest.fixture
def mail() -> Iterator[MailServers]:
    ensure_dovecot()
    with MailServers() as servers:
        yield servers


def imap_settings(
    mail: MailServers, user: str = "ops@example.test", security: str = "ssl", **extra: Any
) -> ImapSettings:
    env = mail.settings_env(user, security)
    return ImapSettings(
        host=env["AIE_IMAP_HOST"],
        port=int(env["AIE_IMAP_PORT"]),
        user=user,
        password=env["AIE_IMAP_PASSWORD"],
        security=security,  # type: ignore[arg-type]
        ca_file=Path(env["AIE_IMAP_CA_FILE"]),
        timeout_s=10,
        **extra,
    )


def smtp_settings(
    mail: MailServers, user: str = "ops@example.test", security: str = "ssl"
) -> SmtpSettings:
    env = mail.settings_env(user, security)
    return SmtpSettings(
        host=env["AIE_SMTP_HOST"],
        port=int(env["AIE_SMTP_PORT"]),
        user=user,
        password=env["AIE_SMTP_PASSWORD"],
        security=security,  # type: ignore[arg-type]
        ca_file=Path(env["AIE_SMTP_CA_FILE"]),
        timeout_s=10,
    )


@pytest.fixture
def email_servers(
    mail: MailServers, make_settings: Callable[..., CoreSettings], clock: Any
) -> Callable[..., MCPServer[Any]]:
    def make(role: str, security: str = "ssl", **core: Any) -> MCPServer[Any]:
        smtp = smtp_settings(mail, security=security) if role == "local" else None
        return build_server(
            make_settings(role, **core), imap_settings(mail, security=security), smtp, clock
        )

    return make


def incoming(
    subject: str = "Invoice question",
    message_id: str = "<q1@client.example.test>",
    sender: str = "Alice Client <client@example.test>",
    body: str = "Could you resend the invoice for October?\n",
    **headers: str,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "Ops <ops@example.test>"
    msg["Subject"] = subject
    if message_id:
        msg["Message-ID"] = message_id
    msg["Date"] = "Wed, 25 Nov 2026 09:00:00 +0000"
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg.as_bytes()


async def draft_and_request(
    cloud_mail: Client, cloud_vault: Client, mail: MailServers
) -> dict[str, object]:
    """US1 on the cloud up to the approval request: one mail, triaged, claimed, read,
    drafted, requested."""
    mail.deliver("ops@example.test", incoming())
    triaged = await ok(cloud_mail, "mail_triage")
    assert len(triaged["created"]) == 1
    task_id = triaged["created"][0]
    claim = await ok(cloud_vault, "task_claim", task_id=task_id)
    assert claim["claimed"]
    task = (await ok(cloud_vault, "task_get", task_id=task_id))["task"]
    got = await ok(cloud_mail, "mail_get", uid=task["meta"]["uid"])
    assert got["message_id"] == "<q1@client.example.test>"
    suggestion = await ok(cloud_mail, "mail_suggest_reply", uid=got["uid"])
    assert suggestion["body"].startswith("Hello Alice,")
    draft = await ok(cloud_mail, "mail_draft_reply", uid=got["uid"], body=suggestion["body"])
    request = await ok(cloud_mail, "mail_request_send", task_id=task_id, draft_id=draft["draft_id"])
    return {"task_id": task_id, "draft": draft, "request": request}
