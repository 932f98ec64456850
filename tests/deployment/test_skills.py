"""The skills in .claude/skills are well formed: our own name rules, and the real Claude
Code CLI's validator (offline) with no warning."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from shared.vault_files import read_doc
from tests.support.node_tools import ROOT, node_tool

SKILLS = sorted((ROOT / ".claude" / "skills").glob("*/SKILL.md"))
KNOWN_TOOLS = re.compile(r"mcp__(vault|email|odoo)__([a-z_]+)")


@pytest.mark.parametrize("skill", SKILLS, ids=lambda p: p.parent.name)
def test_skill_frontmatter(skill: Path) -> None:
    meta = read_doc(skill).meta
    name, description = meta.get("name"), meta.get("description")
    assert name == skill.parent.name
    assert isinstance(name, str) and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name)
    assert len(name) <= 64 and "claude" not in name and "anthropic" not in name
    assert isinstance(description, str) and 0 < len(description) <= 1024
    assert "<" not in description and ">" not in description


def test_skills_name_only_tools_that_exist() -> None:
    from servers.vault_mcp.server import build_server  # noqa: F401 - the contract lives here

    contract = {
        "vault": {
            "vault_status",
            "task_create",
            "task_list",
            "task_get",
            "task_claim",
            "task_release",
            "task_complete",
            "task_fail",
            "approval_request",
            "approval_list",
            "conflicts_resolve",
            "heartbeat",
            "update_post",
            "audit_query",
            "approval_decide",
            "dashboard_refresh",
        },
        "email": {
            "mail_list",
            "mail_search",
            "mail_get",
            "mail_draft_reply",
            "mail_request_send",
            "mail_triage",
            "mail_send_approved",
            "mail_suggest_reply",
        },
        "odoo": {
            "partner_find",
            "partner_create",
            "invoice_create_draft",
            "invoice_list",
            "invoice_get",
            "invoice_request_post",
            "payment_request",
            "account_summary",
            "invoice_post_approved",
            "payment_register_approved",
        },
    }
    for skill in SKILLS:
        for server, tool in KNOWN_TOOLS.findall(skill.read_text()):
            assert tool in contract[server], f"{skill.parent.name} names unknown {tool}"


def test_claude_plugin_validate(tmp_path: Path) -> None:
    claude = node_tool("claude")
    out = subprocess.run(
        [str(claude), "plugin", "validate", "."],
        cwd=ROOT,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    text = out.stdout + out.stderr
    assert "Validation passed" in text, text
    assert "warning" not in text.lower(), text
