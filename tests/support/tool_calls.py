"""Calling MCP tools in tests (the result, or the error text) and snapshotting a vault."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from mcp import Client


async def ok(client: Client, tool: str, **args: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, args)
    assert not result.is_error, f"{tool} failed: {result.content[0].text}"  # type: ignore[union-attr]
    assert result.structured_content is not None
    return result.structured_content


async def error_text(client: Client, tool: str, **args: Any) -> str:
    result = await client.call_tool(tool, args)
    assert result.is_error, f"{tool} should have failed, got {result.structured_content}"
    text: str = result.content[0].text  # type: ignore[union-attr]
    return text


def snapshot(root: Path) -> dict[str, str]:
    """Every file of the vault and a hash of its bytes (the audit log aside)."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "Logs" not in p.parts
    }
