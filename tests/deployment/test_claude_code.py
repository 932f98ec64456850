"""The real Claude Code CLI (offline) loads our .mcp.json and connects to our servers."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.support.node_tools import ROOT, node_tool


def _claude_mcp_list(tmp_path: Path, vault: Path, cwd: Path, role: str) -> dict[str, str]:
    claude = node_tool("claude")
    home = tmp_path / "home"
    (home / ".claude").mkdir(parents=True)
    (home / ".claude" / "settings.json").write_text(
        json.dumps({"enableAllProjectMcpServers": True})
    )
    env = {
        "HOME": str(home),
        "PATH": os.environ["PATH"],
        "AIE_ROLE": role,
        "AIE_VAULT": str(vault),
        "AIE_BIN": str(ROOT / ".venv" / "bin"),
    }
    out = subprocess.run(
        [str(claude), "mcp", "list"], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    lines = {}
    for line in out.stdout.splitlines():
        name, sep, rest = line.partition(":")
        if sep and name.strip() in ("vault", "email", "odoo"):
            lines[name.strip()] = rest
    return lines


@pytest.mark.parametrize("role", ["cloud", "local"])
def test_project_mcp_json_connects(tmp_path: Path, vault_path: Path, role: str) -> None:
    servers = _claude_mcp_list(tmp_path, vault_path, ROOT, role)
    assert "Connected" in servers["vault"], servers


@pytest.mark.parametrize("role", ["cloud", "local"])
def test_deployment_mcp_json_connects(tmp_path: Path, vault_path: Path, role: str) -> None:
    workdir = tmp_path / "agent"
    workdir.mkdir()
    (workdir / ".mcp.json").write_text((ROOT / "deployment" / role / ".mcp.json").read_text())
    servers = _claude_mcp_list(tmp_path, vault_path, workdir, role)
    assert "Connected" in servers["vault"], servers
    config = json.loads((workdir / ".mcp.json").read_text())
    assert {s["env"]["AIE_ROLE"] for s in config["mcpServers"].values()} == {role}
