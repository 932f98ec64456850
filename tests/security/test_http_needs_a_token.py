"""Attack 5: over streamable HTTP any local process (or a web page, by DNS rebinding) could
call ``approval_decide``. Now ``--transport http`` needs a bearer token, refuses to start
without one, and keeps Host and Origin checks on a bind beyond loopback."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import anyio
import httpx
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from tests.support.tool_calls import ok

BIN = Path(sys.executable).parent
TOKEN = secrets.token_urlsafe(32)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(vault: Path, **extra: str) -> dict[str, str]:
    return {
        "AIE_ROLE": "local",
        "AIE_VAULT": str(vault),
        "PATH": os.environ["PATH"],
        "XDG_STATE_HOME": os.environ["XDG_STATE_HOME"],
        **extra,
    }


def _start(vault: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "vault-mcp"), "--transport", "http", *args],
        env=_env(vault, **env),
        capture_output=True,
        text=True,
        timeout=30,
    )


@contextmanager
def serving(vault: Path, *args: str, **env: str) -> Iterator[int]:
    port = _free_port()
    proc = subprocess.Popen(
        [str(BIN / "vault-mcp"), "--transport", "http", "--port", str(port), *args],
        env=_env(vault, **env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        started = time.monotonic()
        proc.wait(15)
        assert time.monotonic() - started < 10, "the server must stop within a bounded time"


def _client(port: int, token: str) -> Client:
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
    return Client(streamable_http_client(f"http://127.0.0.1:{port}/mcp", http_client=http))


def test_no_token_no_server(vault_path: Path) -> None:
    done = _start(vault_path, "--port", str(_free_port()))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "vault-mcp: setting AIE_MCP_TOKEN: is not set (required for --transport http: clients "
        "must send it as 'Authorization: Bearer <token>'; or give --token-file)"
    ]
    short = _start(vault_path, "--port", str(_free_port()), AIE_MCP_TOKEN="guessable")
    assert short.returncode == 2 and "at least 24 characters" in short.stderr


def test_a_wide_bind_needs_its_host_names(vault_path: Path) -> None:
    done = _start(vault_path, "--host", "0.0.0.0", "--port", str(_free_port()), AIE_MCP_TOKEN=TOKEN)
    assert done.returncode == 2
    assert "AIE_MCP_ALLOWED_HOSTS" in done.stderr and "--allow-host" in done.stderr


def test_a_token_file_readable_by_others_is_refused(vault_path: Path, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    token_file.chmod(0o644)
    done = _start(vault_path, "--port", str(_free_port()), "--token-file", str(token_file))
    assert done.returncode == 2 and "chmod 600" in done.stderr


@pytest.mark.anyio
async def test_only_the_token_holder_reaches_the_tools(vault_path: Path) -> None:
    with serving(vault_path, AIE_MCP_TOKEN=TOKEN) as port:
        url = f"http://127.0.0.1:{port}/mcp"
        async with httpx.AsyncClient() as raw:
            body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
            headers = {"content-type": "application/json", "accept": "application/json"}
            for auth in ({}, {"authorization": "Bearer " + "x" * 43}, {"authorization": TOKEN}):
                refused = await raw.post(url, json=body, headers=headers | auth)
                assert refused.status_code == 401, auth
            rebinding = await raw.post(
                url,
                json=body,
                headers=headers | {"authorization": f"Bearer {TOKEN}", "host": "evil.test"},
            )
            assert rebinding.status_code == 421  # a DNS-rebound page names another host
        # positive control: the holder of the token works the vault
        with anyio.fail_after(30):
            async with _client(port, TOKEN) as client:
                names = {t.name for t in (await client.list_tools()).tools}
                assert "approval_decide" in names
                status = await ok(client, "vault_status")
                assert status["role"] == "local"


@pytest.mark.anyio
async def test_a_token_file_works(vault_path: Path, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    token_file.chmod(0o600)
    with serving(vault_path, "--token-file", str(token_file)) as port:
        with anyio.fail_after(30):
            async with _client(port, TOKEN) as client:
                assert (await ok(client, "vault_status"))["role"] == "local"
