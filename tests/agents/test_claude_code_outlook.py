"""US1 through the real Claude Code CLI on a Microsoft 365-shaped mailbox: XOAUTH2 with
20-second tokens that rotate, localized folders found by their flags, an IMAP proxy that
refuses keywords as Exchange does, and an SMTP server that rewrites the Message-ID and
files its own Sent copy. The agents' servers and the sessions' servers share the
machine's refresh token."""

from __future__ import annotations

import os
from collections.abc import Iterator
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest

from devstack.imap_proxy import ImapProxy
from devstack.mail_servers import MailServers
from devstack.oauth_provider import OAuthProvider
from devstack.scripted_model import ScriptedModel, sessions
from devstack.stack import wait_until
from tests.support.agent_runs import agent_env, run_agent
from tests.support.approving import approve_all
from tests.support.claude_cli import claude_code_env
from tests.support.mail_fixtures import ensure_dovecot, incoming


@pytest.fixture
def outlook() -> Iterator[tuple[MailServers, OAuthProvider, ImapProxy]]:
    ensure_dovecot()
    with (
        OAuthProvider(access_ttl_s=20) as oauth,
        MailServers(profile="outlook", oauth=oauth) as mail,
        ImapProxy(mail.imap_port) as exchange,
    ):
        yield mail, oauth, exchange


def test_us1_through_claude_code_on_outlook(
    outlook: tuple[MailServers, OAuthProvider, ImapProxy], odoo: Any, vault_path: Path,
    tmp_path: Path,
) -> None:  # fmt: skip
    mail, oauth, exchange = outlook
    settings = {
        k: v for k, v in mail.settings_env("ops@example.test").items() if "PASSWORD" not in k
    } | {
        "AIE_IMAP_PORT": str(exchange.port),
        "AIE_IMAP_SECURITY": "none",
        "AIE_MAIL_AUTH": "oauth2",
        "AIE_OAUTH_PROVIDER": "custom",
        "AIE_OAUTH_TOKEN_URL": oauth.token_url,
        "AIE_OAUTH_CLIENT_ID": "aie-test-client",
        "AIE_OAUTH_REFRESH_TOKEN": oauth.grant("ops@example.test"),
        "AIE_SMTP_SENT_COPY": "provider",
        "XDG_STATE_HOME": os.environ["XDG_STATE_HOME"],
    }
    with ScriptedModel() as model:
        claude = claude_code_env(model, tmp_path / "home")
        cloud_env = agent_env(settings, odoo.url, vault_path, "cloud") | claude
        local_env = agent_env(settings, odoo.url, vault_path, "local") | claude
        mail.deliver("ops@example.test", incoming())
        cloud = run_agent(cloud_env, "cloud")
        assert cloud.returncode == 0, cloud.stderr
        assert "Claude Code finished email-" in cloud.stderr, cloud.stderr
        assert len(mail.messages("ops@example.test", mail.drafts)) == 1  # Entwürfe
        approve_all(vault_path)
        local = run_agent(local_env, "local")
        assert local.returncode == 0, local.stderr
        assert "Claude Code executed appr-" in local.stderr, local.stderr
        wait_until(lambda: mail.messages("client@example.test"))
        triage, execution = sessions(model.requests)
    assert triage.brief.skill == "email-triage" and execution.brief.skill == "approval-execution"
    (reply,) = mail.messages("client@example.test")
    parsed = message_from_bytes(reply)
    assert parsed["In-Reply-To"] == "<q1@client.example.test>"
    assert parsed["X-Microsoft-Original-Message-ID"]  # Microsoft rewrote it
    assert len(mail.deliveries) == 1
    assert len(mail.messages("ops@example.test", mail.sent)) == 1  # its copy, not ours too
    assert exchange.refused == []
    assert oauth.refreshes >= 2  # the agents' servers and the sessions' took turns
