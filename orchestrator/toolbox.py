"""The agents' MCP client side: one stdio session per server, the same tools Claude Code
calls, and one exception for a tool that answered with an error."""

from __future__ import annotations

import os
import sys
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

from mcp import Client, StdioServerParameters

__all__ = ["SERVERS", "ToolBox", "ToolFailed"]

SERVERS = ("vault", "email", "odoo")
_PASS_THROUGH = ("PATH", "HOME", "LANG", "TZ")


class ToolFailed(Exception):
    def __init__(self, server: str, tool: str, text: str) -> None:
        super().__init__(f"{server}.{tool}: {text}")
        self.server = server
        self.tool = tool
        self.text = text


def server_params(server: str, env: dict[str, str]) -> StdioServerParameters:
    """The SDK's stdio client passes almost nothing on: hand the server its settings."""
    command = str(Path(sys.executable).parent / f"{server}-mcp")
    passed = {k: v for k, v in os.environ.items() if k.startswith("AIE_") or k in _PASS_THROUGH}
    return StdioServerParameters(command=command, args=[], env=passed | env)


class ToolBox:
    """Open sessions to the servers an agent uses; call their tools by name."""

    def __init__(self, servers: tuple[str, ...], env: dict[str, str]) -> None:
        self.wanted = servers
        self.env = env
        self.clients: dict[str, Client] = {}
        self._stack = AsyncExitStack()

    async def __aenter__(self) -> ToolBox:
        await self._stack.__aenter__()
        for server in self.wanted:
            client = Client(
                server_params(server, self.env), mode="legacy", read_timeout_seconds=120
            )
            self.clients[server] = await self._stack.enter_async_context(client)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.__aexit__(None, None, None)

    def has(self, server: str) -> bool:
        return server in self.clients

    async def call(self, server: str, tool: str, **args: Any) -> dict[str, Any]:
        result = await self.clients[server].call_tool(tool, args)
        if result.is_error:
            text = getattr(result.content[0], "text", "") if result.content else ""
            raise ToolFailed(server, tool, text)
        content: dict[str, Any] = result.structured_content or {}
        return content
