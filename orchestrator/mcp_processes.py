"""An agent's MCP servers: each started once, serving streamable HTTP on loopback, for the
agent's own calls and for every Claude Code session it starts.

A session that spawns its own servers over stdio waits seconds for them (each imports the
MCP SDK); one that connects to servers already running waits for nothing. So:

- Each server is one process, started at its first use, listening on a loopback socket
  the agent opened (``--fd``): the port is known before the server has started, and a
  request made while it starts waits in the socket's backlog instead of failing.
- Every request carries a bearer token made for this run: the agent's own (every tool
  the server offers) or a session's, scoped to the tools of that session's skill
  (:mod:`shared.tool_scopes`). Tokens live in memory and in the environment of the
  processes that use them, never in a file.
- The vault server runs ``--unattended``: no tool that asks a person to decide.
- A server that died is started again at its next use; each server stops when the agent
  closes it (SIGTERM, then SIGKILL after :data:`STOP_S`), and by itself when the agent
  is gone (``--lifeline``: its standard input closes).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import anyio

__all__ = ["PASS_THROUGH", "STOP_S", "HttpServers", "Running", "passed_environment"]

log = logging.getLogger("ai-employee")
STOP_S = 5.0
PASS_THROUGH = ("PATH", "HOME", "LANG", "TZ", "XDG_STATE_HOME")


def passed_environment(env: Mapping[str, str]) -> dict[str, str]:
    """What a server of ours gets from the agent: its settings, nothing else."""
    passed = {k: v for k, v in os.environ.items() if k.startswith("AIE_") or k in PASS_THROUGH}
    return passed | dict(env)


@dataclass
class Running:
    process: subprocess.Popen[bytes]
    url: str

    @property
    def alive(self) -> bool:
        return self.process.poll() is None


class HttpServers:
    """The agent's servers. ``scopes``: for each session scope (a skill), the tools it may
    call on each server, e.g. ``{"email-triage": {"vault": ("task_get", ...), ...}}``."""

    def __init__(
        self, env: Mapping[str, str], scopes: Mapping[str, Mapping[str, tuple[str, ...]]]
    ) -> None:
        self.env = dict(env)
        self.scopes = {name: dict(tools) for name, tools in scopes.items()}
        self.token = secrets.token_urlsafe(32)
        self._scope_tokens = {name: secrets.token_urlsafe(32) for name in self.scopes}
        self._running: dict[str, Running] = {}
        self._locks: dict[str, anyio.Lock] = {}
        self.starts: dict[str, int] = {}  # how often each server was started

    def scope_token(self, scope: str) -> str:
        """The token for a session of ``scope``: it sees only that scope's tools."""
        return self._scope_tokens[scope]

    def process(self, server: str) -> subprocess.Popen[bytes]:
        """The server's running (or last) process; KeyError if it was never started."""
        return self._running[server].process

    def alive(self, server: str) -> bool:
        running = self._running.get(server)
        return running is not None and running.alive

    async def url(self, server: str) -> str:
        """The server's endpoint, started now if it is not running (again, if it died)."""
        lock = self._locks.setdefault(server, anyio.Lock())
        async with lock:
            running = self._running.get(server)
            if running is None or not running.alive:
                if running is not None:
                    log.error(
                        "the %s server stopped (exit %s); starting it again",
                        server,
                        running.process.returncode,
                    )
                running = self._start(server)
                self._running[server] = running
            return running.url

    def _start(self, server: str) -> Running:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            listener.bind(("127.0.0.1", 0))
            listener.listen(128)
            port = listener.getsockname()[1]
            scoped = {
                self._scope_tokens[name]: list(tools.get(server, ()))
                for name, tools in self.scopes.items()
            }
            env = passed_environment(self.env) | {
                "AIE_MCP_TOKEN": self.token,
                "AIE_MCP_SCOPES": json.dumps(scoped),
            }
            argv = [
                str(Path(sys.executable).parent / f"{server}-mcp"),
                "--transport",
                "http",
                "--fd",
                str(listener.fileno()),
                "--lifeline",
                *(["--unattended"] if server == "vault" else []),
            ]
            process = subprocess.Popen(
                argv,
                env=env,
                stdin=subprocess.PIPE,  # the lifeline: closed when the agent is gone
                stdout=subprocess.DEVNULL,
                pass_fds=(listener.fileno(),),
            )
        finally:
            listener.close()  # the server holds its own copy
        self.starts[server] = self.starts.get(server, 0) + 1
        log.info("started the %s server (pid %d) on port %d", server, process.pid, port)
        return Running(process, f"http://127.0.0.1:{port}/mcp")

    async def aclose(self) -> None:
        """Stop every server: SIGTERM, and SIGKILL for one still running after STOP_S."""
        running = [r for r in self._running.values() if r.alive]
        for r in running:
            r.process.terminate()
        with anyio.move_on_after(STOP_S):
            while any(r.alive for r in running):
                await anyio.sleep(0.02)
        for r in running:
            if r.alive:
                log.warning(
                    "the server pid %d did not stop within %g s: killed", r.process.pid, STOP_S
                )
                r.process.kill()
            r.process.wait()
            if r.process.stdin is not None:
                r.process.stdin.close()
        self._running.clear()
