"""Running the agents with the real Claude Code CLI against the scripted model, and the
real tool lists of each role that the skills are checked against."""

from __future__ import annotations

import re
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters

from devstack.scripted_model import ScriptedModel
from tests.support.node_tools import ROOT, node_tool

SKILLS_DIR = ROOT / ".claude" / "skills"
TOOL_NAME = re.compile(r"mcp__(vault|email|odoo)__([a-z_]+)")
BIN = ROOT / ".venv" / "bin"
DEAD = {  # settings whose services do not answer: the servers start and list their tools
    "AIE_IMAP_HOST": "127.0.0.1",
    "AIE_IMAP_PORT": "9",
    "AIE_IMAP_USER": "ops@example.test",
    "AIE_IMAP_PASSWORD": "x",
    "AIE_IMAP_SECURITY": "none",
    "AIE_SMTP_HOST": "127.0.0.1",
    "AIE_SMTP_PORT": "9",
    "AIE_SMTP_USER": "ops@example.test",
    "AIE_SMTP_PASSWORD": "x",
    "AIE_SMTP_SECURITY": "none",
    "AIE_ODOO_URL": "http://127.0.0.1:9",
    "AIE_ODOO_DB": "acme",
    "AIE_ODOO_USER": "ops",
    "AIE_ODOO_PASSWORD": "x",
}


def claude_code_env(model: ScriptedModel, home: Path, timeout_s: float = 90) -> dict[str, str]:
    """The agent settings that hand each task to the real CLI, talking to ``model``, in a
    throwaway HOME (nobody's real Claude configuration is read or changed)."""
    home.mkdir(parents=True, exist_ok=True)
    return model.env() | {
        "HOME": str(home),
        "AIE_CLAUDE_CODE": "1",
        "AIE_CLAUDE_COMMAND": str(node_tool("claude")),
        "AIE_CLAUDE_TIMEOUT": str(timeout_s),
        "CLAUDE_CODE_MAX_RETRIES": "1",
    }


def skill_text(skill: str) -> str:
    return (SKILLS_DIR / skill / "SKILL.md").read_text("utf-8")


def tools_named(skill: str) -> list[str]:
    """Every ``mcp__<server>__<tool>`` the skill names, in the order it names them."""
    return [f"mcp__{server}__{tool}" for server, tool in TOOL_NAME.findall(skill_text(skill))]


def follows_skill_order(called: list[str], skill: str) -> bool:
    """True when the calls are in an order the skill's text prescribes: each call is named
    at or after the place where the previous one was named."""
    named, at = tools_named(skill), 0
    for name in called:
        try:
            at = named.index(name, at)
        except ValueError:
            return False
    return True


def role_tools(role: str, vault: Path) -> set[str]:
    """The tools the three servers really register on ``role``, as Claude Code names them."""

    async def listing() -> set[str]:
        names: set[str] = set()
        for server in ("vault", "email", "odoo"):
            env = DEAD | {"AIE_ROLE": role, "AIE_VAULT": str(vault)}
            params = StdioServerParameters(command=str(BIN / f"{server}-mcp"), args=[], env=env)
            async with Client(params, mode="legacy") as client:
                listed = await client.list_tools()
                names |= {f"mcp__{server}__{tool.name}" for tool in listed.tools}
        return names

    return anyio.run(listing)
