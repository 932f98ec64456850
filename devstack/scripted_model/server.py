"""The scripted model's HTTP server: the Messages API routes Claude Code calls, on
loopback, in a thread of the test process or as a process of its own (``__main__``).

Every request is recorded (``requests``, and one JSON line each in ``record_file``), so a
test can read which tools were offered and which were called, in what order, with what
arguments, and what each returned.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from types import TracebackType
from typing import Any

from devstack.loopback_http import LoopbackHttp

from .policies import next_turn
from .transcript import Transcript
from .wire import assistant_message, sse_events

__all__ = ["ScriptedModel"]


class ScriptedModel:
    """``faults`` change how the policies behave (see policies.FAULTS); ``"hang"`` makes
    every model request wait until the server stops, as a model that never answers."""

    def __init__(
        self, port: int = 0, faults: Iterable[str] = (), record_file: Path | None = None
    ) -> None:
        self.faults = frozenset(faults)
        self.record_file = record_file
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.http = LoopbackHttp(_handler(self), port)
        self.port = self.http.port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """What Claude Code needs to talk to this model and nothing else."""
        return {
            "ANTHROPIC_BASE_URL": self.url,
            "ANTHROPIC_API_KEY": "sk-scripted-model",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "DISABLE_AUTOUPDATER": "1",
        }

    def start(self) -> ScriptedModel:
        self.http.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self.http.stop()

    def __enter__(self) -> ScriptedModel:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def answer(self, path: str, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """The reply to one request, and whether to stream it."""
        self.record(path, body)
        if "count_tokens" in path:
            return {"input_tokens": 100}, False
        model = str(body.get("model", "scripted"))
        if "hang" in self.faults and body.get("tools"):
            self._stopping.wait(600)
        if not body.get("tools"):  # titles and summaries Claude Code asks for on the side
            return assistant_message(
                [{"type": "text", "text": "Scripted"}], "end_turn", model
            ), bool(body.get("stream"))
        turn = next_turn(Transcript.of(body), self.faults)
        if isinstance(turn, str):
            message = assistant_message([{"type": "text", "text": turn}], "end_turn", model)
        else:
            blocks = [
                {"type": "tool_use", "id": c.id, "name": c.name, "input": c.input} for c in turn
            ]
            message = assistant_message(blocks, "tool_use", model)
        return message, bool(body.get("stream"))

    def record(self, path: str, body: dict[str, Any]) -> None:
        entry = {"at": time.time(), "path": path, "body": body}
        with self._lock:
            self.requests.append(entry)
            if self.record_file is not None:
                with self.record_file.open("a", encoding="utf-8") as out:
                    out.write(json.dumps(entry) + "\n")


def _handler(model: ScriptedModel) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                return self._send(
                    400,
                    {
                        "type": "error",
                        "error": {"type": "invalid_request_error", "message": "not JSON"},
                    },
                )
            if not self.path.startswith("/v1/messages"):
                return self._send(
                    404,
                    {"type": "error", "error": {"type": "not_found_error", "message": self.path}},
                )
            reply, stream = model.answer(self.path, body)
            if not stream:
                return self._send(200, reply)
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            for event in sse_events(reply):
                self.wfile.write(event)
            self.wfile.flush()
            self.close_connection = True

        def _send(self, status: int, data: dict[str, Any]) -> None:
            raw = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
