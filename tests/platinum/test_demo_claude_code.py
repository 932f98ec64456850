"""``ai-employee demo --claude-code``: acts 1 and 2 with the real Claude Code CLI, its model
the scripted Messages API (a process, as the demo starts it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rich.console import Console

from devstack.demo import run_demo
from devstack.syncpair import require_syncthing
from tests.support.mail_fixtures import ensure_dovecot
from tests.support.node_tools import node_tool


@pytest.mark.slow
def test_the_demo_through_claude_code_shows_its_tool_calls(tmp_path: Path) -> None:
    """``ai-employee demo --claude-code``: acts 1 and 2 with the real Claude Code CLI and the
    scripted model; the same outcomes, and the timeline lists the tool calls it made."""
    ensure_dovecot()
    require_syncthing()
    node_tool("claude")
    console = Console(record=True, width=200)
    assert run_demo(console, tmp_path / "demo", claude_code=True) == 0
    out = " ".join(console.export_text().split())
    assert "replies in Alice's inbox: 1 (exactly once)" in out
    assert re.search(r"posted in Odoo as INV/\d{4}/00001", out)
    assert (
        "claude email-triage: vault.heartbeat → vault.task_get → email.mail_get → "
        "email.mail_suggest_reply → email.mail_draft_reply → email.mail_request_send → "
        "vault.update_post" in out
    )
    assert "claude odoo-accounting: vault.task_get → odoo.partner_find → " in out
    executed = re.findall(r"claude approval-execution: [^(]*", out)
    assert any("email.mail_send_approved" in line for line in executed), executed
    assert any("odoo.invoice_post_approved" in line for line in executed), executed
    assert "Claude Code sessions: 4;" in out
