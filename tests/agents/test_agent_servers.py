"""An agent's own MCP servers (orchestrator.mcp_processes): started once over HTTP on
loopback, started again when one dies, and stopped promptly even with a client's stream
open, or by themselves when the agent is gone."""

from __future__ import annotations

import signal
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import pytest

from orchestrator.mcp_processes import HttpServers
from orchestrator.toolbox import ToolBox, ToolFailed
from orchestrator.vault_init import init_vault
from tests.support.http_servers import agent_servers, connected


@asynccontextmanager
async def laptop_servers(tmp_path: Path) -> AsyncIterator[HttpServers]:
    vault = tmp_path / "Vault"
    init_vault(vault)
    async with agent_servers(vault, "local") as servers:
        yield servers


@pytest.mark.anyio
async def test_a_server_that_dies_is_started_again_at_its_next_use(tmp_path: Path) -> None:
    async with laptop_servers(tmp_path) as servers:
        async with ToolBox(("vault",), {}, ("vault",), http=servers) as tools:
            assert (await tools.call("vault", "task_list"))["tasks"] == []
            first = servers.process("vault")
            first.kill()
            first.wait()
            with pytest.raises(ToolFailed, match="stopped during the call"):
                await tools.call("vault", "task_list")
            assert (await tools.call("vault", "task_list"))["tasks"] == []
            assert servers.starts["vault"] == 2
            assert servers.process("vault").pid != first.pid
            # a Claude Code session asking for it now gets the new one
            assert (await tools.endpoints(("vault",)))["vault"] == await servers.url("vault")


@pytest.mark.anyio
async def test_a_server_stops_on_sigterm_with_a_clients_listen_stream_open(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Claude Code holds a ``subscriptions/listen`` stream open for the whole session: the
    server ends it (the client sees a graceful end) and stops, unkilled."""
    async with laptop_servers(tmp_path) as servers:
        url = await servers.url("vault")
        async with connected(url, servers.token, mode="auto") as client:
            async with client.listen(tools_list_changed=True) as subscription:
                process = servers.process("vault")
                await servers.aclose()  # SIGTERM, and SIGKILL if it were still running
                events = [event async for event in subscription]  # ends, not lost
        assert events == []
        # it stopped on the SIGTERM (uvicorn raises it again on its way out), unkilled
        assert process.returncode in (0, -signal.SIGTERM)
    stderr = capfd.readouterr().err
    # uvicorn says so when it had to cancel a stream after its graceful timeout
    assert "Cancel" not in stderr and "Traceback" not in stderr, stderr


@pytest.mark.anyio
async def test_a_server_stops_by_itself_when_its_agent_is_gone(tmp_path: Path) -> None:
    async with laptop_servers(tmp_path) as servers:
        await servers.url("vault")
        process = servers.process("vault")
        assert process.stdin is not None
        process.stdin.close()  # what the kernel does when the agent dies, however it dies
        deadline = time.monotonic() + 30
        while process.poll() is None and time.monotonic() < deadline:
            await anyio.sleep(0.05)
        assert process.returncode in (0, -signal.SIGTERM)
        # positive control: the agent starts it again at its next use
        await servers.url("vault")
        assert servers.alive("vault")
