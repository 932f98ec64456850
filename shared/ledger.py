"""The execution ledger: what this machine executed, so nothing is executed twice.

One JSON file per approval in ``<state dir>/executions/`` (the state dir never syncs).
:meth:`ExecutionLedger.run` holds an exclusive lock on the approval for the whole
execution, records ``started`` with the intent (e.g. the Message-ID fixed before sending)
*before* the outside world is touched and ``done`` after. An entry found ``started`` on a
later run means a crash in between: the caller must ask the outside world whether the
step happened (the Sent folder for that Message-ID, the invoice's state in Odoo).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from shared.clock import Clock, from_iso, system_clock, to_iso
from shared.errors import AlreadyExecuted, WrongState
from shared.vault_files import atomic_write_text

__all__ = ["ExecutionLedger", "LedgerEntry"]


@dataclass
class LedgerEntry:
    approval_id: str
    status: str
    intent: dict[str, Any]
    started_at: str
    interrupted: bool = False
    outcome: dict[str, Any] = field(default_factory=dict)


class ExecutionLedger:
    def __init__(self, state_dir: Path, clock: Clock = system_clock) -> None:
        self.folder = state_dir / "executions"
        self.clock = clock

    def _path(self, approval_id: str) -> Path:
        return self.folder / f"{approval_id}.json"

    def get(self, approval_id: str) -> LedgerEntry | None:
        try:
            data = json.loads(self._path(approval_id).read_text("utf-8"))
        except FileNotFoundError:
            return None
        return LedgerEntry(**data)

    @contextlib.contextmanager
    def run(self, approval_id: str, intent: dict[str, Any]) -> Iterator[LedgerEntry]:
        """Hold the approval's lock; yield its entry, marked ``interrupted`` when an earlier
        run started and never finished. Refuse one that is done or running elsewhere."""
        self.folder.mkdir(parents=True, exist_ok=True)
        lock_fd = os.open(self.folder / f".{approval_id}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise WrongState(
                    f"approval {approval_id!r} is being executed right now by another call; "
                    "wait for it and check the result with approval_list"
                ) from None
            entry = self.get(approval_id)
            if entry is not None and entry.status == "done":
                raise AlreadyExecuted(
                    approval_id,
                    f"approval {approval_id!r} was already executed on this "
                    f"machine ({entry.outcome}); nothing to do",
                )
            if entry is None:
                entry = LedgerEntry(approval_id, "started", intent, to_iso(self.clock()))
                self._write(entry)
            else:
                entry.interrupted = True
            yield entry
        finally:
            os.close(lock_fd)

    def mark(self, entry: LedgerEntry, status: str) -> None:
        """Record a step inside the execution (e.g. ``sending`` before the outside call)."""
        entry.status = status
        self._write(entry)

    def finish(self, entry: LedgerEntry, outcome: dict[str, Any]) -> None:
        entry.status = "done"
        entry.outcome = outcome
        self._write(entry)

    def prune(self, older_than: timedelta) -> int:
        """Forget finished executions started more than ``older_than`` ago (their approvals
        expired long before: none can be executed again, whatever the ledger says); an
        unfinished one is kept for recovery. The folder of witnesses an older version kept
        goes too. Returns how many entries went."""
        shutil.rmtree(self.folder.parent / "witnessed", ignore_errors=True)
        cutoff = self.clock() - older_than
        gone = 0
        for path in self.folder.glob("appr-*.json"):
            try:
                data = json.loads(path.read_text("utf-8"))
            except (OSError, ValueError):
                continue
            started = from_iso(data.get("started_at"))
            if data.get("status") == "done" and started is not None and started < cutoff:
                path.unlink(missing_ok=True)
                (self.folder / f".{path.stem}.lock").unlink(missing_ok=True)
                gone += 1
        return gone

    def _write(self, entry: LedgerEntry) -> None:
        record = {
            "approval_id": entry.approval_id,
            "status": entry.status,
            "intent": entry.intent,
            "started_at": entry.started_at,
            "outcome": entry.outcome,
        }
        atomic_write_text(self._path(entry.approval_id), json.dumps(record, indent=1) + "\n")
