"""OAuth 2.0 (SASL XOAUTH2) on a real Dovecot with its oauth2 passdb and on the SMTP relay,
against a token endpoint of ours (devstack/oauth_provider.py) that rotates refresh tokens
as Microsoft does. Before: only IMAP LOGIN and SMTP with a password, which Microsoft 365
no longer accepts; and aioimaplib hung on a refused XOAUTH2 until its timeout."""

from __future__ import annotations

import asyncio
import os
import stat
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from devstack.mail_servers import MailServers
from devstack.oauth_provider import OAuthProvider
from devstack.stack import wait_until
from servers.email_mcp import smtp
from servers.email_mcp.oauth import TokenSource
from servers.email_mcp.server import build_server as build_email
from servers.email_mcp.service import EmailService
from servers.vault_mcp.server import build_server as build_vault
from shared.errors import AIEError
from shared.settings import ImapSettings, MailAuth, SmtpSettings
from tests.support.approving import approve_request
from tests.support.mail_fixtures import ensure_dovecot, incoming
from tests.support.tool_calls import error_text, ok

pytestmark = pytest.mark.anyio
USER = "ops@example.test"


@pytest.fixture
def provider() -> Iterator[OAuthProvider]:
    with OAuthProvider(access_ttl_s=20) as running:
        yield running


@pytest.fixture
def mail(provider: OAuthProvider) -> Iterator[MailServers]:
    ensure_dovecot()
    with MailServers(profile="gmail", oauth=provider) as servers:
        yield servers


def _auth(provider: OAuthProvider, refresh: str) -> MailAuth:
    return MailAuth(
        mail_auth="oauth2",
        oauth_provider="custom",
        oauth_token_url=provider.token_url,
        oauth_client_id="aie-test-client",
        oauth_refresh_token=refresh,
    )


def _imap(mail: MailServers) -> ImapSettings:
    return ImapSettings(
        host="127.0.0.1", port=mail.imaps_port, user=USER, security="ssl",
        ca_file=mail.ca_file, timeout_s=10,
    )  # fmt: skip


def _smtp(mail: MailServers) -> SmtpSettings:
    return SmtpSettings(
        host="127.0.0.1", port=mail.smtps_port, user=USER, security="ssl",
        ca_file=mail.ca_file, timeout_s=10, sent_copy="provider",
    )  # fmt: skip


def _no_token_in(folder: Path, tokens: list[str]) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            text = path.read_text("utf-8", "replace")
            assert not any(t in text for t in tokens), path


async def test_us1_over_oauth(
    mail: MailServers, provider: OAuthProvider, make_settings: Any, vault_path: Path, clock: Any
) -> None:
    first = provider.grant(USER)
    auth = _auth(provider, first)
    mail.deliver(USER, incoming())
    async with (
        Client(build_email(make_settings("cloud"), _imap(mail), None, clock, auth=auth)) as cloud,
        Client(build_vault(make_settings("cloud"), clock)) as cloud_vault,
        Client(
            build_email(make_settings("local"), _imap(mail), _smtp(mail), clock, auth=auth)
        ) as local,
    ):
        (task_id,) = (await ok(cloud, "mail_triage"))["created"]
        await ok(cloud_vault, "task_claim", task_id=task_id)
        uid = (await ok(cloud_vault, "task_get", task_id=task_id))["task"]["meta"]["uid"]
        draft = await ok(cloud, "mail_draft_reply", uid=uid, body="Here it is.")
        request = await ok(cloud, "mail_request_send", task_id=task_id, draft_id=draft["draft_id"])
        approve_request(vault_path, request)
        sent = await ok(local, "mail_send_approved", approval_id=request["approval_id"])
    assert sent["sent"] and sent["filed_in_sent"]
    wait_until(lambda: mail.messages("client@example.test"))
    assert len(mail.deliveries) == 1
    assert len(mail.messages(USER, mail.sent)) == 1
    assert provider.refreshes >= 1
    _no_token_in(vault_path, [first])


async def test_a_refused_token_is_replaced_at_once(
    mail: MailServers, provider: OAuthProvider, make_settings: Any
) -> None:
    """The server ends the session and refuses the token we still hold (Microsoft's
    ``BYE … AccessTokenExpired``): we answer its error continuation at once, fetch a fresh
    token and go on. Before, aioimaplib waited for its timeout on the continuation."""
    service = EmailService(
        make_settings("cloud"), _imap(mail), None, auth=_auth(provider, provider.grant(USER))
    )
    mail.deliver(USER, incoming(message_id="<a@c>"))
    assert len((await service.triage()).created) == 1
    provider.expire_access_tokens()
    mail.restart_imap()  # the server ends the session
    await asyncio.sleep(0.3)  # as its BYE would arrive, before the next command
    mail.deliver(USER, incoming(message_id="<b@c>", subject="Next"))
    started = time.monotonic()
    assert len((await service.triage()).created) == 1
    assert time.monotonic() - started < 5  # the timeout is 10 s
    assert provider.refreshes == 2
    await service.close()


async def test_sending_with_a_refused_token_replaces_it(
    mail: MailServers, provider: OAuthProvider, make_settings: Any, vault_path: Path
) -> None:
    tokens = TokenSource(_auth(provider, provider.grant(USER)), USER, vault_path.parent / "state")
    await tokens.access_token()
    provider.expire_access_tokens()  # the one we hold no longer works
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = USER, "client@example.test", "hi"
    message["Message-ID"] = "<s1@example.test>"
    message.set_content("hello")
    await smtp.send(_smtp(mail), message, ["client@example.test"], tokens)
    assert len(mail.deliveries) == 1 and provider.refreshes == 2


async def test_a_revoked_grant_names_the_command_that_fixes_it(
    mail: MailServers, provider: OAuthProvider, make_settings: Any
) -> None:
    service = EmailService(
        make_settings("cloud"), _imap(mail), None, auth=_auth(provider, provider.grant(USER))
    )
    provider.revoke(USER)
    started = time.monotonic()
    with pytest.raises(AIEError, match="ai-employee mail login"):
        await service.triage()
    assert time.monotonic() - started < 5
    async with Client(
        build_email(make_settings("cloud"), _imap(mail), None, auth=_auth(provider, "rt-gone"))
    ) as cloud:
        text = await error_text(cloud, "mail_triage")
    assert "no longer authorized" in text and "ai-employee mail login" in text


async def test_the_rotated_refresh_token_is_kept_privately(
    mail: MailServers, provider: OAuthProvider, make_settings: Any, vault_path: Path
) -> None:
    first = provider.grant(USER)
    settings = make_settings("cloud")
    service = EmailService(settings, _imap(mail), None, auth=_auth(provider, first))
    await service.triage()
    await service.close()
    (stored,) = (settings.state_path / "oauth").glob("*.json")
    assert stat.S_IMODE(os.stat(stored).st_mode) == 0o600
    assert first not in stored.read_text()  # rotated: the provider no longer takes the first
    # a restart (a new process) signs in with the stored token, not the spent one
    again = EmailService(settings, _imap(mail), None, auth=_auth(provider, first))
    mail.deliver(USER, incoming())
    assert len((await again.triage()).created) == 1
    await again.close()
    _no_token_in(vault_path, [first, stored.read_text().split('"refresh_token": "')[1][:20]])


async def test_processes_that_share_a_sign_in_never_spend_each_others_token(
    provider: OAuthProvider, vault_path: Path
) -> None:
    """The agent's email server, the inbox watcher and a Claude Code session's server share
    this machine's refresh token; with rotation, two refreshing at once would leave one
    refused ("revoked"). They take turns, each with the newest token."""
    auth = _auth(provider, provider.grant(USER))
    sources = [TokenSource(auth, USER, vault_path.parent / "state") for _ in range(4)]
    tokens = await asyncio.gather(*(s.access_token() for s in sources))
    assert len(set(tokens)) == 4 and provider.refreshes == 4
