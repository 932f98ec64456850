"""The HTTP server: Odoo's RPC routes plus ``/standin/*`` test endpoints, in a thread or alone.

Routes: ``POST /web/webclient/version_info``, ``/jsonrpc``, ``/web/session/authenticate``
(JSON-RPC); ``POST /xmlrpc/2/{common,db,object}`` and legacy ``/xmlrpc/...`` (XML-RPC); on
version 19 and later ``POST /json/2/<model>/<method>`` (JSON-2) and ``GET /web/version``;
``GET /standin/stats``, ``POST /standin/stats/reset``, ``GET|POST /standin/control``,
``POST /standin/reset`` (body: optional seed JSON), ``GET /standin/health``.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import signal
import sys
import threading
import xmlrpc.client
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

from .control import Control, Stats
from .json2 import HttpError, Json2
from .orm import Env, Knobs
from .rpc import Dispatcher, json_reply, xml_reply
from .seed import apply_seed
from .store import Store

log = logging.getLogger("odoo_standin")


class StandinApp:
    """Everything one stand-in serves: store, knobs, dispatcher, stats and controls."""

    def __init__(
        self,
        db: str = "acme",
        version: str = "17.0",
        db_path: str | Path | None = None,
        seed: dict[str, Any] | str | Path | None = None,
        in_payment: bool = False,
        today: str | None = None,
        reset: bool = False,
    ) -> None:
        self.store = Store(db_path)
        self.knobs = Knobs(version=version, in_payment=in_payment, today=today)
        self.dispatcher = Dispatcher(self.store, self.knobs, db)
        self.json2 = Json2(self.store, self.knobs, db)
        self.seed = seed
        self.stats = Stats()
        self.control = Control()
        if reset or not self.store.meta("seeded"):
            apply_seed(self.store, self.knobs, seed)

    def reset(self, seed: dict[str, Any] | str | Path | None = None) -> None:
        """Wipe the database and seed it again (with ``seed``, else the start-up seed)."""
        apply_seed(self.store, self.knobs, seed if seed is not None else self.seed)

    def set_control(self, **changes: Any) -> dict[str, Any]:
        """Change knobs: delay_s, stall, drop_next, version, in_payment, today."""
        self.control.update(changes.get("delay_s"), changes.get("stall"), changes.get("drop_next"))
        for key in ("version", "in_payment", "today"):
            if key in changes:
                setattr(self.knobs, key, changes[key])
        return self.control_state()

    def control_state(self) -> dict[str, Any]:
        return {
            **self.control.state(),
            "version": self.knobs.version,
            "in_payment": self.knobs.in_payment,
            "today": self.knobs.today,
            "db": self.dispatcher.db,
        }

    def json_call(self, path: str, params: dict[str, Any]) -> Any:
        if path == "/web/webclient/version_info":
            return self.knobs.version_info()
        if path == "/web/session/authenticate":
            return self.dispatcher.session_authenticate(params)
        return self.dispatcher.dispatch(
            params["service"], params["method"], params.get("args") or []
        )

    @staticmethod
    def json_call_name(path: str, params: dict[str, Any]) -> str:
        if path == "/jsonrpc":
            return Dispatcher.call_name(
                params.get("service"), params.get("method"), params.get("args")
            )
        return {"/web/webclient/version_info": "version_info"}.get(path, "session.authenticate")


JSON_ROUTES = ("/web/webclient/version_info", "/jsonrpc", "/web/session/authenticate")
VERSION_ROUTES = ("/web/version", "/json/version")
JSON2_ROUTE = re.compile(r"^/json/2/([^/]+)/([^/]+)$")


class Handler(BaseHTTPRequestHandler):
    """One request; HTTP/1.0 so every connection closes after its answer."""

    server: StandinHTTPServer
    server_version = "Werkzeug/3.0.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("%s " + format, self.address_string(), *args)

    def _send(
        self, status: int, body: bytes, ctype: str, extra: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def _send_json(
        self, payload: Any, status: int = 200, extra: dict[str, str] | None = None
    ) -> None:
        self._send(status, json.dumps(payload).encode("utf-8"), "application/json", extra)

    def _not_found(self) -> None:
        body = b"<!doctype html>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n"
        self._send(404, body, "text/html; charset=utf-8")

    def do_GET(self) -> None:  # noqa: N802 - stdlib hook name
        app, path = self.server.app, urlsplit(self.path).path
        if path == "/standin/stats":
            self._send_json(app.stats.snapshot())
        elif path == "/standin/control":
            self._send_json(app.control_state())
        elif path == "/standin/health":
            self._send_json({"ok": True, **app.control_state()})
        elif path in VERSION_ROUTES and app.knobs.major >= 19:
            app.stats.hit(path, "web.version")
            if not app.control.gate():
                self.close_connection = True
                return
            self._send_json(app.json2.version())
        elif JSON2_ROUTE.match(path) and app.knobs.major >= 19:
            self._send_json(HttpError(405, "The method is not allowed.").body(), 405)
        else:
            self._not_found()

    def do_POST(self) -> None:  # noqa: N802 - stdlib hook name
        app, path = self.server.app, urlsplit(self.path).path
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if path.startswith("/standin/"):
            self._standin(app, path, body)
        elif path in JSON_ROUTES:
            self._json(app, path, body)
        elif path.startswith("/xmlrpc/"):
            self._xml(app, path, body)
        elif (route := JSON2_ROUTE.match(path)) and app.knobs.major >= 19:
            self._json2(app, unquote(route.group(1)), unquote(route.group(2)), body)
        else:
            app.stats.hit(path, None)
            self._not_found()

    def _standin(self, app: StandinApp, path: str, body: bytes) -> None:
        data = json.loads(body or b"{}")
        if path == "/standin/stats/reset":
            app.stats.reset()
            self._send_json({"ok": True})
        elif path == "/standin/control":
            self._send_json(app.set_control(**data))
        elif path == "/standin/reset":
            app.reset(data or None)
            self._send_json({"ok": True})
        else:
            self._not_found()

    def _json(self, app: StandinApp, path: str, body: bytes) -> None:
        try:
            payload = json.loads(body)
            params = payload.get("params") or {}
        except (ValueError, AttributeError):
            self._send(400, b"<h1>Bad Request</h1>", "text/html; charset=utf-8")
            return
        app.stats.hit(path, app.json_call_name(path, params))
        if not app.control.gate():
            self.close_connection = True
            return
        try:
            reply = json_reply(payload.get("id"), app.json_call(path, params))
        except Exception as exc:  # every failure becomes Odoo's error envelope
            log.debug("RPC error on %s", path, exc_info=True)
            reply = json_reply(payload.get("id"), error=exc)
        extra = {}
        if path == "/web/session/authenticate" and "result" in reply:
            extra["Set-Cookie"] = f"session_id={reply['result']['session_id']}; Path=/; HttpOnly"
        self._send_json(reply, extra=extra)

    def _json2(self, app: StandinApp, model: str, method: str, body: bytes) -> None:
        app.stats.hit("/json/2", f"{model}.{method}")
        if not app.control.gate():
            self.close_connection = True
            return
        reply = app.json2.handle(model, method, self.headers, body)
        self._send_json(reply.body, reply.status, reply.headers)

    def _xml(self, app: StandinApp, path: str, body: bytes) -> None:
        legacy = not path.startswith("/xmlrpc/2/")
        service = path.rstrip("/").rsplit("/", 1)[-1]
        try:
            params, method = xmlrpc.client.loads(body, use_builtin_types=True)
        except Exception:  # malformed XML: Werkzeug's 400
            self._send(400, b"<h1>Bad Request</h1>", "text/html; charset=utf-8")
            return
        app.stats.hit(path, Dispatcher.call_name(service, method, list(params)))
        if not app.control.gate():
            self.close_connection = True
            return
        try:
            out = xml_reply(
                app.dispatcher.dispatch(service, method or "", list(params)), legacy=legacy
            )
        except Exception as exc:  # every failure becomes an XML-RPC fault
            log.debug("XML-RPC error on %s", path, exc_info=True)
            out = xml_reply(error=exc, legacy=legacy)
        self._send(200, out, "text/xml; charset=utf-8")


class StandinHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that carries the :class:`StandinApp`."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: StandinApp) -> None:
        super().__init__(address, Handler)
        self.app = app

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-answer (a killed odoo-mcp) is not an error of ours."""
        if isinstance(sys.exc_info()[1], BrokenPipeError | ConnectionResetError):
            return
        super().handle_error(request, client_address)


class StandinThread:
    """A stand-in served from a background thread of this process.

    >>> with StandinThread() as odoo:          # doctest: +SKIP
    ...     odoorpc.ODOO("127.0.0.1", port=odoo.port).login("acme", "admin", "admin")
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, **options: Any) -> None:
        self.app = StandinApp(**options)
        self.httpd = StandinHTTPServer((host, port), self.app)
        self.host, self.port = host, int(self.httpd.server_address[1])
        self.db = self.app.dispatcher.db
        self._thread = threading.Thread(
            target=self.httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"odoo-standin:{self.port}",
            daemon=True,
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> StandinThread:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release held requests, stop serving and close the database."""
        self.app.control.release()
        if self._thread.is_alive():
            self.httpd.shutdown()
            self._thread.join(5)
        self.httpd.server_close()
        self.app.store.close()

    def __enter__(self) -> StandinThread:
        return self.start() if not self._thread.is_alive() else self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- test API ------------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        """Request counts since start or the last :meth:`reset_stats`."""
        return self.app.stats.snapshot()

    def reset_stats(self) -> None:
        self.app.stats.reset()

    def control(self, **changes: Any) -> dict[str, Any]:
        """Set delay_s, stall, drop_next, version, in_payment or today; returns the state."""
        return self.app.set_control(**changes)

    def reset(self, seed: dict[str, Any] | str | Path | None = None) -> None:
        """Wipe and re-seed the database."""
        self.app.reset(seed)

    def call(
        self,
        model: str,
        method: str,
        *args: Any,
        uid: int = 2,
        context: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Call an ORM method directly as ``uid`` (no HTTP, no password, not counted)."""
        with self.app.store.transaction():
            env = Env(self.app.store, self.app.knobs, uid, context)
            return env[model].call(method, list(args), kwargs)


def main(argv: list[str] | None = None) -> int:
    """``python -m devstack.odoo_standin``: serve until SIGTERM or Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="python -m devstack.odoo_standin",
        description="A protocol-faithful Odoo stand-in server.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8069, help="0 picks a free port")
    parser.add_argument("--db", default="acme", help="database name (default acme)")
    parser.add_argument("--version", default="17.0", help='server_version, e.g. "18.0"')
    parser.add_argument("--db-path", help="SQLite file; data survives restarts (default memory)")
    parser.add_argument("--seed", help="JSON seed file (keys replace the default seed's)")
    parser.add_argument("--reset", action="store_true", help="re-seed even if --db-path has data")
    parser.add_argument("--in-payment", action="store_true", help="paid invoices: in_payment")
    parser.add_argument("--today", help="pin today's date (YYYY-MM-DD)")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each answer")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    standin = StandinThread(
        args.host,
        args.port,
        db=args.db,
        version=args.version,
        db_path=args.db_path,
        seed=args.seed,
        in_payment=args.in_payment,
        today=args.today,
        reset=args.reset,
    )
    standin.control(delay_s=args.delay)
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    standin.start()
    print(
        f"odoo-standin listening on {standin.url} db={args.db} version={args.version}", flush=True
    )
    done.wait()
    standin.stop()
    return 0
