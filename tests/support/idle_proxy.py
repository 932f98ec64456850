"""An IMAP proxy in front of the real Dovecot for servers without IDLE: ``hide`` takes IDLE
out of every capability list (a server that does not offer it), ``refuse`` keeps it listed
but answers the IDLE command ``BAD`` (a server that lists it and does not do it). Plain
TCP on loopback, every other byte passed on; its own event loop in a thread."""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import Literal

__all__ = ["IdleProxy"]


class IdleProxy:
    def __init__(self, upstream_port: int, mode: Literal["hide", "refuse"]) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.mode = mode
        self.idle_commands = 0
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> IdleProxy:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the IDLE proxy did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(
            asyncio.start_server(self._client, *self.upstream[:1], self.port)
        )
        self._ready.set()
        self._loop.run_forever()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        pump = asyncio.ensure_future(self._from_server(up_reader, writer))
        try:
            while line := await reader.readline():
                words = line.split()
                if len(words) == 2 and words[1].upper() == b"IDLE":
                    self.idle_commands += 1
                    if self.mode == "refuse":
                        writer.write(words[0] + b" BAD IDLE is disabled here\r\n")
                        await writer.drain()
                        continue
                up_writer.write(line)
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
                if self.mode == "hide" and b"CAPABILITY" in line:
                    line = line.replace(b" IDLE", b"")
                writer.write(line)
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
