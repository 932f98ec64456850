"""The inbox watcher: IMAP IDLE on its own connection, triage as mail arrives.

Each cycle first catches up (triage until no unseen mail is left, so nothing that arrived
while disconnected is missed), then waits in IDLE for the server's EXISTS push or for the
cycle to time out (then it polls anyway: servers drop quiet IDLE sessions, and a server
without IDLE is simply polled). A dropped connection is reopened with backoff. Every cycle
writes a heartbeat into the vault.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

import aioimaplib

from servers.email_mcp.imap import ImapSession
from servers.email_mcp.service import EmailService
from servers.email_mcp.triage import has_new_mail
from servers.email_mcp.triage_record import TriageRecord
from shared.errors import AIEError

__all__ = ["InboxWatcher"]

log = logging.getLogger("email-mcp.watcher")
BACKOFF_S = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


@dataclass
class WatchStats:
    cycles: int = 0
    pushes: int = 0
    tasks_created: int = 0
    reconnects: int = 0


class InboxWatcher:
    def __init__(
        self,
        service: EmailService,
        cycle_s: float = 25.0,
        folder: str = "INBOX",
        heartbeat_name: str | None = None,
        use_idle: bool = True,
        poll_s: float = 5.0,
    ) -> None:
        self.service = service
        # IDLE blocks a session: its own one (sharing the service's OAuth tokens)
        self.idle = ImapSession(service.imap_settings, service.tokens)
        self.cycle_s = cycle_s
        self.use_idle = use_idle  # False: poll every ``poll_s`` (servers whose IDLE misbehaves)
        self.poll_s = min(poll_s, cycle_s)
        self.folder = folder
        self.name = heartbeat_name or f"{service.vault.agent}-watcher"
        self.stats = WatchStats()
        self.idling = False  # in IDLE right now (benchmarks wait for it)
        self._stop = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> WatchStats:
        failures = 0
        while not self._stop.is_set():
            try:
                if not await self._until_stopped(self._cycle()):
                    break
                failures = 0
            except (AIEError, OSError, TimeoutError, aioimaplib.AioImapException) as error:
                failures += 1
                self.stats.reconnects += 1
                delay = BACKOFF_S[min(failures, len(BACKOFF_S)) - 1]
                log.warning("watcher: %s; retrying in %.1f s", error, delay)
                self._beat("reconnecting", str(error)[:150])
                await self._sleep(delay)
        await self.idle.close()
        await self.service.close()
        return self.stats

    async def _cycle(self) -> None:
        await self.catch_up()
        await self.wait_for_mail()

    async def _until_stopped(self, work: Coroutine[Any, Any, None]) -> bool:
        """Run ``work`` unless stop comes first (then cancel it); False when stopped."""
        task = asyncio.ensure_future(work)
        stopper = asyncio.ensure_future(self._stop.wait())
        done, _ = await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        if task not in done:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
            return False
        task.result()
        return True

    async def catch_up(self) -> None:
        while True:
            result = await self.service.triage(folder=self.folder)
            self.stats.tasks_created += len(result.created)
            if result.created:
                log.info("watcher: %d new task(s): %s", len(result.created), result.created)
            if result.remaining == 0:
                return

    async def wait_for_mail(self) -> None:
        """One cycle: back when mail arrives, or after ``cycle_s`` at most.

        Mail that arrived after the catch-up's search and before IDLE began would not be
        pushed (the server reports changes once, and aioimaplib drops an EXISTS that comes
        with a SEARCH), so the idle session compares the folder with the triage record
        first, then selects again: a UIDNEXT that moved means mail came meanwhile. From
        that SELECT on, the server reports every change when IDLE starts or while it runs.
        """
        self.stats.cycles += 1
        self._beat("watching", f"IDLE on {self.folder}" if self.use_idle else "polling")
        record = TriageRecord(self.service.vault.settings.state_path)
        async with self.idle.use() as imap:
            before = await self.idle.select(imap, self.folder)
            if has_new_mail(record, self.folder, before):
                return
            if (await self.idle.select(imap, self.folder)).uidnext != before.uidnext:
                return
            if not self.use_idle or not imap.has_capability("IDLE"):
                await self._sleep(self.poll_s)  # the polling fallback
                return
            idle = await self.idle.call(imap.idle_start(timeout=self.cycle_s + 30))
            self.idling = True
            try:
                pushes = await self._wait_exists(imap)
            finally:
                self.idling = False
                if imap.has_pending_idle():
                    imap.idle_done()
                await self.idle.call(idle)
        if any(b"BYE" in line for line in pushes):
            raise AIEError("the IMAP server closed the IDLE session")

    async def _wait_exists(self, imap: aioimaplib.IMAP4) -> list[bytes]:
        """Pushes until one says new mail (EXISTS) or the server leaves (BYE); keep-alives
        and flag changes (our own $AIETriaged marks among them) are skipped."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.cycle_s
        while (left := deadline - loop.time()) > 0:
            try:
                lines = await self.idle.call(imap.wait_server_push(timeout=left), left)
            except (TimeoutError, asyncio.TimeoutError):  # noqa: UP041 - aioimaplib raises either
                return []
            found = [bytes(line) for line in lines if isinstance(line, bytes | bytearray)]
            if any(line.endswith(b"EXISTS") for line in found):
                self.stats.pushes += 1
                return found
            if any(b"BYE" in line or b"stop_wait_server_push" in line for line in found):
                return found
        return []

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stop.wait(), seconds)
        except TimeoutError:
            pass

    def _beat(self, status: str, note: str) -> None:
        vault = self.service.vault
        vault.signals.beat(self.name, vault.role, status, note)
