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
import hmac
import ipaddress
import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from mcp.server import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["BearerAuth", "HttpSecurity", "add_http_arguments", "http_security", "serve_http"]

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


@dataclass(frozen=True)
class HttpSecurity:
    token: str
    transport: TransportSecuritySettings


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
    return HttpSecurity(token, transport)


class BearerAuth:
    """ASGI middleware: every HTTP request carries ``Authorization: Bearer <token>``."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            given = dict(scope.get("headers") or []).get(b"authorization", b"")
            if not hmac.compare_digest(given, self.expected):
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


def serve_http(server: MCPServer[Any], args: argparse.Namespace, security: HttpSecurity) -> None:
    """Serve ``server`` at ``http://HOST:PORT/mcp`` until SIGTERM or SIGINT; open streams
    are given a few seconds, then closed."""
    import uvicorn

    app = server.streamable_http_app(transport_security=security.transport, host=args.host)
    config = uvicorn.Config(
        BearerAuth(app, security.token),
        host=args.host,
        port=args.port,
        log_level="warning",
        timeout_graceful_shutdown=GRACEFUL_STOP_S,
    )
    uvicorn.Server(config).run()
