"""Finding and resolving what sync leaves behind, identically on every replica.

Syncthing reports neither of the common cases as a conflict (see the sync notes): two
agents that claimed one task while apart leave the task in both ``In_Progress/`` folders,
and an edit on one side while the other claimed leaves it in ``Needs_Action/`` and
``In_Progress/``. Two offline edits of one file do leave a ``.sync-conflict-`` copy.

The rule for a task found in several places depends only on the copies, so every replica
picks the same winner: a finished copy (``Done/``, ``Failed/``) beats a claimed one, which
beats an unclaimed one (the work may not be done twice); then the earliest claim; then
the domain's owner from the zone table; then the agent's name; then the path. Losing
copies, and the approval requests their holders wrote for that task, move to
``Conflicts/`` untouched, next to a report. Nothing is deleted; nothing lost is executed.

A claim is a move, and Syncthing applies the new file before the deletion of the old one:
for a moment the receiving replica has an untouched copy in ``Needs_Action/`` beside the
claimed one. Such a copy (same body as the claimed one, first seen by this process less
than ``settle_s`` ago on the vault's clock) is left for the sync to remove; if it is still
there after that, it is parked. A restart starts the wait again: that only delays parking.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from servers.vault_mcp.scan import Hazard, VaultScan, scan_vault
from shared.approvals import Approvals
from shared.containment import ensure_folder
from shared.errors import VaultFileError
from shared.layout import CONFLICTS, DOMAIN_OWNERS, LOGS, is_archive_month
from shared.listing import Listing, listing
from shared.quarantine import Quarantine
from shared.tasks import Location, TaskState, TaskStore
from shared.text import md_text
from shared.vault_files import VaultDoc, create_doc, read_doc, read_vault_bytes

__all__ = ["ConflictResolution", "Conflicts", "Duplicate", "winner_key"]

log = logging.getLogger("vault-mcp.conflicts")

_STATE_RANK = {"done": 0, "failed": 0, "in_progress": 1, "needs_action": 2}


@dataclass
class Duplicate:
    task_id: str
    copies: list[Location]
    metas: list[dict[str, Any]] = field(default_factory=list)


class ConflictResolution(BaseModel):
    task_id: str = Field(description="The task id, or the file name for a sync-conflict copy")
    kind: str = Field(
        description="duplicate_task, sync_conflict_copy, refused_file or unreadable_file"
    )
    winner: str = Field(description="Path of the copy that stays")
    loser: str = Field(description="Path(s) of what moved to Conflicts/, comma-separated")
    rule: str
    moved_approvals: list[str] = Field(default_factory=list)
    report: str = Field(description="Path of the report in Conflicts/")


def winner_key(loc: Location, meta: dict[str, Any]) -> tuple[int, str, int, str, str]:
    """Sort key: the smallest wins. A function of the copy only, so replicas agree."""
    holder = loc.holder or str(meta.get("claimed_by") or meta.get("completed_by") or "")
    claimed = str(meta.get("claimed_at") or "") or "~"  # "~" sorts after every timestamp
    domain = str(meta.get("domain") or loc.place)
    owner_rank = 0 if holder and DOMAIN_OWNERS.get(domain) == holder else 1
    return (_STATE_RANK[loc.state], claimed, owner_rank, holder, loc.path.as_posix())


def _origin(loc: Location) -> str:
    return f"{loc.state}-{loc.place}" if loc.place else loc.state


class Conflicts:
    def __init__(
        self,
        store: TaskStore,
        approvals: Approvals,
        quarantine: Quarantine | None = None,
        settle_s: float = 30.0,
    ) -> None:
        self.quarantine = quarantine or Quarantine()
        self.settle_s = settle_s
        self.store = store
        self.approvals = approvals
        self.root = store.root
        self.syncthing_temp_files = 0
        self._in_flight_since: dict[Path, datetime] = {}

    # -- detection (reads names only) ----------------------------------------------------
    def duplicates(self) -> list[Duplicate]:
        """Task ids found in more than one place; looks at file names only. ``Done/`` may
        hold a year of tasks: it is only looked up for the names of the other folders."""
        places: dict[str, list[tuple[Path, TaskState, str]]] = {}
        states: tuple[TaskState, ...] = ("needs_action", "in_progress", "failed")
        for state in states:
            for folder, place in self.store.folders(state):
                for name in self.store.task_names(folder):
                    places.setdefault(name, []).append((folder, state, place))
        done = self.store.layout.done
        months = [m for m in listing(done).folders if is_archive_month(m)]
        for folder in (done, *(done / month for month in months)):
            finished: set[str] = listing(folder).memo("task_set", self._task_set(folder))
            for name, found in places.items():
                if name in finished:
                    found.append((folder, "done", ""))
        return [
            Duplicate(
                name[:-3], [Location(folder / name, state, place) for folder, state, place in found]
            )
            for name, found in sorted(places.items())
            if len(found) > 1
        ]

    def scan(self) -> VaultScan:
        """Syncthing's conflict copies and temp files, and the files that are no note (links,
        FIFOs, devices) anywhere in the vault; reads no file."""
        found = scan_vault(self.root)
        found.sync_copies = [p for p in found.sync_copies if p.parent.name != LOGS]
        self.syncthing_temp_files = found.syncthing_temp_files
        return found

    def _task_set(self, folder: Path) -> Callable[[Listing], set[str]]:
        return lambda _: set(self.store.task_names(folder))

    def sync_copies(self) -> list[Path]:
        return self.scan().sync_copies

    # -- resolution ------------------------------------------------------------------------
    def resolve(self) -> list[ConflictResolution]:
        duplicates = self.duplicates()
        current = {loc.path for dup in duplicates for loc in dup.copies}
        for gone in set(self._in_flight_since) - current:
            del self._in_flight_since[gone]
        results = [self._resolve_duplicate(dup) for dup in duplicates]
        found = self.scan()
        results += [self._park_sync_copy(path) for path in found.sync_copies]
        results += [self._park_hazard(hazard) for hazard in found.hazards]
        results += [self._park_unreadable(p, why) for p, why in self.quarantine.take().items()]
        resolved = [r for r in results if r is not None]
        for r in resolved:
            self.store.audit.record("conflict_resolve", r.task_id, params=r.model_dump())
        return resolved

    def _resolve_duplicate(self, dup: Duplicate) -> ConflictResolution | None:
        ranked: list[tuple[tuple[int, str, int, str, str], Location, dict[str, Any]]] = []
        bodies: dict[Path, str] = {}
        for loc in dup.copies:
            try:
                doc = read_doc(loc.path)
            except FileNotFoundError:
                continue
            except VaultFileError:
                doc = VaultDoc({}, "")
            bodies[loc.path] = doc.body
            ranked.append((winner_key(loc, doc.meta), loc, doc.meta))
        if len(ranked) < 2:
            return None
        ranked.sort(key=lambda item: item[0])
        _, win, win_meta = ranked[0]
        ranked = [ranked[0]] + [
            item for item in ranked[1:] if not self._move_in_flight(item[1], win, bodies)
        ]
        if len(ranked) < 2:
            return None
        conflicts = ensure_folder(self.root / CONFLICTS)
        losers, moved = [], []
        for _, loc, _ in ranked[1:]:
            target = _park(loc.path, conflicts, f"{dup.task_id}--{_origin(loc)}")
            if target is None:
                continue  # the other replica's identical resolution arrived first
            losers.append(self.store.rel(target))
            if loc.holder and loc.holder != win.holder:
                moved += self._park_approvals(dup.task_id, loc.holder)
        rule = _rule(ranked[0][0], ranked[1][0])
        report = self._report(dup.task_id, self.store.rel(win.path), losers, moved, rule)
        return ConflictResolution(
            task_id=dup.task_id,
            kind="duplicate_task",
            winner=self.store.rel(win.path),
            loser=", ".join(losers),
            rule=rule,
            moved_approvals=moved,
            report=report,
        )

    def _move_in_flight(self, loc: Location, win: Location, bodies: dict[Path, str]) -> bool:
        if loc.state != "needs_action" or win.state == "needs_action":
            return False
        if bodies.get(loc.path) != bodies.get(win.path):
            return False  # edited on one side while claimed on the other: a real conflict
        if not os.path.lexists(loc.path):
            return True
        now = self.store.clock()
        since = self._in_flight_since.setdefault(loc.path, now)
        return (now - since).total_seconds() < self.settle_s

    def _park_approvals(self, task_id: str, holder: str) -> list[str]:
        moved = []
        for item in self.approvals.for_task(task_id):
            if item.requested_by == holder and item.state in ("pending", "approved", "rejected"):
                reason = f"its task {task_id} was claimed by another agent first"
                if self.approvals.move_to_conflicts(item.id, reason):
                    moved.append(item.id)
        return moved

    def _park_sync_copy(self, path: Path) -> ConflictResolution | None:
        stem, _, rest = path.name.partition(".sync-conflict-")
        original = path.with_name(stem + Path(rest).suffix)
        target = _free_name(
            self.root / CONFLICTS, f"{stem}--sync-conflict-{Path(rest).stem}", path.suffix
        )
        try:
            path.rename(target)
        except FileNotFoundError:
            return None
        rule = (
            "two replicas edited this file while apart; Syncthing kept the newer edit in "
            "place and this copy holds the other"
        )
        report = self._report(stem, self.store.rel(original), [self.store.rel(target)], [], rule)
        return ConflictResolution(
            task_id=stem,
            kind="sync_conflict_copy",
            winner=self.store.rel(original),
            loser=self.store.rel(target),
            rule=rule,
            report=report,
        )

    def _park_unreadable(self, path: Path, why: str) -> ConflictResolution | None:
        """Move a file that could not be read aside (if it still cannot be), under a name
        Obsidian does not render, with a report of why."""
        try:
            read_doc(path)
            return None  # fixed meanwhile
        except FileNotFoundError:
            return None
        except VaultFileError:
            pass
        rel = self.store.rel(path)
        flat = rel.replace("/", "--")
        target = _free_name(self.root / CONFLICTS, flat, ".unreadable")
        try:
            path.rename(target)
        except OSError:
            return None
        rule = f"{rel} could not be read ({why}); fix it and move it back, or delete it"
        report = self._report(flat, "", [self.store.rel(target)], [], rule)
        return ConflictResolution(
            task_id=flat,
            kind="unreadable_file",
            winner="",
            loser=self.store.rel(target),
            rule=rule,
            report=report,
        )

    def _park_hazard(self, hazard: Hazard) -> ConflictResolution | None:
        """Move a link, FIFO, socket or device aside (renaming never follows or opens it),
        under a name Obsidian does not open, with a report of what and where it was."""
        source = self.root / hazard.path
        flat = hazard.path.replace("/", "--")
        target = _free_name(self.root / CONFLICTS, flat, ".refused")
        try:
            source.rename(target)
        except FileNotFoundError:
            return None
        except OSError as error:  # e.g. a read-only folder: reported by vault_status
            log.warning("could not move %s aside: %s", hazard.path, error)
            return None
        pointing = f", pointing to {hazard.target!r}" if hazard.target else ""
        rule = (
            f"{hazard.path} is {hazard.kind}{pointing}, never followed or opened in the vault; "
            "it was moved here (another device may have put it there)"
        )
        report = self._report(flat, "", [self.store.rel(target)], [], rule)
        return ConflictResolution(
            task_id=flat,
            kind="refused_file",
            winner="",
            loser=self.store.rel(target),
            rule=rule,
            report=report,
        )

    def _report(
        self, name: str, winner: str, losers: list[str], moved: list[str], rule: str
    ) -> str:
        """Deterministic content, so two replicas that resolve alike write the same bytes."""
        meta = {
            "type": "conflict_report",
            "task_id": name,
            "winner": winner,
            "losers": losers,
            "moved_approvals": moved,
            "rule": rule,
        }
        lines = [f"# Conflict: {md_text(name)}", ""]
        if winner:
            lines += [f"Kept: {md_text(winner)}", ""]
        lines += ["Moved here, never executed:"]
        lines += [f"- {md_text(p)}" for p in losers] + [f"- approval [[{a}]]" for a in moved]
        lines += ["", f"Rule: {md_text(rule)}.", ""]
        doc = VaultDoc(meta, "\n".join(lines))
        conflicts = self.root / CONFLICTS
        n = 1
        while True:
            path = conflicts / (f"{name}--report.md" if n == 1 else f"{name}--report-{n}.md")
            if create_doc(path, doc) or read_doc(path).meta == meta:
                return self.store.rel(path)
            n += 1


def _rule(win: tuple[int, str, int, str, str], runner_up: tuple[int, str, int, str, str]) -> str:
    if win[0] != runner_up[0]:
        return "a finished copy beats a claimed one, which beats an unclaimed one"
    if win[1] != runner_up[1]:
        return "the earliest claim wins"
    if win[2] != runner_up[2]:
        return "claims at the same time: the domain's owner wins"
    return "claims at the same time: the first agent name wins"


def _park(source: Path, folder: Path, stem: str) -> Path | None:
    """Move ``source`` into ``folder``; when the other replica already parked the same
    bytes there, the source is a second copy of them and goes."""
    same = folder / f"{stem}.md"
    try:
        if _same_bytes(same, source):
            source.unlink()
            return same
        target = _free_name(folder, stem, ".md")
        source.rename(target)
    except FileNotFoundError:
        return None
    return target


def _same_bytes(a: Path, b: Path) -> bool:
    try:
        return read_vault_bytes(a) == read_vault_bytes(b)
    except (FileNotFoundError, VaultFileError):
        return False


def _free_name(folder: Path, stem: str, suffix: str) -> Path:
    ensure_folder(folder)
    candidate = folder / f"{stem}{suffix}"
    n = 2
    while os.path.lexists(candidate):
        candidate = folder / f"{stem}-{n}{suffix}"
        n += 1
    return candidate
