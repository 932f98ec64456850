"""An agent's servers over HTTP (orchestrator.mcp_processes) for a test, stopped after it,
and an MCP client session to one of them with a given bearer token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from orchestrator.claude_code import session_scopes
from orchestrator.mcp_processes import HttpServers


@asynccontextmanager
async def agent_servers(vault: Path, role: str) -> AsyncIterator[HttpServers]:
    """The servers an agent of ``role`` runs on ``vault``, with the sessions' scopes."""
    servers = HttpServers({"AIE_ROLE": role, "AIE_VAULT": str(vault)}, session_scopes())
    try:
        yield servers
    finally:
        with anyio.CancelScope(shield=True):
            await servers.aclose()


@asynccontextmanager
async def connected(url: str, token: str, mode: str = "legacy") -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx2.AsyncClient(headers=headers, trust_env=False) as http:
        transport = streamable_http_client(url, http_client=http)
        async with Client(transport, mode=mode) as client:
            yield client
