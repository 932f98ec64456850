"""Moving tasks between states: claim-by-move, leases, release, complete, fail.

A claim is a ``rename`` from ``Needs_Action/<domain>/`` into ``In_Progress/<agent>/``. On
one replica exactly one of any number of concurrent claimants succeeds: the others find
the source gone and learn who holds it. A claim is fresh until ``lease`` after the later
of the claim and its holder's last heartbeat; only a stale claim can be taken over, and
never one that waits for a human's approval (its work is done).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from shared.clock import from_iso, to_iso
from shared.containment import ensure_folder
from shared.errors import InvalidInput, NotFound, VaultFileError, WrongState
from shared.layout import DOMAINS
from shared.signals import Signals
from shared.tasks import Location, TaskState, TaskStore, TaskView
from shared.vault_files import MAX_BODY_CHARS, VaultDoc, read_doc, write_doc

__all__ = ["ClaimOutcome", "Claims", "StaleClaim"]

MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class ClaimOutcome:
    task: TaskView
    claimed: bool
    holder: str | None
    already_yours: bool = False
    taken_over_from: str | None = None


@dataclass(frozen=True)
class StaleClaim:
    task_id: str
    holder: str
    fresh_until: datetime
    path: str


class Claims:
    """State changes of tasks on behalf of one agent."""

    def __init__(
        self, store: TaskStore, signals: Signals, lease: timedelta, move_window_s: float = 10.0
    ) -> None:
        self.move_window_s = move_window_s
        self.store = store
        self.signals = signals
        self.lease = lease

    @property
    def agent(self) -> str:
        return self.store.agent

    # -- leases ------------------------------------------------------------------------------
    def fresh_until(self, meta: dict[str, Any], holder: str, path: Path) -> datetime:
        """The lease runs from the later of the claim stamp and the holder's heartbeat,
        both on the vault's clock. A claim without a stamp is either caught between its
        move and its stamp (fresh), or was interrupted or dragged in by hand: then the
        holder's heartbeat alone keeps it, and with no heartbeat it is already stale."""
        claimed = from_iso(meta.get("claimed_at"))
        if claimed is None and self._moving(path):
            return self.store.clock() + self.lease
        stamps = [t for t in (claimed, self.signals.last_seen(holder)) if t is not None]
        return max(stamps) + self.lease if stamps else datetime.min.replace(tzinfo=UTC)

    def _moving(self, path: Path) -> bool:
        """Moved here a moment ago (the move set its ctime). Compared with the ctime of a
        file touched now: the kernel's clock against itself, never the injected clock or
        the process's (which a time shift such as faketime changes, but not ctimes)."""
        probe = self.store.lock_dir / f"clock-probe-{self.agent}"
        try:
            moved = path.stat().st_ctime
        except FileNotFoundError:
            return True  # moved on while we looked
        try:
            probe.parent.mkdir(parents=True, exist_ok=True)
            probe.touch()
            now = probe.stat().st_ctime
        except OSError:
            return True  # cannot tell: fresh is the safe answer, it never claims twice
        return now - moved < self.move_window_s

    def is_stale(self, loc: Location, meta: dict[str, Any]) -> bool:
        if meta.get("status") == "awaiting_approval" or loc.holder is None:
            return False
        return self.store.clock() > self.fresh_until(meta, loc.holder, loc.path)

    def stale_claims(self) -> list[StaleClaim]:
        stale = []
        for loc in self.store.scan("in_progress"):
            try:
                meta = read_doc(loc.path).meta
            except (FileNotFoundError, VaultFileError):
                continue
            if loc.holder and self.is_stale(loc, meta):
                stale.append(
                    StaleClaim(
                        loc.path.stem,
                        loc.holder,
                        self.fresh_until(meta, loc.holder, loc.path),
                        self.store.rel(loc.path),
                    )
                )
        return stale

    # -- claim -------------------------------------------------------------------------------
    def claim(self, task_id: str) -> ClaimOutcome:
        """Claim a task, or take over a stale claim; report who holds it either way."""
        for _ in range(5):
            loc = self.store.locate(task_id)
            try:
                before = loc.path.stat()
                doc = read_doc(loc.path)  # refuse a malformed file before moving it
            except FileNotFoundError:
                continue  # moved while we looked: look again
            meta = doc.meta
            if loc.state == "in_progress" and loc.holder == self.agent:
                return ClaimOutcome(self.store.get(task_id), True, self.agent, already_yours=True)
            if loc.state in ("done", "failed"):
                return ClaimOutcome(self.store.view(loc, VaultDoc(meta, "")), False, None)
            took_over = None
            if loc.state == "in_progress":
                if not self.is_stale(loc, meta):
                    return ClaimOutcome(self.store.get(task_id), False, loc.holder)
                took_over = loc.holder
            target = ensure_folder(self.store.layout.in_progress(self.agent)) / loc.path.name
            try:
                loc.path.rename(target)
            except FileNotFoundError:
                continue  # another claimant moved it first: look again to learn who
            now = to_iso(self.store.clock())
            takeover = {"taken_over_from": took_over, "taken_over_at": now} if took_over else {}
            after = target.stat()
            unchanged = (before.st_ino, before.st_mtime_ns, before.st_size) == (
                after.st_ino,
                after.st_mtime_ns,
                after.st_size,
            )
            doc = self._stamp(
                target,
                base=doc if unchanged else None,  # re-read only if edited while we moved it
                status="in_progress",
                claimed_by=self.agent,
                claimed_at=now,
                **takeover,
            )
            action = "task_takeover" if took_over else "task_claim"
            self.store.audit.record(
                action,
                task_id,
                params={"from": self.store.rel(loc.path)},
                detail=f"stale claim of {took_over}" if took_over else None,
            )
            view = self.store.view(Location(target, "in_progress", self.agent), doc)
            return ClaimOutcome(view, True, self.agent, taken_over_from=took_over)
        raise WrongState(f"task {task_id!r} kept moving while claiming it; try again")

    # -- other moves -----------------------------------------------------------------------
    def release(self, task_id: str, note: str = "") -> TaskView:
        """Give a claimed task back to ``Needs_Action/<domain>/`` for anyone to claim."""
        loc = self._held(task_id, "release")
        meta = read_doc(loc.path).meta
        domain = str(meta.get("domain") or "")
        if domain not in DOMAINS:  # a path is never built from what a file says
            raise WrongState(
                f"task {task_id!r} has no known domain in its frontmatter ({domain[:40]!r}); "
                f"fix the file: one of {', '.join(DOMAINS)}"
            )
        target = self.store.layout.needs_action(domain) / loc.path.name
        self._move(loc.path, target)
        doc = self._stamp(
            target,
            status="needs_action",
            claimed_by=None,
            claimed_at=None,
            released_by=self.agent,
            released_at=to_iso(self.store.clock()),
            release_note=note or None,
        )
        self.store.audit.record("task_release", task_id, params={"note": note})
        return self.store.view(Location(target, "needs_action", domain), doc)

    def complete(self, task_id: str, summary: str, outcome: str = "done") -> TaskView:
        """Move a task to ``Done/`` with a summary of what was done."""
        _check_text("summary", summary)
        loc = self._held(task_id, "complete", allow_awaiting=True)
        target = self.store.layout.done / loc.path.name
        self._move(loc.path, target)
        doc = self._stamp(
            target,
            status="done",
            outcome=outcome,
            completed_by=self.agent,
            completed_at=to_iso(self.store.clock()),
            summary=summary,
        )
        self.store.audit.record(
            "task_complete", task_id, params={"outcome": outcome}, detail=summary[:500]
        )
        return self.store.view(Location(target, "done", ""), doc)

    def fail(self, task_id: str, reason: str, retry: bool = True) -> TaskView:
        """Record a failure: back to the queue while attempts remain, else to ``Failed/``."""
        _check_text("reason", reason)
        loc = self._held(task_id, "fail", allow_awaiting=True)
        meta = read_doc(loc.path).meta
        attempts = int(meta.get("attempts") or 0) + 1
        give_up = not retry or attempts >= MAX_ATTEMPTS
        domain = str(meta.get("domain") or "")
        domain = domain if domain in DOMAINS else "general"  # never a path from a file
        target = (
            self.store.layout.failed if give_up else self.store.layout.needs_action(domain)
        ) / loc.path.name
        self._move(loc.path, target)
        doc = self._stamp(
            target,
            status="failed" if give_up else "needs_action",
            attempts=attempts,
            last_error=reason,
            failed_by=self.agent,
            claimed_by=None,
            claimed_at=None,
            failed_at=to_iso(self.store.clock()),
        )
        self.store.audit.record(
            "task_fail",
            task_id,
            result="failed" if give_up else "retry",
            detail=reason[:500],
            params={"attempts": attempts},
        )
        state: TaskState = "failed" if give_up else "needs_action"
        return self.store.view(Location(target, state, "" if give_up else domain), doc)

    def mark(self, task_id: str, **fields: Any) -> TaskView:
        """Set frontmatter fields of a task in place (e.g. status awaiting_approval)."""
        loc = self.store.locate(task_id)
        return self.store.view(loc, self._stamp(loc.path, **fields))

    # -- helpers -----------------------------------------------------------------------------
    def _held(self, task_id: str, verb: str, allow_awaiting: bool = False) -> Location:
        found = self.store.locations(task_id)
        claimed = [loc for loc in found if loc.state == "in_progress"]
        if len(claimed) == 1 and all(
            loc.state == "needs_action" for loc in found if loc not in claimed
        ):
            loc = claimed[0]  # beside it, at most the old copy of a claim still syncing
        else:
            loc = self.store.locate(task_id)
        if loc.state != "in_progress":
            raise WrongState(
                f"cannot {verb} task {task_id!r}: it is {loc.state.replace('_', ' ')}, "
                "not in progress; claim it first with task_claim"
            )
        if loc.holder != self.agent:
            meta = read_doc(loc.path).meta
            if not (allow_awaiting and meta.get("status") == "awaiting_approval"):
                raise WrongState(
                    f"cannot {verb} task {task_id!r}: {loc.holder} holds it, not {self.agent}"
                )
        return loc

    def _move(self, source: Path, target: Path) -> None:
        ensure_folder(target.parent)
        if os.path.lexists(target):
            raise WrongState(
                f"{self.store.rel(target)} already exists; call conflicts_resolve first"
            )
        try:
            source.rename(target)
        except FileNotFoundError:
            raise NotFound(
                f"task file {self.store.rel(source)} moved away meanwhile; call task_get"
            ) from None

    @staticmethod
    def _stamp(path: Path, base: VaultDoc | None = None, **fields: Any) -> VaultDoc:
        doc = base if base is not None else read_doc(path)
        for key, value in fields.items():
            if value is None:
                doc.meta.pop(key, None)
            else:
                doc.meta[key] = value
        write_doc(path, doc)
        return doc


def _check_text(name: str, text: str) -> None:
    if len(text) > MAX_BODY_CHARS:
        raise InvalidInput(f"{name} is longer than {MAX_BODY_CHARS} characters; shorten it")
