"""Serving MCP over streamable HTTP: only with a bearer token, and with Host and Origin
checks whatever the bind address.

Any process on the machine can open a loopback port, and a browser page can try to reach
one (DNS rebinding), so an HTTP server without a credential would let anyone call its
tools. The token comes from ``AIE_MCP_TOKEN`` or a file (``--token-file`` /
``AIE_MCP_TOKEN_FILE``, which must not be readable by others); without one the server
refuses to start. A bind beyond loopback needs the names clients use for it
(``--allow-host`` / ``AIE_MCP_ALLOWED_HOSTS``): the Host and Origin checks stay on.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import ipaddress
import os
import signal
import socket
import stat
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import anyio
from mcp.server import MCPServer
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.transport_security import TransportSecuritySettings
from mcp.shared.subscriptions import SUBSCRIPTION_ID_META_KEY
from mcp.types import SubscriptionsListenResult
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.tool_scopes import SCOPES_ENV, ScopesError, ToolScopes, parse_scopes

__all__ = [
    "BearerAuth",
    "ClosingStreams",
    "HttpSecurity",
    "add_http_arguments",
    "http_security",
    "serve_http",
]

T = TypeVar("T")
MIN_TOKEN_CHARS = 24
GRACEFUL_STOP_S = 3


def add_http_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="HTTP bind address")
    parser.add_argument("--port", type=int, default=8765, help="HTTP port (default 8765)")
    parser.add_argument(
        "--token-file",
        type=Path,
        default=None,
        help="file holding the bearer token clients must send (else AIE_MCP_TOKEN)",
    )
    parser.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a host name clients use to reach a non-loopback bind (repeatable)",
    )
    parser.add_argument(
        "--fd",
        type=int,
        default=None,
        help="serve on this listening socket, inherited from the agent that started the "
        "server (instead of --host/--port)",
    )
    parser.add_argument(
        "--lifeline",
        action="store_true",
        help="stop when standard input closes: the agent that started the server has gone",
    )


@dataclass(frozen=True)
class HttpSecurity:
    token: str
    transport: TransportSecuritySettings
    scopes: dict[str, frozenset[str]] = field(default_factory=dict)  # token -> its tools


def _refuse(program: str, line: str) -> NoReturn:
    print(f"{program}: {line}", file=sys.stderr)
    raise SystemExit(2)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _read_token_file(program: str, path: Path) -> str:
    try:
        info = os.stat(path)
        text = path.read_text("utf-8").strip()
    except (OSError, UnicodeError) as error:
        _refuse(program, f"setting AIE_MCP_TOKEN_FILE: {path} cannot be read ({error})")
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        _refuse(
            program,
            f"setting AIE_MCP_TOKEN_FILE: {path} is readable by other users; chmod 600 it",
        )
    return text


def http_security(
    program: str, args: argparse.Namespace, environ: dict[str, str] | None = None
) -> HttpSecurity:
    """The token and the Host/Origin rules, or exit 2 with one line naming the setting."""
    env = os.environ if environ is None else environ
    token_file = args.token_file or (
        Path(env["AIE_MCP_TOKEN_FILE"]) if env.get("AIE_MCP_TOKEN_FILE") else None
    )
    token = _read_token_file(program, token_file) if token_file else env.get("AIE_MCP_TOKEN", "")
    if not token:
        _refuse(
            program,
            "setting AIE_MCP_TOKEN: is not set (required for --transport http: clients must "
            "send it as 'Authorization: Bearer <token>'; or give --token-file)",
        )
    if len(token) < MIN_TOKEN_CHARS or any(c.isspace() for c in token):
        _refuse(
            program,
            f"setting AIE_MCP_TOKEN: must be at least {MIN_TOKEN_CHARS} characters without "
            "spaces, e.g. from: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'",
        )
    hosts = [*args.allow_host, *filter(None, env.get("AIE_MCP_ALLOWED_HOSTS", "").split(","))]
    hosts = [h.strip() for h in hosts if h.strip()]
    if _is_loopback(args.host):
        hosts += ["127.0.0.1", "localhost", "[::1]"]
    elif not hosts:
        _refuse(
            program,
            f"setting AIE_MCP_ALLOWED_HOSTS: binding to {args.host} (beyond loopback) needs the "
            "host names clients use to reach it (--allow-host NAME), so that the Host and "
            "Origin checks stay on",
        )
    allowed = [f"{h}:*" for h in hosts] + hosts
    origins = [
        f"{scheme}://{h}{port}"
        for h in hosts
        for scheme in ("http", "https")
        for port in ("", ":*")
    ]
    transport = TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=allowed, allowed_origins=origins
    )
    try:
        scopes = parse_scopes(env.get(SCOPES_ENV, ""))
    except ScopesError as error:
        _refuse(program, f"setting {SCOPES_ENV}: {error}")
    if any(len(t) < MIN_TOKEN_CHARS or any(c.isspace() for c in t) for t in scopes):
        _refuse(program, f"setting {SCOPES_ENV}: every token needs {MIN_TOKEN_CHARS}+ characters")
    return HttpSecurity(token, transport, scopes)


class BearerAuth:
    """ASGI middleware: every HTTP request carries ``Authorization: Bearer <token>``, the
    server's token or one of its scoped tokens."""

    def __init__(self, app: ASGIApp, *tokens: str) -> None:
        self.app = app
        self.expected = [f"Bearer {token}".encode() for token in tokens]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            given = dict(scope.get("headers") or []).get(b"authorization", b"")
            # every token is compared, so the time taken does not say which one came close
            matches = [hmac.compare_digest(given, expected) for expected in self.expected]
            if not any(matches):
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [
                            (b"content-type", b"text/plain"),
                            (b"www-authenticate", b'Bearer realm="ai-employee"'),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": b"missing or wrong token\n"})
                return
        await self.app(scope, receive, send)


class ClosingStreams:
    """When the server is asked to stop, the streams that stay open until their client
    leaves are ended, so that a stop takes as long as the calls in flight, not forever:

    - as ASGI middleware, a GET stream is told its client has gone;
    - as server middleware (:meth:`end_listens`), a ``subscriptions/listen`` stream gets
      its result, the protocol's graceful close (the client sees the stream ended on
      purpose, not lost).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stopping: anyio.Event | None = None

    def stop(self) -> None:
        """Safe from a signal handler: the event is set on the server's loop."""
        if self.loop is not None and self.stopping is not None:
            self.loop.call_soon_threadsafe(self.stopping.set)

    def _stopping(self) -> anyio.Event:
        if self.stopping is None:
            self.loop, self.stopping = asyncio.get_running_loop(), anyio.Event()
        return self.stopping

    async def end_listens(
        self, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        if ctx.method != "subscriptions/listen":
            return await call_next(ctx)
        served = await _unless(self._stopping(), lambda: call_next(ctx))
        if served is not None:
            return served[0]
        return SubscriptionsListenResult(_meta={SUBSCRIPTION_ID_META_KEY: ctx.request_id})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        stopping = self._stopping()
        if scope["type"] != "http" or scope.get("method") != "GET":
            await self.app(scope, receive, send)
            return

        async def receive_or_stop() -> Message:
            received = await _unless(stopping, receive)
            return received[0] if received is not None else {"type": "http.disconnect"}

        ended = False

        async def send_tracking_end(message: Message) -> None:
            nonlocal ended
            ended = message["type"] == "http.response.body" and not message.get("more_body")
            await send(message)

        await self.app(scope, receive_or_stop, send_tracking_end)
        if stopping.is_set() and not ended:  # the stream was cut short: end it properly
            with contextlib.suppress(OSError, RuntimeError):
                await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _unless(event: anyio.Event, work: Callable[[], Awaitable[T]]) -> tuple[T] | None:
    """What ``work()`` returns (in a tuple), or None when ``event`` is set first (``work``
    is then cancelled)."""
    outcome: tuple[T] | None = None
    async with anyio.create_task_group() as group:

        async def run() -> None:
            nonlocal outcome
            outcome = (await work(),)
            group.cancel_scope.cancel()

        async def watch() -> None:
            await event.wait()
            group.cancel_scope.cancel()

        group.start_soon(run)
        group.start_soon(watch)
    return outcome


def serve_http(server: MCPServer[Any], args: argparse.Namespace, security: HttpSecurity) -> None:
    """Serve ``server`` at ``http://HOST:PORT/mcp`` (or on the inherited socket ``--fd``)
    until SIGTERM or SIGINT, or until standard input closes with ``--lifeline``. Open
    streams are closed at once; calls in flight get a few seconds."""
    import uvicorn

    if security.scopes:
        server.middleware.append(ToolScopes(security.scopes))
    app = server.streamable_http_app(transport_security=security.transport, host=args.host)
    closing = ClosingStreams(BearerAuth(app, security.token, *security.scopes))
    server.middleware.append(closing.end_listens)
    config = uvicorn.Config(
        closing,
        host=args.host,
        port=args.port,
        log_level="warning",
        timeout_graceful_shutdown=GRACEFUL_STOP_S,
    )

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            super().handle_exit(sig, frame)
            closing.stop()

    if args.lifeline:
        threading.Thread(target=_stop_when_stdin_closes, daemon=True).start()
    sockets = [socket.socket(fileno=args.fd)] if args.fd is not None else None
    Server(config).run(sockets=sockets)


def _stop_when_stdin_closes() -> None:
    while os.read(sys.stdin.fileno(), 4096):
        pass
    os.kill(os.getpid(), signal.SIGTERM)
