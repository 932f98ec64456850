"""The agents' MCP client side: one session per server (over HTTP to the agent's running
servers, or over stdio to a server of its own), the same tools Claude Code calls, and one
exception for a tool that answered with an error."""

from __future__ import annotations

import logging
import sys
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any, TypeVar

import anyio
import httpx2
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from pydantic import BaseModel, ValidationError

from orchestrator.mcp_processes import HttpServers, passed_environment

__all__ = ["SERVERS", "ToolBox", "ToolFailed"]

SERVERS = ("vault", "email", "odoo")
log = logging.getLogger("ai-employee")
READ_TIMEOUT_S = 120


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
    args = ["--unattended"] if server == "vault" else []
    return StdioServerParameters(command=command, args=args, env=passed_environment(env))


class ToolBox:
    """Sessions to the servers an agent uses; call their tools by name.

    With ``http``, the sessions go to the agent's running servers (which its Claude Code
    sessions reach too); without, each server is a stdio process of this toolbox.

    The ``eager`` servers start at once and side by side (each spends most of its start
    importing the MCP SDK, so on two cores two of them are ready in little more than the
    time of one). The others start at their first call: a pass with no invoice never pays
    for odoo-mcp. A server that could not start, or stopped, is started again at the next
    call; until then its calls fail with :class:`ToolFailed`."""

    def __init__(
        self,
        servers: tuple[str, ...],
        env: dict[str, str],
        eager: tuple[str, ...] = SERVERS,
        http: HttpServers | None = None,
    ) -> None:
        self.wanted = servers
        self.eager = tuple(server for server in servers if server in eager)
        self.env = env
        self.http = http
        self.clients: dict[str, Client] = {}
        self._starting = {server: anyio.Lock() for server in servers}
        self._group = anyio.create_task_group()
        self._closing = anyio.Event()
        self._dropped: dict[str, anyio.Event] = {}

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

    async def _client(self, server: str, stack: AsyncExitStack) -> Client:
        if self.http is None:
            return Client(
                server_params(server, self.env), mode="legacy", read_timeout_seconds=READ_TIMEOUT_S
            )
        url = await self.http.url(server)
        http = httpx2.AsyncClient(
            headers={"Authorization": f"Bearer {self.http.token}"},
            timeout=httpx2.Timeout(30, read=READ_TIMEOUT_S),
            trust_env=False,  # loopback: never through a proxy the environment names
        )
        await stack.enter_async_context(http)
        transport = streamable_http_client(url, http_client=http)
        return Client(transport, mode="legacy", read_timeout_seconds=READ_TIMEOUT_S)

    async def _hold(self, server: str, ready: anyio.Event, failures: list[BaseException]) -> None:
        """One server's session, open until the toolbox closes or drops it."""
        dropped = self._dropped[server] = anyio.Event()
        client: Client | None = None
        try:
            async with AsyncExitStack() as stack:
                client = await self._client(server, stack)
                await stack.enter_async_context(client)
                self.clients[server] = client
                ready.set()
                async with anyio.create_task_group() as waiting:

                    async def until(event: anyio.Event) -> None:
                        await event.wait()
                        waiting.cancel_scope.cancel()

                    waiting.start_soon(until, self._closing)
                    waiting.start_soon(until, dropped)
        except Exception as error:
            if not ready.is_set():
                failures.append(error)
            else:  # its next call starts it again
                log.error("the %s server stopped: %r", server, error)
        finally:
            if client is not None and self.clients.get(server) is client:
                del self.clients[server]
            ready.set()

    async def __aexit__(self, *exc: object) -> None:
        self._closing.set()
        await self._group.__aexit__(None, None, None)

    async def endpoints(self, servers: tuple[str, ...]) -> dict[str, str]:
        """The URLs of the running ``servers`` (started now if need be), for a Claude Code
        session."""
        if self.http is None:
            raise RuntimeError("a Claude Code session needs the agent's servers over HTTP")
        return {server: await self.http.url(server) for server in servers}

    def session_token(self, scope: str) -> str:
        """The token of a Claude Code session of ``scope``: only its tools."""
        if self.http is None:
            raise RuntimeError("a Claude Code session needs the agent's servers over HTTP")
        return self.http.scope_token(scope)

    def _drop(self, server: str) -> None:
        self.clients.pop(server, None)
        if server in self._dropped:
            self._dropped[server].set()

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
        try:
            result = await client.call_tool(tool, args)
        except Exception as error:
            if self.http is None or self.http.alive(server):
                raise
            self._drop(server)  # it died: started again at the next call
            text = f"the {server} server stopped during the call: {error!r}"
            raise ToolFailed(server, tool, text) from error
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
