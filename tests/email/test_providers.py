"""US1 on mailboxes shaped like the ones people have, with no folder named in the settings.

- ``plain``: our Dovecot as before (Drafts, Sent);
- ``gmail``: ``[Gmail]/Drafts`` and ``[Gmail]/Sent Mail``, "/" between levels;
- ``outlook``: localized non-ASCII folders (``Entwürfe``, ``Gesendete Elemente``), behind
  an IMAP proxy that refuses keywords as Exchange does.

Before: drafting failed with the default names (Drafts, Sent); a non-ASCII name was refused
as "not valid mUTF-7"; and sending failed after the SMTP 250 when no "Sent" existed (the
mail went out, the ledger stayed at "accepted", every retry failed)."""

from __future__ import annotations

import collections
import contextlib
import email
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

from devstack.imap_proxy import ImapProxy
from devstack.mail_servers import MailServers
from devstack.oauth_provider import OAuthProvider
from devstack.stack import wait_until
from servers.email_mcp.server import build_server as build_email
from servers.vault_mcp.server import build_server as build_vault
from shared.settings import ImapSettings, MailAuth, SmtpSettings
from tests.support.approving import approve_request
from tests.support.mail_fixtures import ensure_dovecot, imap_settings, incoming, smtp_settings
from tests.support.tool_calls import error_text, ok

pytestmark = [pytest.mark.anyio, pytest.mark.clock]


@dataclass
class Profile:
    mail: MailServers
    imap: ImapSettings
    smtp: SmtpSettings
    auth: MailAuth | None  # OAuth 2.0 (XOAUTH2) for gmail and outlook
    imap_proxy: ImapProxy  # in front of Dovecot: counts commands; refuses as Exchange on outlook


@pytest.fixture(params=["plain", "gmail", "outlook"])
def provider(request: pytest.FixtureRequest) -> Iterator[Profile]:
    """The mailbox as each provider has it: plain (passwords), gmail and outlook (XOAUTH2
    against a token endpoint with 20 s tokens, their folders, their SMTP filing the Sent
    copy; outlook behind the Exchange proxy and rewriting Message-IDs)."""
    ensure_dovecot()
    name = request.param
    with contextlib.ExitStack() as stack:
        oauth = stack.enter_context(OAuthProvider(access_ttl_s=20)) if name != "plain" else None
        mail = stack.enter_context(MailServers(profile=name, oauth=oauth))
        proxy = stack.enter_context(ImapProxy(mail.imap_port, exchange=name == "outlook"))
        through = {"port": proxy.port, "security": "none"}
        if oauth is None:
            imap = imap_settings(mail).model_copy(update=through)
            yield Profile(mail, imap, smtp_settings(mail), None, proxy)
            return
        auth = MailAuth(
            mail_auth="oauth2",
            oauth_provider="custom",
            oauth_token_url=oauth.token_url,
            oauth_client_id="aie-test-client",
            oauth_refresh_token=oauth.grant("ops@example.test"),
        )
        imap = imap_settings(mail).model_copy(update={"password": None, **through})
        # as AIE_SMTP_SENT_COPY=auto decides for the providers' real hosts
        smtp = smtp_settings(mail).model_copy(update={"password": None, "sent_copy": "provider"})
        yield Profile(mail, imap, smtp, auth, proxy)


async def test_us1_on_each_provider(
    provider: Profile, make_settings: Any, vault_path: Path, clock: Any
) -> None:
    mail, imap, smtp, auth = provider.mail, provider.imap, provider.smtp, provider.auth
    mail.deliver("ops@example.test", incoming())
    async with (
        Client(build_email(make_settings("cloud"), imap, None, clock, auth=auth)) as cloud_mail,
        Client(build_vault(make_settings("cloud"), clock)) as cloud_vault,
        Client(build_email(make_settings("local"), imap, smtp, clock, auth=auth)) as local_mail,
    ):
        (task_id,) = (await ok(cloud_mail, "mail_triage"))["created"]
        await ok(cloud_vault, "task_claim", task_id=task_id)
        uid = (await ok(cloud_vault, "task_get", task_id=task_id))["task"]["meta"]["uid"]
        draft = await ok(cloud_mail, "mail_draft_reply", uid=uid, body="Here it is.")
        assert len(mail.messages("ops@example.test", mail.drafts)) == 1
        request = await ok(
            cloud_mail, "mail_request_send", task_id=task_id, draft_id=draft["draft_id"]
        )
        approve_request(vault_path, request)
        sent = await ok(local_mail, "mail_send_approved", approval_id=request["approval_id"])
        assert sent["sent"] and sent["filed_in_sent"]
        again = await error_text(
            local_mail, "mail_send_approved", approval_id=request["approval_id"]
        )
        assert "already executed" in again
    (reply,) = wait_until(lambda: mail.messages("client@example.test"))
    assert email.message_from_bytes(reply)["In-Reply-To"] == "<q1@client.example.test>"
    assert len(mail.messages("ops@example.test", mail.sent)) == 1  # one copy in Sent
    assert mail.messages("ops@example.test", mail.drafts) == []  # the draft went
    assert len(mail.deliveries) == 1
    commands = collections.Counter(c for c in provider.imap_proxy.commands if c != "-")
    total = sum(commands.values())
    print(f"US1 on {mail.profile}: 7 tool calls, {total} IMAP commands {dict(commands)}")
    assert provider.imap_proxy.refused == []


async def test_no_sent_folder_stops_before_sending(
    make_settings: Any, vault_path: Path, clock: Any
) -> None:
    """A Sent folder that cannot be found is an error before SMTP, never after."""
    ensure_dovecot()
    with MailServers(profile="unmarked") as mail:
        mail.deliver("ops@example.test", incoming())
        async with (
            Client(build_email(make_settings("cloud"), imap_settings(mail), None, clock)) as cloud,
            Client(build_vault(make_settings("cloud"), clock)) as cloud_vault,
        ):
            (task_id,) = (await ok(cloud, "mail_triage"))["created"]
            await ok(cloud_vault, "task_claim", task_id=task_id)
            uid = (await ok(cloud_vault, "task_get", task_id=task_id))["task"]["meta"]["uid"]
            draft = await ok(cloud, "mail_draft_reply", uid=uid, body="Yes.")
            request = await ok(
                cloud, "mail_request_send", task_id=task_id, draft_id=draft["draft_id"]
            )
        approve_request(vault_path, request)
        local = build_email(make_settings("local"), imap_settings(mail), smtp_settings(mail), clock)
        async with Client(local) as local_mail:
            text = await error_text(
                local_mail, "mail_send_approved", approval_id=request["approval_id"]
            )
        assert "no Sent folder" in text and "AIE_IMAP_SENT_FOLDER" in text
        assert mail.deliveries == []  # nothing went out
        assert (vault_path / "Approved" / Path(request["path"]).name).is_file()  # still to do


async def test_a_crash_after_microsofts_250_is_recovered_as_sent(
    make_settings: Any, vault_path: Path, clock: Any
) -> None:
    """SIGKILL between Microsoft's 250 and the ledger. Microsoft rewrote the Message-ID,
    so Sent holds no mail under ours: before, recovery found nothing and said "uncertain"
    for a mail that was sent. Now it finds the original in X-Microsoft-Original-Message-ID:
    sent, recorded as sent, one copy in Sent, nothing sent twice."""
    ensure_dovecot()
    with MailServers(profile="outlook") as mail, ImapProxy(mail.imap_port) as exchange:
        env = mail.settings_env("ops@example.test") | {
            "AIE_IMAP_PORT": str(exchange.port),
            "AIE_IMAP_SECURITY": "none",
            "AIE_SMTP_SENT_COPY": "provider",
            "AIE_ROLE": "local",
            "AIE_VAULT": str(vault_path),
            "XDG_STATE_HOME": os.environ["XDG_STATE_HOME"],
        }
        imap = ImapSettings(
            host="127.0.0.1",
            port=exchange.port,
            user="ops@example.test",
            password=mail.users["ops@example.test"],
            security="none",
            timeout_s=10,
        )
        mail.deliver("ops@example.test", incoming())
        async with (
            Client(build_email(make_settings("cloud"), imap, None, clock)) as cloud_mail,
            Client(build_vault(make_settings("cloud"), clock)) as cloud_vault,
        ):
            (task_id,) = (await ok(cloud_mail, "mail_triage"))["created"]
            await ok(cloud_vault, "task_claim", task_id=task_id)
            uid = (await ok(cloud_vault, "task_get", task_id=task_id))["task"]["meta"]["uid"]
            draft = await ok(cloud_mail, "mail_draft_reply", uid=uid, body="Sure.")
            request = await ok(
                cloud_mail, "mail_request_send", task_id=task_id, draft_id=draft["draft_id"]
            )
        approve_request(vault_path, request)
        command = str(Path(sys.executable).parent / "email-mcp")
        crashing = StdioServerParameters(
            command=command, args=[], env=env | {"AIE_FAULT_INJECT": "after_smtp"}
        )
        with pytest.raises(Exception):  # noqa: B017 - the server process dies mid-call
            with anyio.fail_after(30):
                async with Client(crashing, mode="legacy") as c:
                    await c.call_tool("mail_send_approved", {"approval_id": request["approval_id"]})
        assert len(mail.deliveries) == 1
        again = StdioServerParameters(command=command, args=[], env=env)
        with anyio.fail_after(30):
            async with Client(again, mode="legacy") as c:
                sent = await ok(c, "mail_send_approved", approval_id=request["approval_id"])
        assert sent["sent"] is True and sent["filed_in_sent"]
        assert len(mail.deliveries) == 1
        assert len(mail.messages("ops@example.test", mail.sent)) == 1
