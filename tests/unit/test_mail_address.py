"""AIE_MAIL_ADDRESS: the mailbox's own address, the From of drafts and sends on both
roles; the IMAP user by default when that is an address; one clear line at start when
neither is; AIE_SMTP_FROM_ADDRESS still read as its deprecated alias."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from orchestrator.vault_init import init_vault
from shared.settings import MailIdentity

BIN = Path(sys.executable).parent


def _identity(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **env: str) -> MailIdentity:
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    for name in ("AIE_MAIL_ADDRESS", "AIE_SMTP_FROM_ADDRESS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return MailIdentity()


@pytest.mark.parametrize(
    ("env", "imap_user", "expected"),
    [
        ({}, "ops@example.test", "ops@example.test"),
        ({"AIE_MAIL_ADDRESS": "hello@example.test"}, "ops", "hello@example.test"),
        ({"AIE_MAIL_ADDRESS": "hello@example.test"}, "ops@example.test", "hello@example.test"),
        ({"AIE_SMTP_FROM_ADDRESS": "old@example.test"}, "ops", "old@example.test"),
    ],
)
def test_the_address_used(monkeypatch, tmp_path, env, imap_user, expected) -> None:
    assert _identity(monkeypatch, tmp_path, **env).address(imap_user) == expected


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({}, "AIE_MAIL_ADDRESS: is not set and the IMAP user 'ops' is not an email address"),
        ({"AIE_MAIL_ADDRESS": "ops"}, "AIE_MAIL_ADDRESS: 'ops' is not an email address"),
    ],
)
def test_no_address_is_refused(monkeypatch, tmp_path, env, says) -> None:
    with pytest.raises(ValueError) as refused:
        _identity(monkeypatch, tmp_path, **env).address("ops")
    assert says in str(refused.value)


def _bare_user_env(tmp_path: Path) -> dict[str, str]:
    vault = tmp_path / "Vault"
    init_vault(vault)
    return {
        "PATH": os.environ["PATH"],
        "AIE_ROLE": "cloud",
        "AIE_VAULT": str(vault),
        "AIE_IMAP_HOST": "127.0.0.1",
        "AIE_IMAP_PORT": "1",
        "AIE_IMAP_USER": "ops",
        "AIE_IMAP_PASSWORD": "s3cret-pw",
        "AIE_IMAP_SECURITY": "none",
    }


def test_the_agent_refuses_to_start_with_one_line(tmp_path) -> None:
    done = subprocess.run(
        [str(BIN / "ai-employee"), "cloud"],
        env=_bare_user_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert "setting AIE_MAIL_ADDRESS: is not set" in line and "s3cret" not in line


def test_the_agent_refuses_a_missing_mail_password_before_it_starts_the_server(
    tmp_path,
) -> None:
    """Exit 2 (a configuration error, which PM2 leaves stopped) naming the setting, not exit
    1 when the email server it started dies of it."""
    change = {"AIE_IMAP_USER": "ops@example.test", "AIE_IMAP_PASSWORD": ""}
    named = "AIE_IMAP_PASSWORD"
    env = {k: v for k, v in (_bare_user_env(tmp_path) | change).items() if v}
    done = subprocess.run(
        [str(BIN / "ai-employee"), "cloud"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2, done.stderr
    assert named in done.stderr and "Traceback" not in done.stderr


@pytest.mark.anyio
async def test_email_mcp_says_so_at_start_and_refuses_to_draft(tmp_path) -> None:
    """It still starts (reading and triage need no address; the public contract starts it
    this way), names the setting in one line, and drafting names it again."""
    env = _bare_user_env(tmp_path)
    errlog = (tmp_path / "stderr.txt").open("w+")
    params = StdioServerParameters(command=str(BIN / "email-mcp"), args=[], env=env)
    with anyio.fail_after(60):
        async with stdio_client(params, errlog=errlog) as streams, ClientSession(*streams) as c:
            await c.initialize()
            result = await c.call_tool("mail_draft_reply", {"uid": 1, "body": "Hello"})
    assert result.is_error
    assert "AIE_MAIL_ADDRESS: is not set" in result.content[0].text  # type: ignore[union-attr]
    errlog.seek(0)
    (line,) = [x for x in errlog.read().splitlines() if "AIE_MAIL_ADDRESS" in x]
    assert line.startswith("email-mcp: setting AIE_MAIL_ADDRESS") and "s3cret" not in line
