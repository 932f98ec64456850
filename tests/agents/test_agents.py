"""``ai-employee cloud`` and ``ai-employee local`` as commands, on a real Dovecot + SMTP and
the Odoo stand-in, sharing one vault: the cloud drafts, a person approves by moving files,
the local agent executes, files, and covers email while the cloud is away."""

from __future__ import annotations

import json
import signal
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from devstack.mail_servers import MailServers
from devstack.stack import wait_until
from shared.signals import Signals
from shared.state_dir import default_state_dir
from tests.support.agent_runs import BIN, INVOICE_TASK, agent_env, create_task, run_agent
from tests.support.approving import approve_all
from tests.support.mail_fixtures import incoming
from tests.support.node_tools import ROOT
from tests.support.odoo_fixtures import count


def test_cloud_drafts_local_executes(mail: MailServers, odoo, vault_path: Path) -> None:
    mail_env = mail.settings_env("ops@example.test")
    cloud_env = agent_env(mail_env, odoo.url, vault_path, "cloud")
    local_env = agent_env(mail_env, odoo.url, vault_path, "local")
    mail.deliver("ops@example.test", incoming())
    create_task(vault_path, cloud_env, "Invoice Azure for November", INVOICE_TASK)

    cloud = run_agent(cloud_env, "cloud")
    assert cloud.returncode == 0, cloud.stderr
    pending = sorted(p.name for p in (vault_path / "Pending_Approval").rglob("appr-*.md"))
    assert len(pending) == 2, cloud.stderr
    assert count(odoo, "account.move", [["state", "=", "draft"]]) == 1
    assert len(mail.messages("ops@example.test", "Drafts")) == 1
    assert mail.deliveries == []  # the cloud never sends
    updates = list((vault_path / "Updates").glob("*.md"))
    assert len(updates) == 2

    approve_all(vault_path)
    local = run_agent(local_env, "local")
    assert local.returncode == 0, local.stderr
    wait_until(lambda: mail.messages("client@example.test"))
    assert len(mail.deliveries) == 1
    assert count(odoo, "account.move", [["state", "=", "posted"]]) == 1
    assert list((vault_path / "Approved").glob("*.md")) == []
    assert len(list((vault_path / "Done").glob("appr-*.md"))) == 2
    assert len(list((vault_path / "Done").glob("email-*.md"))) == 1
    assert len(list((vault_path / "Done").glob("accounting-*.md"))) == 1
    dashboard = (vault_path / "Dashboard.md").read_text()
    assert "Reply to" in dashboard or "drafted" in dashboard.lower()

    again = run_agent(cloud_env, "cloud")  # nothing new: nothing done twice
    assert again.returncode == 0
    assert list((vault_path / "Pending_Approval").rglob("appr-*.md")) == []
    assert len(mail.messages("ops@example.test", "Drafts")) == 0
    health = json.loads((default_state_dir(vault_path) / "health-local-agent.json").read_text())
    assert health["state"] == "stopped" and health["counters"]["executed_send_email"] == 1


def test_local_covers_email_only_while_the_cloud_is_away(
    mail: MailServers, odoo, vault_path: Path
) -> None:
    local_env = agent_env(
        mail.settings_env("ops@example.test"), odoo.url, vault_path, "local", AIE_LEASE_MINUTES="1"
    )
    mail.deliver("ops@example.test", incoming())
    Signals(vault_path).beat("cloud-agent", "cloud", note="alive")  # the cloud is here
    assert run_agent(local_env, "local").returncode == 0
    assert list((vault_path / "Pending_Approval").rglob("appr-*.md")) == []  # left to the cloud

    two_minutes_ago = datetime.now(UTC) - timedelta(minutes=2)
    Signals(vault_path, lambda: two_minutes_ago).beat(
        "cloud-agent", "cloud"
    )  # the cloud went quiet
    covered = run_agent(local_env, "local")
    assert covered.returncode == 0, covered.stderr
    (request,) = list((vault_path / "Pending_Approval" / "email").glob("appr-*.md"))
    assert "local-agent" in request.read_text()
    assert any("covers email" in p.read_text() for p in (vault_path / "Updates").rglob("*.md"))


def test_sigterm_finishes_the_pass_and_stops_cleanly(
    mail: MailServers, odoo, vault_path: Path
) -> None:
    env = agent_env(mail.settings_env("ops@example.test"), odoo.url, vault_path, "local")
    proc = subprocess.Popen(
        [str(BIN / "ai-employee"), "local", "--interval", "0.5"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    health_file = default_state_dir(vault_path) / "health-local-agent.json"
    try:
        wait_until(
            lambda: health_file.is_file() and json.loads(health_file.read_text())["passes"] >= 1,
            timeout=60,
        )
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()  # never left running when a step above fails
        proc.wait()
    assert proc.returncode == 0, err
    assert "finishing the current pass" in err
    assert json.loads(health_file.read_text())["state"] == "stopped"


def test_wrong_role_is_refused(mail: MailServers, odoo, vault_path: Path) -> None:
    env = agent_env(mail.settings_env("ops@example.test"), odoo.url, vault_path, "local")
    done = run_agent(env, "cloud")
    assert done.returncode == 2 and "needs AIE_ROLE=cloud" in done.stdout + done.stderr


def test_claude_code_not_logged_in_falls_back_to_the_rules(
    mail: MailServers, odoo, vault_path: Path, tmp_path: Path
) -> None:
    """With AIE_CLAUDE_CODE=1 the real Claude Code CLI gets the task; logged out, it fails,
    and the built-in rules draft the reply instead: the mail is never left unanswered."""
    claude = ROOT / ".tools" / "node_modules" / ".bin" / "claude"
    if not claude.exists():
        pytest.skip(
            "NOT RUN: the Claude Code CLI is not installed in .tools/; run scripts/bootstrap.sh"
        )
    home = tmp_path / "home"
    home.mkdir()
    env = agent_env(mail.settings_env("ops@example.test"), odoo.url, vault_path, "cloud") | {
        "AIE_CLAUDE_CODE": "1",
        "AIE_CLAUDE_COMMAND": str(claude),
        "HOME": str(home),
    }
    mail.deliver("ops@example.test", incoming())
    done = run_agent(env, "cloud")
    assert done.returncode == 0, done.stderr
    assert "Claude Code failed" in done.stderr and "Not logged in" in done.stderr
    assert len(list((vault_path / "Pending_Approval" / "email").glob("appr-*.md"))) == 1


def test_automated_mail_is_filed_without_a_reply(mail: MailServers, odoo, vault_path) -> None:
    """RFC 3834: an out-of-office and a newsletter become tasks, are completed as
    no_action with the reason, and get no draft and no approval request."""
    mail_env = mail.settings_env("ops@example.test")
    cloud_env = agent_env(mail_env, odoo.url, vault_path, "cloud")
    mail.deliver(
        "ops@example.test",
        incoming(subject="Out of office", message_id="<ooo@x.test>", Auto_Submitted="auto-replied"),
    )
    mail.deliver(
        "ops@example.test",
        incoming(
            subject="Our November news",
            message_id="<news@x.test>",
            Precedence="bulk",
            List_Id="<news.partner.example>",
        ),
    )
    mail.deliver("ops@example.test", incoming(message_id="<person@x.test>"))
    cloud = run_agent(cloud_env, "cloud")
    assert cloud.returncode == 0, cloud.stderr
    pending = list((vault_path / "Pending_Approval").rglob("appr-*.md"))
    assert len(pending) == 1  # the person's mail only
    assert len(mail.messages("ops@example.test", "Drafts")) == 1
    done = [p.read_text() for p in (vault_path / "Done").glob("email-*.md")]
    assert len(done) == 2
    assert all("outcome: no_action" in text and "Filed, not answered" in text for text in done)
    assert any("Auto-Submitted: auto-replied" in text for text in done)
    assert any("Precedence: bulk" in text for text in done)
    notes = [p.read_text() for p in (vault_path / "Updates").glob("*.md")]
    assert sum("Filed without a reply" in n for n in notes) == 2


def test_odoo_mcp_starts_only_for_a_pass_that_needs_it(
    mail: MailServers, odoo, vault_path: Path
) -> None:
    cloud_env = agent_env(mail.settings_env("ops@example.test"), odoo.url, vault_path, "cloud")
    idle = run_agent(cloud_env, "cloud")  # no mail, no task
    assert idle.returncode == 0, idle.stderr
    assert "the email server is ready" in idle.stderr  # the cloud reads the inbox every pass
    assert "the odoo server is ready" not in idle.stderr

    create_task(vault_path, cloud_env, "Invoice Azure for November", INVOICE_TASK)
    busy = run_agent(cloud_env, "cloud")
    assert busy.returncode == 0, busy.stderr
    assert "the odoo server is ready" in busy.stderr
    assert count(odoo, "account.move", [["state", "=", "draft"]]) == 1


def test_an_odoo_server_that_cannot_start_releases_the_task_with_why(
    mail: MailServers, odoo, vault_path: Path
) -> None:
    cloud_env = agent_env(
        mail.settings_env("ops@example.test"), "odoo.example.com", vault_path, "cloud"
    )
    create_task(vault_path, cloud_env, "Invoice Azure for November", INVOICE_TASK)
    run = run_agent(cloud_env, "cloud")
    assert run.returncode == 0, run.stderr  # the agent goes on with what it can do
    assert "the odoo server did not start" in run.stderr
    (task,) = (vault_path / "Needs_Action").rglob("*.md")
    assert "the odoo server did not start" in task.read_text()
    assert count(odoo, "account.move", []) == 0
