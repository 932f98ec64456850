"""The agents' MCP client side: one stdio session per server, the same tools Claude Code
calls, and one exception for a tool that answered with an error."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any, TypeVar

import anyio
from mcp import Client, StdioServerParameters
from pydantic import BaseModel, ValidationError

__all__ = ["SERVERS", "ToolBox", "ToolFailed"]

SERVERS = ("vault", "email", "odoo")
log = logging.getLogger("ai-employee")
_PASS_THROUGH = ("PATH", "HOME", "LANG", "TZ", "XDG_STATE_HOME")


Result = TypeVar("Result", bound=BaseModel)


class ToolFailed(Exception):
    def __init__(self, server: str, tool: str, text: str) -> None:
        super().__init__(f"{server}.{tool}: {text}")
        self.server = server
        self.tool = tool
        self.text = text


def server_params(server: str, env: dict[str, str]) -> StdioServerParameters:
    """The SDK's stdio client passes almost nothing on: hand the server its settings. An
    agent is unattended: its vault server offers no tool that asks a person to decide."""
    command = str(Path(sys.executable).parent / f"{server}-mcp")
    passed = {k: v for k, v in os.environ.items() if k.startswith("AIE_") or k in _PASS_THROUGH}
    args = ["--unattended"] if server == "vault" else []
    return StdioServerParameters(command=command, args=args, env=passed | env)


class ToolBox:
    """Sessions to the servers an agent uses; call their tools by name.

    The ``eager`` servers start at once and side by side (each spends most of its start
    importing the MCP SDK, so on two cores two of them are ready in little more than the
    time of one). The others start at their first call: a pass with no invoice never pays
    for odoo-mcp. A server that could not start, or stopped, is started again at the next
    call; until then its calls fail with :class:`ToolFailed`."""

    def __init__(
        self, servers: tuple[str, ...], env: dict[str, str], eager: tuple[str, ...] = SERVERS
    ) -> None:
        self.wanted = servers
        self.eager = tuple(server for server in servers if server in eager)
        self.env = env
        self.clients: dict[str, Client] = {}
        self._starting = {server: anyio.Lock() for server in servers}
        self._group = anyio.create_task_group()
        self._closing = anyio.Event()

    async def __aenter__(self) -> ToolBox:
        await self._group.__aenter__()
        failures: list[BaseException] = []

        async def start(server: str) -> None:
            try:
                await self._start(server)
            except Exception as error:
                failures.append(error)

        async with anyio.create_task_group() as starting:
            for server in self.eager:
                starting.start_soon(start, server)
        if failures:
            await self.__aexit__()
            raise failures[0]
        return self

    async def _start(self, server: str) -> Client:
        async with self._starting[server]:
            if server not in self.clients:
                ready, failures = anyio.Event(), list[BaseException]()
                self._group.start_soon(self._hold, server, ready, failures)
                await ready.wait()
                if failures:
                    raise failures[0]
                log.info("the %s server is ready", server)
            return self.clients[server]

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
            else:  # its next call starts it again
                log.error("the %s server stopped: %r", server, error)
        finally:
            self.clients.pop(server, None)
            ready.set()

    async def __aexit__(self, *exc: object) -> None:
        self._closing.set()
        await self._group.__aexit__(None, None, None)

    def has(self, server: str) -> bool:
        """Whether this machine has the server configured (started or not)."""
        return server in self.wanted

    async def call(self, server: str, tool: str, **args: Any) -> dict[str, Any]:
        client = self.clients.get(server)
        if client is None:
            try:
                client = await self._start(server)
            except Exception as error:
                text = f"the {server} server did not start: {error!r}"
                raise ToolFailed(server, tool, text) from error
        result = await client.call_tool(tool, args)
        if result.is_error:
            text = getattr(result.content[0], "text", "") if result.content else ""
            raise ToolFailed(server, tool, text)
        content: dict[str, Any] = result.structured_content or {}
        return content

    async def result(self, model: type[Result], server: str, tool: str, **args: Any) -> Result:
        """Call a tool and read its result as the server's result model (``models.py``)."""
        content = await self.call(server, tool, **args)
        try:
            return model.model_validate(content)
        except ValidationError as error:
            raise ToolFailed(server, tool, f"unexpected result: {error}") from error
