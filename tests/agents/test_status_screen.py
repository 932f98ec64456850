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
    cloud.request_approval(
        task.id, "send_email", {"to": ["alice@example.test"]}, "Send the reply to Alice"
    )
    local = Vault(CoreSettings(role="local", vault=vault_path))
    local.signals.beat("local-agent", "local", note="pass 3")
    health = Health("local-agent", "local", vault_path / ".aie" / "health-local-agent.json")
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
    assert "Send the reply to Alice" in text
    assert "local-agent: " in text and "refused the login" in text  # the agent's last error
