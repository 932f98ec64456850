"""The skills in .claude/skills are well formed: our own name rules, and the real Claude
Code CLI's validator (offline) with no warning."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from devstack.scripted_model import SEARCHES
from orchestrator.claude_code import NEVER_OFFERED, allowed_tools
from shared.vault_files import read_doc
from tests.support.claude_cli import role_tools, skill_text, tools_named
from tests.support.node_tools import ROOT, node_tool

SKILLS = sorted((ROOT / ".claude" / "skills").glob("*/SKILL.md"))


@pytest.mark.parametrize("skill", SKILLS, ids=lambda p: p.parent.name)
def test_skill_frontmatter(skill: Path) -> None:
    meta = read_doc(skill).meta
    name, description = meta.get("name"), meta.get("description")
    assert name == skill.parent.name
    assert isinstance(name, str) and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name)
    assert len(name) <= 64 and "claude" not in name and "anthropic" not in name
    assert isinstance(description, str) and 0 < len(description) <= 1024
    assert "<" not in description and ">" not in description


# where each skill runs; email-triage runs on the laptop too while the cloud is away
SKILL_ROLES = {
    "email-triage": ("cloud", "local"),
    "approval-execution": ("local",),
    "odoo-accounting": ("cloud", "local"),
}
NAMED_AS_ABSENT = {"email-triage": {"mcp__email__mail_send_approved"}}  # "does not exist here"
NEVER_ON_CLOUD = {
    "mcp__email__mail_send_approved",
    "mcp__odoo__invoice_post_approved",
    "mcp__odoo__payment_register_approved",
    "mcp__vault__approval_decide",
}


def test_skills_name_only_tools_their_roles_really_have(vault_path: Path) -> None:
    """Every ``mcp__<server>__<tool>`` in a SKILL.md, against the tools the three servers
    really register on each role the skill runs on."""
    tools = {role: role_tools(role, vault_path) for role in ("cloud", "local")}
    assert not NEVER_ON_CLOUD & tools["cloud"]  # role safety by construction
    assert NEVER_ON_CLOUD <= tools["local"]
    assert {p.parent.name for p in SKILLS} == set(SKILL_ROLES)
    for skill, roles in SKILL_ROLES.items():
        available = set().union(*(tools[role] for role in roles))
        for name in tools_named(skill):
            if name in NAMED_AS_ABSENT.get(skill, set()):
                assert name not in tools["cloud"], f"{skill} says {name} is absent"
                continue
            assert name in available, f"{skill} names {name}, which {roles} do not have"
        # an agent's session of this skill may call only tools its skill names and its
        # roles have, each by name: never a wildcard, never approval_decide
        allowed = allowed_tools(skill, ("vault", "email", "odoo"))
        assert allowed and not any("*" in name for name in allowed)
        assert "mcp__vault__approval_decide" not in allowed
        assert set(allowed) <= set(tools_named(skill)) & available, skill
    assert NEVER_OFFERED == ("mcp__vault__approval_decide",)
    assert allowed_tools("approval-execution", ("vault", "email")) == [
        "mcp__vault__heartbeat",
        "mcp__vault__approval_list",
        "mcp__vault__conflicts_resolve",
        "mcp__vault__task_complete",
        "mcp__vault__dashboard_refresh",
        "mcp__email__mail_send_approved",
    ]


@pytest.mark.parametrize("skill", sorted(SEARCHES))
def test_the_scripted_model_searches_with_the_skills_own_words(skill: str) -> None:
    """The words the scripted model gives Claude Code's tool search come from the skill,
    as a model that read it would choose them (the recorded sessions in
    tests/agents/test_claude_code.py show the search then finds each tool)."""
    text = skill_text(skill).lower()
    words_in_skill = set(re.findall(r"[a-z]+", text))
    for tool, query in SEARCHES[skill].items():
        assert tool in tools_named(skill), f"{skill} never names {tool}"
        missing = [w for w in query.split() if w not in words_in_skill]
        assert not missing, f"{skill}: {missing} of {query!r} are not the skill's words"


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
