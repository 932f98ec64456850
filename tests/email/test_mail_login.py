"""``ai-employee mail login``: the first OAuth 2.0 sign-in, by the device code (Microsoft's
way, which a headless VM can use) and by a browser with a loopback redirect (Google's way),
against the local authorization server; the refresh token is then what the email server
signs in with."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from devstack.oauth_provider import OAuthProvider
from servers.email_mcp.service import EmailService
from shared.settings import CoreSettings, ImapSettings, MailAuth
from tests.support.mail_fixtures import ensure_dovecot, incoming

BIN = Path(sys.executable).parent
USER = "ops@example.test"


def _env(vault: Path, provider: OAuthProvider, **flow: str) -> dict[str, str]:
    return dict(
        os.environ,
        AIE_ROLE="cloud",
        AIE_VAULT=str(vault),
        AIE_IMAP_HOST="127.0.0.1",
        AIE_IMAP_PORT="993",
        AIE_IMAP_USER=USER,
        AIE_OAUTH_CLIENT_ID="aie-test-client",
        AIE_OAUTH_TOKEN_URL=provider.token_url,
        **flow,
    )


def _run(env: dict[str, str], answer: Any, *args: str) -> tuple[int, str]:
    """Run the command; ``answer`` is called with each line it prints (the person)."""
    proc = subprocess.Popen(
        [str(BIN / "ai-employee"), "mail", "login", "custom", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        threading.Thread(target=answer, args=(line,), daemon=True).start()
    return proc.wait(60), "".join(lines)


def _signed_in_store(vault: Path) -> Path:
    settings = CoreSettings(role="cloud", vault=vault)
    (stored,) = (settings.state_path / "oauth").glob("*.json")
    assert stat.S_IMODE(os.stat(stored).st_mode) == 0o600
    return stored


def test_device_code_sign_in(vault_path: Path) -> None:
    with OAuthProvider() as provider:
        env = _env(vault_path, provider, AIE_OAUTH_DEVICE_URL=provider.device_url)

        def person(line: str) -> None:
            if code := re.search(r"enter the code ([0-9A-F]{8})", line):
                time.sleep(0.3)
                provider.approve_device(code.group(1), USER)

        code, out = _run(env, person)
        assert code == 0, out
        assert "enter the code" in out and f"Signed in as {USER}" in out
        stored = _signed_in_store(vault_path)
        assert "rt-" in stored.read_text() and "rt-" not in out  # not shown without asking


def test_browser_sign_in_with_a_loopback_redirect(vault_path: Path) -> None:
    with OAuthProvider() as provider:
        env = _env(vault_path, provider, AIE_OAUTH_AUTHORIZE_URL=provider.authorize_url)

        def browser(line: str) -> None:
            if line.startswith("http://127.0.0.1"):
                httpx.get(line.strip(), follow_redirects=True, timeout=10)

        code, out = _run(env, browser, "--show-token")
        assert code == 0, out
        printed = [line for line in out.splitlines() if line.startswith("rt-")]
        assert len(printed) == 1  # --show-token: once, for the other machine's .env
        assert printed[0] in _signed_in_store(vault_path).read_text()


@pytest.mark.anyio
async def test_the_email_server_signs_in_with_what_login_kept(
    vault_path: Path, make_settings: Any
) -> None:
    from devstack.mail_servers import MailServers

    ensure_dovecot()
    with OAuthProvider() as provider, MailServers(profile="gmail", oauth=provider) as mail:
        env = _env(vault_path, provider, AIE_OAUTH_DEVICE_URL=provider.device_url)

        def person(line: str) -> None:
            if code := re.search(r"enter the code ([0-9A-F]{8})", line):
                time.sleep(0.3)
                provider.approve_device(code.group(1), USER)

        assert _run(env, person)[0] == 0
        auth = MailAuth(
            mail_auth="oauth2",
            oauth_provider="custom",
            oauth_token_url=provider.token_url,
            oauth_client_id="aie-test-client",
        )  # no AIE_OAUTH_REFRESH_TOKEN: the stored one is used
        imap = ImapSettings(
            host="127.0.0.1", port=mail.imaps_port, user=USER, security="ssl",
            ca_file=mail.ca_file, timeout_s=10,
        )  # fmt: skip
        mail.deliver(USER, incoming())
        service = EmailService(make_settings("cloud"), imap, None, auth=auth)
        assert len((await service.triage()).created) == 1
        await service.close()
