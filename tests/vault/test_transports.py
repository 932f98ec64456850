"""The real ``vault-mcp`` command: over stdio in both protocol modes, and driven by the MCP
Inspector CLI (what a person uses to poke at a server). Streamable HTTP, which needs a
bearer token, is tested in ``tests/security/test_http_needs_a_token.py``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters

from tests.support.node_tools import node_tool
from tests.support.tool_calls import error_text, ok

pytestmark = pytest.mark.anyio
BIN = Path(sys.executable).parent


def _params(vault: Path, role: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=str(BIN / "vault-mcp"), args=[], env={"AIE_ROLE": role, "AIE_VAULT": str(vault)}
    )


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_stdio_both_modes(vault_path: Path, mode: str) -> None:
    with anyio.fail_after(30):
        async with Client(_params(vault_path, "cloud"), mode=mode) as c:  # type: ignore[arg-type]
            names = {t.name for t in (await c.list_tools()).tools}
            assert "task_claim" in names and "approval_decide" not in names
            made = await ok(c, "task_create", domain="email", title="Over stdio", body="b")
            claim = await ok(c, "task_claim", task_id=made["id"])
            assert claim["claimed"] and claim["holder"] == "cloud-agent"
            text = await error_text(c, "task_get", task_id="email-999999999999")
            assert "no task 'email-999999999999'" in text and "task_list" in text
    assert (vault_path / "In_Progress" / "cloud-agent" / f"{made['id']}.md").is_file()


def test_inspector_cli_lists_and_calls(vault_path: Path) -> None:
    inspector = node_tool("mcp-inspector")
    base = [
        str(inspector),
        "--cli",
        "-e",
        "AIE_ROLE=cloud",
        "-e",
        f"AIE_VAULT={vault_path}",
        str(BIN / "vault-mcp"),
    ]
    listed = subprocess.run(
        base + ["--method", "tools/list"], capture_output=True, text=True, timeout=120
    )
    assert listed.returncode == 0, listed.stderr
    names = {t["name"] for t in json.loads(listed.stdout)["tools"]}
    assert "task_create" in names and "approval_decide" not in names
    called = subprocess.run(
        base
        + [
            "--method",
            "tools/call",
            "--tool-name",
            "task_create",
            "--tool-arg",
            "domain=general",
            "title=From the Inspector",
            "body=hello",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    result = json.loads(called.stdout)
    assert result.get("isError") is not True
    task_id = result["structuredContent"]["id"]
    assert (vault_path / "Needs_Action" / "general" / f"{task_id}.md").is_file()
    refused = subprocess.run(
        base
        + [
            "--method",
            "tools/call",
            "--tool-name",
            "task_claim",
            "--tool-arg",
            "task_id=../../etc/passwd",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    error = json.loads(refused.stdout)
    assert error["isError"] is True and "task_id" in error["content"][0]["text"]
