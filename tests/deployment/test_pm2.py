"""The PM2 ecosystem file, run by the real PM2: it starts the cloud stack (the inbox watcher
and the cloud agent); an agent killed with SIGKILL is restarted by PM2 and resumes without
losing or duplicating work."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from devstack.mail_servers import MailServers
from devstack.stack import wait_until
from shared.state_dir import default_state_dir
from tests.support.mail_fixtures import incoming
from tests.support.node_tools import ROOT

ECOSYSTEM = ROOT / "deployment" / "cloud" / "ecosystem.config.js"


def approvals(vault: Path) -> list[Path]:
    return sorted((vault / "Pending_Approval" / "email").glob("appr-*.md"))


@pytest.mark.slow
def test_pm2_runs_the_cloud_stack_and_restarts_a_killed_agent(
    pm2: Any, mail: MailServers, vault_path: Path, tmp_path: Path
) -> None:
    env = mail.settings_env("ops@example.test") | {
        "AIE_VAULT": str(vault_path),
        "AIE_HOME": str(ROOT),
        "AIE_LOG_DIR": str(tmp_path / "logs"),
    }
    env = {k: v for k, v in env.items() if not k.startswith("AIE_SMTP")}  # the cloud cannot send
    pm2("start", str(ECOSYSTEM), env=env)
    apps = wait_until(
        lambda: (
            (a := pm2.apps()) and all(x["pm2_env"]["status"] == "online" for x in a.values()) and a
        ),
        timeout=60,
    )
    assert set(apps) == {"aie-inbox-watcher", "aie-cloud-agent"}

    mail.deliver("ops@example.test", incoming())
    wait_until(lambda: len(approvals(vault_path)) == 1, timeout=60)

    agent = pm2.apps()["aie-cloud-agent"]
    os.kill(agent["pid"], signal.SIGKILL)
    restarted = wait_until(
        lambda: (
            (a := pm2.apps()["aie-cloud-agent"])["pm2_env"]["restart_time"] >= 1
            and a["pm2_env"]["status"] == "online"
            and a["pid"] != agent["pid"]
            and a
        ),
        timeout=60,
    )
    assert restarted["pid"] != agent["pid"]

    mail.deliver(
        "ops@example.test",
        incoming(subject="Second question", message_id="<q2@client.example.test>"),
    )
    wait_until(lambda: len(approvals(vault_path)) == 2, timeout=60)
    health = default_state_dir(vault_path) / "health-cloud-agent.json"
    wait_until(lambda: json.loads(health.read_text())["passes"] >= 2, timeout=60)
    assert len(approvals(vault_path)) == 2  # nothing lost, nothing twice
    assert len(mail.messages("ops@example.test", "Drafts")) == 2
    assert len(list((vault_path / "Needs_Action" / "email").glob("*.md"))) == 0
    assert mail.deliveries == []
    logs = (tmp_path / "logs" / "cloud-agent.err.log").read_text()
    assert "ops-pw" not in logs  # the IMAP password never reaches a log line
