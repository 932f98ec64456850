"""Our servers' entry points: a server started over stdio answers its client's first two
questions at once.

A stdio server spends most of its start importing the MCP SDK (a second or more on a small
machine), and its client waits for the ``initialize`` and ``tools/list`` answers before a
session can begin. Those answers depend only on the server's code, its arguments and its
settings, so each start records them (in the state home, under a key made of all three) and
a start with the same key gives them from that record while the SDK loads behind:

- the client's ``initialize`` is answered from the record and handed to the real server
  under an id of our own (its answer dropped), and ``tools/list`` is answered from the
  record until the real server has listed its tools itself;
- everything else waits for the real server and reaches it in order, untouched;
- the real server lists its tools once for us: when the list differs from the one given,
  the record is rewritten and the client told (``notifications/tools/list_changed``).

With no record (a first start, new code, other settings) the streams pass straight through
and the answers are recorded for the next start. Settings that are secrets count only as
set or unset in the key: no hash of a password is written anywhere.

This module imports nothing beyond the standard library: that is its point.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import os
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

__all__ = ["Front", "cache_file", "email_mcp", "launch", "odoo_mcp", "vault_mcp"]

INIT_ID = "aie-cold-start-initialize"
TOOLS_ID = "aie-cold-start-tools"
_SECRET_WORDS = ("PASSWORD", "TOKEN", "SECRET", "KEY", "CREDENTIAL")
_ROOT = Path(__file__).resolve().parent.parent
FLUSH_S = 10.0
END = b"\0aie-cold-start-end\n"  # never JSON: no server message can be this line


def vault_mcp() -> None:
    launch("vault", "servers.vault_mcp.server")


def email_mcp() -> None:
    launch("email", "servers.email_mcp.server")


def odoo_mcp() -> None:
    launch("odoo", "servers.odoo_mcp.server")


def launch(name: str, module: str) -> None:
    """Run ``module``'s ``main()``; over stdio, behind a :class:`Front`."""
    argv = sys.argv[1:]
    if not _over_stdio(argv):
        importlib.import_module(module).main()
        return
    front = Front(cache_file(name, argv, os.environ, Path.cwd()))
    front.start()
    try:
        importlib.import_module(module).main()
    finally:
        front.finish()


def _over_stdio(argv: list[str]) -> bool:
    if "-h" in argv or "--help" in argv or "--transport=http" in argv:
        return False
    return not any(a == "--transport" and b == "http" for a, b in zip(argv, argv[1:], strict=False))


def cache_file(name: str, argv: list[str], environ: Mapping[str, str], cwd: Path) -> Path:
    """Where the answers of a start of server ``name`` with these arguments, settings and
    code are recorded."""
    digest = hashlib.sha256()
    for part in (name, json.dumps(argv), sys.version, *_settings(environ, cwd), *_code(name)):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    base = Path(
        environ.get("XDG_STATE_HOME") or Path(environ.get("HOME") or Path.home()) / ".local/state"
    )
    return base / "ai-employee" / "cold-start" / f"{name}-{digest.hexdigest()[:32]}.json"


def _settings(environ: Mapping[str, str], cwd: Path) -> list[str]:
    pairs = [(k, v) for k, v in environ.items() if k.startswith("AIE_") or k == "XDG_STATE_HOME"]
    try:
        lines = (cwd / ".env").read_text("utf-8", "replace").splitlines()
    except OSError:
        lines = []
    pairs += [("(.env)" + k.strip(), v) for k, _, v in (line.partition("=") for line in lines)]
    return [
        f"{k}={'(set)' if any(w in k.upper() for w in _SECRET_WORDS) and v else v}"
        for k, v in sorted(pairs)
    ]


def _code(name: str) -> list[str]:
    """Every source file the server runs from, by size and time of change."""
    folders = [_ROOT / "servers" / f"{name}_mcp", _ROOT / "shared"]
    sdk = importlib.util.find_spec("mcp")  # finds it without importing it
    if sdk is not None and sdk.origin:
        folders.append(Path(sdk.origin).parent)
    stamps = []
    for folder in folders:
        for path in sorted(folder.rglob("*.py")):
            try:
                info = path.stat()
            except OSError:
                continue
            stamps.append(f"{path}:{info.st_size}:{info.st_mtime_ns}")
    return stamps


class Front:
    """Stands between the client (the process's real stdin and stdout) and the real
    server, which is given pipes in their place (file descriptors 0 and 1)."""

    def __init__(self, record: Path) -> None:
        self.record = record
        self.recorded = _load(record)  # what the record held at start
        self.cached = self.recorded  # what this start answers from: None when it cannot
        self._write_lock = threading.Lock()
        self._listed = threading.Event()  # the real server has listed its tools for us
        self._capture: dict[Any, str] = {}  # ids of the client's requests whose answers we record
        self._initialize_params: dict[str, Any] | None = None
        self._began = False  # the client's first message has come
        self._fresh: dict[str, Any] = {"initialize": None, "tools": None}  # the server's answers
        self._threads: list[threading.Thread] = []

    # -- plumbing -------------------------------------------------------------------------
    def start(self) -> None:
        client_in, client_out = os.dup(0), os.dup(1)
        server_in, self._to_server_fd = os.pipe()
        self._from_server_fd, server_out = os.pipe()
        os.dup2(server_in, 0)
        os.dup2(server_out, 1)
        os.close(server_in)
        os.close(server_out)
        self.client_out = os.fdopen(client_out, "wb")
        self.to_server = os.fdopen(self._to_server_fd, "wb")
        for target, stream in (
            (self._from_client, os.fdopen(client_in, "rb")),
            (self._from_server, os.fdopen(self._from_server_fd, "rb")),
        ):
            thread = threading.Thread(target=target, args=(stream,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def finish(self) -> None:
        """The real server has ended: pass on what it wrote last."""
        try:
            sys.stdout.flush()
        except (OSError, ValueError):
            pass
        # The SDK keeps a copy of the pipe's writing end open to the last (it never closes
        # its private duplicate), so the forwarder will not see the pipe end: it stops at
        # this line instead, written after everything the server wrote.
        try:
            os.write(1, END)
        except OSError:
            return
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)  # what the interpreter flushes on its way out goes nowhere
        os.close(devnull)
        self._threads[1].join(FLUSH_S)

    def _to_client(self, message: bytes) -> None:
        with self._write_lock:
            self.client_out.write(message)
            self.client_out.flush()

    def _send_server(self, message: bytes) -> None:
        self.to_server.write(message)
        self.to_server.flush()

    # -- client to server -----------------------------------------------------------------
    def _from_client(self, client: BinaryIO) -> None:
        try:
            for line in client:
                if self._listed.is_set() or not self._answered(line):
                    self._send_server(line)
        except (OSError, ValueError):
            pass
        finally:
            try:
                self.to_server.close()  # the server sees its client gone
            except OSError:
                pass

    def _answered(self, line: bytes) -> bool:
        """Answer ``line`` from the record (True), or note what to record (False)."""
        message = _parse(line)
        method, params = message.get("method"), message.get("params") or {}
        if method == "initialize" and "id" in message and not self._began:
            self._began = True
            version = str(params.get("protocolVersion", ""))
            self._initialize_params = params
            answer = (self.cached or {}).get("initialize", {}).get(version)
            if answer is None:
                self.cached = None  # this start records; it answers nothing itself
                self._capture[message["id"]] = "initialize"
                return False
            self._to_client(_response(message["id"], _with_list_changed(answer)))
            self._send_server(_request(INIT_ID, "initialize", params))
            return True
        if not self._began:  # not the handshake we know (another era): pass everything
            self._began, self.cached = True, None
            self._listed.set()
            return False
        if method == "notifications/initialized" and self.cached is not None:
            self._send_server(line)
            self._send_server(_request(TOOLS_ID, "tools/list", {}))
            return True
        if method == "tools/list" and "id" in message and not params.get("cursor"):
            if self.cached is not None:
                self._to_client(_response(message["id"], self.cached["tools"]))
                return True
            self._capture[message["id"]] = "tools"
        return False

    # -- server to client -----------------------------------------------------------------
    def _from_server(self, server: BinaryIO) -> None:
        try:
            for line in server:
                if line == END:
                    break
                if (self._listed.is_set() and not self._capture) or self._kept(line):
                    self._to_client(line)
        except (OSError, ValueError):
            pass

    def _kept(self, line: bytes) -> bool:
        """Whether the client gets ``line``; records what the real server answered."""
        message = _parse(line)
        key = message.get("id")
        version = str((self._initialize_params or {}).get("protocolVersion", ""))
        if key == INIT_ID:  # the answer the client had from the record
            self._fresh["initialize"] = message.get("result")
            return False
        if key == TOOLS_ID:
            self._fresh["tools"] = message.get("result")
            cached = self.cached or {}
            if self._fresh["tools"] != cached.get("tools"):
                self._save(version)
                self._to_client(_notification("notifications/tools/list_changed"))
            elif self._fresh["initialize"] != cached.get("initialize", {}).get(version):
                self._save(version)
            self._listed.set()
            return False
        what = self._capture.pop(key, None) if key is not None else None
        if what is not None and "result" in message:
            self._fresh[what] = message["result"]
            if what == "tools":
                self._listed.set()
            if self._fresh["initialize"] is not None and self._fresh["tools"] is not None:
                self._save(version)
        return True

    def _save(self, version: str) -> None:
        if not isinstance(self._fresh["initialize"], dict) or not isinstance(
            self._fresh["tools"], dict
        ):
            return
        # the answers to other protocol versions stay, as long as the tools are the same
        same_tools = (self.recorded or {}).get("tools") == self._fresh["tools"]
        answers = dict((self.recorded or {}).get("initialize", {})) if same_tools else {}
        answers[version] = self._fresh["initialize"]
        record = {"initialize": answers, "tools": self._fresh["tools"]}
        try:
            self.record.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            for old in self.record.parent.glob(self.record.name.split("-")[0] + "-*.json"):
                if old != self.record:
                    old.unlink(missing_ok=True)  # one record per server: the newest
            partial = self.record.with_suffix(f".{os.getpid()}.tmp")
            partial.write_text(json.dumps(record), "utf-8")
            os.replace(partial, self.record)
        except OSError:
            pass  # no record: the next start is slower, nothing else


def _load(record: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(record.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if (
        isinstance(data, dict)
        and isinstance(data.get("initialize"), dict)
        and isinstance(data.get("tools"), dict)
        and isinstance(data["tools"].get("tools"), list)
    ):
        return data
    return None


def _parse(line: bytes) -> dict[str, Any]:
    try:
        message = json.loads(line)
    except ValueError:
        return {}
    return message if isinstance(message, dict) else {}


def _with_list_changed(answer: dict[str, Any]) -> dict[str, Any]:
    """The recorded answer, saying the tool list may change (it does when the real server
    lists other tools than the record)."""
    capabilities = dict(answer.get("capabilities") or {})
    capabilities["tools"] = {**(capabilities.get("tools") or {}), "listChanged": True}
    return {**answer, "capabilities": capabilities}


def _response(key: Any, result: Any) -> bytes:
    return _line({"jsonrpc": "2.0", "id": key, "result": result})


def _request(key: str, method: str, params: dict[str, Any]) -> bytes:
    return _line({"jsonrpc": "2.0", "id": key, "method": method, "params": params})


def _notification(method: str) -> bytes:
    return _line({"jsonrpc": "2.0", "method": method})


def _line(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
