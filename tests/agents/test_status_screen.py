"""``ai-employee status`` read as a person reads it: in a real terminal (tmux) 80 columns
wide, after agents ran: both agents with their process state, queues, approvals."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestrator.health import Health
from shared.settings import CoreSettings
from shared.state_dir import default_state_dir
from shared.vault import Vault

BIN = Path(sys.executable).parent


def test_status_reads_well_at_80_columns(vault_path: Path, tmp_path: Path) -> None:
    if shutil.which("tmux") is None:
        pytest.skip("NOT RUN: tmux is not installed (scripts/bootstrap.sh installs it as root)")
    cloud = Vault(CoreSettings(role="cloud", vault=vault_path))
    cloud.signals.beat("cloud-agent", "cloud", note="pass 12")
    task, _ = cloud.tasks.create(
        "email", "Reply to Alice about the October invoice", "b", source_id="<a@x>"
    )
    cloud.claims.claim(task.id)
    reply = {
        "from": "ops@example.test",
        "to": ["alice@example.test"],
        "subject": "Re: October",
        "body": "Attached.\n",
        "message_id": "<r@example.test>",
    }
    cloud.request_approval(task.id, "send_email", reply, "Send the reply to Alice")
    local = Vault(CoreSettings(role="local", vault=vault_path))
    local.signals.beat("local-agent", "local", note="pass 3")
    health = Health(
        "local-agent", "local", default_state_dir(vault_path) / "health-local-agent.json"
    )
    health.error("email.mail_send_approved: SMTP at smtp.example.com refused the login")
    health.write("stopped")

    session = f"aie-status-{os.getpid()}"
    command = f"cd {tmp_path} && AIE_VAULT={vault_path} {BIN / 'ai-employee'} status; sleep 60"
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "60", command], check=True
    )
    try:
        screen = ""
        for _ in range(100):
            time.sleep(0.1)
            screen = subprocess.run(
                ["tmux", "capture-pane", "-t", session, "-p"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            if (
                "recent errors" in screen
                and "none" in screen.split("recent errors")[1]
                or "refused" in screen
            ):
                break
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)
    lines = screen.rstrip().splitlines()
    assert all(len(line) <= 80 for line in lines)
    text = "\n".join(lines)
    assert "cloud-agent" in text and "local-agent" in text
    assert "stopped · ok pass 3" in text
    assert "in progress · cloud-agent" in text
    assert "Send “Re: October” to" in text  # rendered from the parameters
    assert "alice@example.test" in text
    assert "local-agent: " in text and "refused the login" in text  # the agent's last error


def test_status_changes_nothing_in_the_vault_or_its_state(vault_path: Path) -> None:
    """A display command: no witness of the pending approval, no file written or moved."""
    cloud = Vault(CoreSettings(role="cloud", vault=vault_path))
    task, _ = cloud.tasks.create("email", "Reply to Alice", "b", source_id="<a@x>")
    cloud.claims.claim(task.id)
    cloud.request_approval(task.id, "send_email", {"to": ["a@example.test"]}, "Send it")
    before = every_file(vault_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIE_")}
    for role in ("local", "cloud"):
        shown = subprocess.run(
            [str(BIN / "ai-employee"), "status", "--vault", str(vault_path)],
            env=env | {"AIE_ROLE": role},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert shown.returncode == 0, shown.stderr
        assert "Send it" in shown.stdout or "pending" in shown.stdout.lower()
        assert every_file(vault_path) == before


def every_file(root: Path) -> dict[str, bytes]:
    """Every file under ``root``, hidden state included, with its bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}
