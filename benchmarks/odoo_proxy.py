"""A counting proxy in front of a real Odoo, for benchmarks: every client (ours, raw
odoorpc, a peer over XML-RPC) talks to Odoo through it, so each one's requests are counted
the same way, by ``model.method``, and a delay per request can play a hosted Odoo. It has
the stand-in's measuring interface (``url``, ``stats``, ``reset_stats``, ``control``)."""

from __future__ import annotations

import http.client
import json
import threading
import time
import xmlrpc.client
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

__all__ = ["CountingProxy", "request_name"]

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


def request_name(path: str, body: bytes) -> str:
    """``model.method`` of an Odoo request (``common.login`` and the like for the rest)."""
    try:
        if path == "/jsonrpc":
            params = json.loads(body).get("params", {})
            args = params.get("args", [])
            if params.get("service") == "object" and len(args) >= 5:
                return f"{args[3]}.{args[4]}"
            return f"{params.get('service')}.{params.get('method')}"
        if path.startswith("/xmlrpc/"):
            args, method = xmlrpc.client.loads(body)
            if method in ("execute_kw", "execute") and len(args) >= 5:
                return f"{args[3]}.{args[4]}"
            return f"{path.rsplit('/', 1)[-1]}.{method}"
        if path.startswith("/json/2/"):
            return ".".join(path.split("/")[3:5])
    except (ValueError, xmlrpc.client.ResponseError, AttributeError, TypeError):
        pass
    return path


class CountingProxy:
    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.delay_s = 0.0
        self._calls: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> CountingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {"total": sum(self._calls.values()), "calls": dict(self._calls)}

    def reset_stats(self) -> None:
        with self._lock:
            self._calls.clear()

    def control(self, **changes: Any) -> dict[str, Any]:
        """``delay_s``: seconds to wait before forwarding each request."""
        self.delay_s = float(changes.get("delay_s", 0.0))
        return {"delay_s": self.delay_s}

    def _count(self, name: str) -> None:
        with self._lock:
            self._calls[name] += 1

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Forward(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                proxy._count(request_name(self.path, body))
                if proxy.delay_s:
                    time.sleep(proxy.delay_s)
                upstream = http.client.HTTPConnection(*proxy.upstream, timeout=120)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                upstream.request(self.command, self.path, body or None, headers)
                answer = upstream.getresponse()
                data = answer.read()
                self.send_response(answer.status, answer.reason)
                for key, value in answer.getheaders():
                    if key.lower() not in HOP_BY_HOP:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                upstream.close()

            do_GET = do_POST = _forward

        return Forward
