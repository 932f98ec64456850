"""AIE_MAIL_ADDRESS: the mailbox's own address, the From of drafts and sends on both
roles; the IMAP user by default when that is an address; one clear line at start when
neither is; AIE_SMTP_FROM_ADDRESS still read as its deprecated alias."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

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


@pytest.mark.parametrize("command", [["email-mcp"], ["ai-employee", "cloud"]])
def test_email_mcp_and_the_agent_refuse_to_start_with_one_line(tmp_path, command) -> None:
    vault = tmp_path / "Vault"
    init_vault(vault)
    env = {
        "PATH": os.environ["PATH"],
        "AIE_ROLE": "cloud",
        "AIE_VAULT": str(vault),
        "AIE_IMAP_HOST": "127.0.0.1",
        "AIE_IMAP_PORT": "1",
        "AIE_IMAP_USER": "ops",
        "AIE_IMAP_PASSWORD": "s3cret-pw",
        "AIE_IMAP_SECURITY": "none",
    }
    done = subprocess.run(
        [str(BIN / command[0]), *command[1:]],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 2
    (line,) = done.stderr.strip().splitlines()
    assert "setting AIE_MAIL_ADDRESS: is not set" in line and "s3cret" not in line
