"""The agents' MCP client side: one stdio session per server, the same tools Claude Code
calls, and one exception for a tool that answered with an error."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

import anyio
from mcp import Client, StdioServerParameters

__all__ = ["SERVERS", "ToolBox", "ToolFailed"]

SERVERS = ("vault", "email", "odoo")
log = logging.getLogger("ai-employee")
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
    """Open sessions to the servers an agent uses; call their tools by name.

    The servers start side by side: each spends most of its start importing the MCP SDK,
    so on two cores three of them are ready in half the time they take one by one."""

    def __init__(self, servers: tuple[str, ...], env: dict[str, str]) -> None:
        self.wanted = servers
        self.env = env
        self.clients: dict[str, Client] = {}
        self._group = anyio.create_task_group()
        self._closing = anyio.Event()

    async def __aenter__(self) -> ToolBox:
        await self._group.__aenter__()
        failures: list[BaseException] = []
        ready = {server: anyio.Event() for server in self.wanted}
        for server in self.wanted:
            self._group.start_soon(self._hold, server, ready[server], failures)
        for event in ready.values():
            await event.wait()
        if failures:
            await self.__aexit__()
            raise failures[0]
        return self

    async def _hold(self, server: str, ready: anyio.Event, failures: list[BaseException]) -> None:
        """One server's session, open until the toolbox closes."""
        try:
            client = Client(
                server_params(server, self.env), mode="legacy", read_timeout_seconds=120
            )
            async with client:
                self.clients[server] = client
                ready.set()
                await self._closing.wait()
        except Exception as error:
            if not ready.is_set():
                failures.append(error)
            else:  # its next call fails, and the agent stops for its supervisor to restart
                log.error("the %s server stopped: %r", server, error)
        finally:
            ready.set()

    async def __aexit__(self, *exc: object) -> None:
        self._closing.set()
        await self._group.__aexit__(None, None, None)

    def has(self, server: str) -> bool:
        return server in self.clients

    async def call(self, server: str, tool: str, **args: Any) -> dict[str, Any]:
        result = await self.clients[server].call_tool(tool, args)
        if result.is_error:
            text = getattr(result.content[0], "text", "") if result.content else ""
            raise ToolFailed(server, tool, text)
        content: dict[str, Any] = result.structured_content or {}
        return content
