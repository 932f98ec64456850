"""An IMAP proxy in front of Dovecot that behaves as Exchange (Microsoft 365) does where
Dovecot cannot be configured to (../shared/notes/mail-providers.md):

- no user keywords: ``\\*`` is taken out of PERMANENTFLAGS, and a STORE, SEARCH or FETCH
  that names a keyword (a flag without a backslash) gets ``BAD Command Argument Error. 11``;
- no SPECIAL-USE capability: ``LIST ... RETURN (SPECIAL-USE)`` gets ``BAD`` (the flags
  still ride on a plain LIST, as Outlook shows them).

With ``idle="hide"`` it takes IDLE out of every capability list (a server that does not
offer it); with ``idle="refuse"`` it keeps IDLE listed and answers the command ``BAD`` (a
server that lists it and does not do it).

Plain TCP on loopback, to Dovecot's plain port. Client literals (``{n}``) are passed on
untouched. Runs on its own event loop in a thread: ``with ImapProxy(port) as proxy``.
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
from types import TracebackType
from typing import Literal

__all__ = ["ImapProxy"]

_LITERAL = re.compile(rb"\{(\d+)\+?\}\r\n$")
_FLAG_LIST = re.compile(rb"FLAGS(?:\.SILENT)? \(([^)]*)\)", re.I)


def _refused(line: bytes) -> bool:
    """A command Exchange refuses: a keyword in STORE/SEARCH, or LIST RETURN SPECIAL-USE."""
    words = line.split()
    if len(words) < 2:
        return False
    upper = line.upper()
    if b"RETURN (SPECIAL-USE)" in upper:
        return True
    if b" STORE " in upper:
        flags = _FLAG_LIST.search(line)
        return bool(flags and any(not f.startswith(b"\\") for f in flags.group(1).split()))
    if b" SEARCH " in upper:
        return b" KEYWORD " in upper or b" UNKEYWORD " in upper
    return False


def _verb(line: bytes) -> str:
    """``UID SEARCH``, ``SELECT``, ...: what a command line asks (literal data: ``-``)."""
    words = line.split()
    if len(words) < 2 or not words[0].isalnum():
        return "-"
    verb = words[1].decode("ascii", "replace").upper()
    if verb == "UID" and len(words) > 2:
        verb += " " + words[2].decode("ascii", "replace").upper()
    return verb


class ImapProxy:
    def __init__(
        self,
        upstream_port: int,
        host: str = "127.0.0.1",
        exchange: bool = True,
        idle: Literal["pass", "hide", "refuse"] = "pass",
    ) -> None:
        self.upstream = (host, upstream_port)
        self.exchange = exchange  # False: pass everything on, only count the commands
        self.idle = idle
        self.commands: list[str] = []  # the verb of each command a client sent
        with socket.socket() as probe:
            probe.bind((host, 0))
            self.port = int(probe.getsockname()[1])
        self.host = host
        self.refused: list[bytes] = []  # commands answered BAD, for the tests
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._server: asyncio.AbstractServer | None = None

    def __enter__(self) -> ImapProxy:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the IMAP proxy did not start")
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._client, self.host, self.port)
        )
        self._ready.set()
        self._loop.run_forever()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.close()
            return
        pump = asyncio.ensure_future(self._from_server(up_reader, writer))
        try:
            while line := await reader.readline():
                verb = _verb(line)
                self.commands.append(verb)
                refusal = b""
                if self.exchange and _refused(line):
                    refusal = b"BAD Command Argument Error. 11"
                elif self.idle == "refuse" and verb == "IDLE":
                    refusal = b"BAD IDLE is disabled here"
                if refusal:
                    self.refused.append(line)
                    writer.write(line.split(b" ", 1)[0] + b" " + refusal + b"\r\n")
                    await writer.drain()
                    continue
                up_writer.write(line)
                if m := _LITERAL.search(line):
                    up_writer.write(await reader.readexactly(int(m.group(1))))
                await up_writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            pump.cancel()
            up_writer.close()
            writer.close()

    async def _from_server(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            while line := await reader.readline():
                capabilities = line.startswith(b"* CAPABILITY") or b"[CAPABILITY " in line
                if self.exchange and b"PERMANENTFLAGS (" in line:
                    line = line.replace(b" \\*)", b")").replace(b"(\\*)", b"()")
                if self.exchange and capabilities:
                    line = line.replace(b" SPECIAL-USE", b"").replace(b" LIST-EXTENDED", b"")
                if self.idle == "hide" and capabilities:
                    line = line.replace(b" IDLE", b"")
                writer.write(line)
                if m := _LITERAL.search(line):
                    writer.write(await reader.readexactly(int(m.group(1))))
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
