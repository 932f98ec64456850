"""Tasks in the vault: where they are, how they are created, read and listed.

A task is the file ``<task id>.md`` wherever it is; its folder is its state:

    Needs_Action/<domain>/   needs_action        In_Progress/<agent>/   in_progress
    Done/                    done                Failed/                failed

The frontmatter mirrors the state for Obsidian; the folder wins when they disagree
(a person may drag files by hand). Moves between states live in :mod:`shared.claims`.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from shared.audit import AuditLog
from shared.clock import Clock, to_iso
from shared.containment import ensure_folder
from shared.errors import InvalidInput, NotFound, VaultFileError, WrongState
from shared.ids import check_task_id, new_task_id, task_id_for
from shared.layout import (
    DOMAINS,
    IN_PROGRESS,
    NEEDS_ACTION,
    Layout,
    is_archive_month,
    is_hidden,
    is_sync_conflict,
)
from shared.listing import listing
from shared.text import md_text
from shared.vault_files import MAX_BODY_CHARS, VaultDoc, create_doc, read_doc

__all__ = [
    "Location",
    "TaskState",
    "TaskStore",
    "TaskSummary",
    "TaskView",
    "check_domain",
    "is_task_file",
]

TaskState = Literal["needs_action", "in_progress", "done", "failed"]
MAX_TITLE_CHARS = 200


def check_domain(domain: str) -> str:
    if domain not in DOMAINS:
        raise InvalidInput(f"unknown domain {domain[:40]!r}; use one of {', '.join(DOMAINS)}")
    return domain


@dataclass(frozen=True)
class Location:
    """One copy of a task on disk."""

    path: Path
    state: TaskState
    place: str  # the domain for needs_action, the agent for in_progress, "" otherwise

    @property
    def holder(self) -> str | None:
        return self.place if self.state == "in_progress" else None


class TaskSummary(BaseModel):
    id: str
    domain: str
    title: str
    state: TaskState
    status: str = Field(description="Finer state from the frontmatter, e.g. awaiting_approval")
    holder: str | None = Field(description="Agent holding the claim, if in progress")
    created: str
    path: str = Field(description="Path of the file relative to the vault root")


class TaskView(TaskSummary):
    meta: dict[str, Any]
    body: str


class TaskStore:
    """Create, find, read and list tasks of one vault replica."""

    def __init__(
        self,
        vault: Path,
        agent: str,
        audit: AuditLog,
        clock: Clock,
        lock_dir: Path,
        on_unreadable: Callable[[Path, str], None] = lambda path, why: None,
    ):
        self.on_unreadable = on_unreadable
        self.root = vault
        self.layout = Layout(vault)
        self.agent = agent
        self.audit = audit
        self.clock = clock
        self.lock_dir = lock_dir  # machine-local state, never in the vault
        self._needs_action = str(self.root / NEEDS_ACTION)
        self._in_progress = str(self.root / IN_PROGRESS)
        self._done, self._failed = str(self.layout.done), str(self.layout.failed)

    @contextlib.contextmanager
    def _creating(self) -> Iterator[None]:
        """One creator at a time on this machine: without it, a task claimed (moved away)
        between another process's look and its write would be created a second time."""
        self.lock_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_dir / "task-create.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    # -- finding ---------------------------------------------------------------------------
    def candidates(self, task_id: str) -> list[Location]:
        """Every place the task's file could be, in pipeline order."""
        return [Location(Path(path), state, place) for path, state, place in self._places(task_id)]

    def _places(self, task_id: str) -> list[tuple[str, TaskState, str]]:
        # Plain strings: this runs on every claim and read, and Path objects cost more
        # than the stat calls they lead to.
        name = f"{task_id}.md"
        places: list[tuple[str, TaskState, str]] = [
            (f"{self._needs_action}/{sub}/{name}", "needs_action", sub)
            for sub in _subfolder_names(self._needs_action)
        ]
        places += [
            (f"{self._in_progress}/{sub}/{name}", "in_progress", sub)
            for sub in _subfolder_names(self._in_progress)
        ]
        places.append((f"{self._done}/{name}", "done", ""))
        places += [
            (f"{self._done}/{month}/{name}", "done", "")
            for month in listing(self._done).folders
            if is_archive_month(month)
        ]
        places.append((f"{self._failed}/{name}", "failed", ""))
        return places

    def locations(self, task_id: str) -> list[Location]:
        """Where the task is now. A file moving while we look can be seen twice or not at
        all, so an answer other than exactly one is confirmed by looking again."""
        seen: list[tuple[str, TaskState, str]] = []
        for _ in range(3):
            seen = [place for place in self._places(task_id) if _is_file(place[0])]
            if len(seen) == 1:
                break
        return [Location(Path(path), state, place) for path, state, place in seen]

    def locate(self, task_id: str) -> Location:
        """The one location of a task, or a clear error when it has none or several."""
        found = self.locations(task_id)
        if not found:
            raise NotFound(f"no task {task_id!r} in the vault; call task_list to see task ids")
        if len(found) > 1:
            places = ", ".join(self.rel(loc.path) for loc in found)
            raise WrongState(
                f"task {task_id!r} is in {len(found)} places after a sync ({places}); "
                "call conflicts_resolve first"
            )
        return found[0]

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    # -- creating and reading ----------------------------------------------------------
    def create(
        self,
        domain: str,
        title: str,
        body: str,
        source_id: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> tuple[TaskView, bool]:
        """Create a task in ``Needs_Action/<domain>/``; with a ``source_id`` seen before,
        return the existing task and ``False`` instead."""
        check_domain(domain)
        title = title.strip()
        if not title or len(title) > MAX_TITLE_CHARS or "\n" in title or "\r" in title:
            raise InvalidInput(f"title must be one line of 1 to {MAX_TITLE_CHARS} characters")
        if len(body) > MAX_BODY_CHARS:
            raise InvalidInput(
                f"body has {len(body)} characters, more than {MAX_BODY_CHARS}; "
                "put large content in a file outside the vault and link to it"
            )
        with self._creating():
            return self._create(domain, title, body, source_id, extra)

    def _create(
        self,
        domain: str,
        title: str,
        body: str,
        source_id: str | None,
        extra: dict[str, Any] | None,
    ) -> tuple[TaskView, bool]:
        now = self.clock()
        task_id = task_id_for(domain, source_id) if source_id else new_task_id(domain, now)
        if source_id and self.locations(task_id):
            return self.get(task_id), False
        meta: dict[str, Any] = {
            "type": "task",
            "id": task_id,
            "domain": domain,
            "title": title,
            "status": "needs_action",
            "created": to_iso(now),
            "created_by": self.agent,
        }
        if source_id:
            meta["source_id"] = source_id
        for key, value in (extra or {}).items():
            meta.setdefault(key, value)
        target = ensure_folder(self.layout.needs_action(domain))
        if not create_doc(target / f"{task_id}.md", VaultDoc(meta, _task_body(title, body))):
            return self.get(task_id), False
        self.audit.record(
            "task_create",
            task_id,
            params={"domain": domain, "title": title, "source_id": source_id},
        )
        return self.get(task_id), True

    def get(self, task_id: str) -> TaskView:
        loc = self.locate(task_id)
        try:
            doc = read_doc(loc.path)
        except FileNotFoundError:  # moved between locate and read
            loc = self.locate(task_id)
            doc = read_doc(loc.path)
        return self.view(loc, doc)

    def view(self, loc: Location, doc: VaultDoc) -> TaskView:
        summary = self.summary(loc, doc.meta)
        return TaskView(**summary.model_dump(), meta=doc.meta, body=doc.body)

    def summary(self, loc: Location, meta: dict[str, Any]) -> TaskSummary:
        task_id = loc.path.stem
        domain = loc.place if loc.state == "needs_action" else str(meta.get("domain") or "")
        return TaskSummary(
            id=task_id,
            domain=domain,
            title=str(meta.get("title") or task_id),
            state=loc.state,
            status=str(meta.get("status") or loc.state),
            holder=loc.holder,
            created=str(meta.get("created") or ""),
            path=self.rel(loc.path),
        )

    # -- listing ---------------------------------------------------------------------------
    def folders(
        self, state: TaskState, domain: str | None = None, agent: str | None = None
    ) -> list[tuple[Path, str]]:
        """The folders holding tasks in ``state``, each with its domain or agent."""
        if state == "needs_action":
            return [
                (f, f.name)
                for f in _subfolders(self.root / NEEDS_ACTION)
                if domain is None or f.name == domain
            ]
        if state == "in_progress":
            return [
                (f, f.name)
                for f in _subfolders(self.root / IN_PROGRESS)
                if agent is None or f.name == agent
            ]
        return [(self.layout.done if state == "done" else self.layout.failed, "")]

    def scan(
        self, state: TaskState, domain: str | None = None, agent: str | None = None
    ) -> list[Location]:
        """Task files in one state, oldest first by modification time. Reads no file."""
        found: list[tuple[float, str, Location]] = []
        for folder, place in self.folders(state, domain, agent):
            for entry in _task_entries(folder):
                loc = Location(Path(entry.path), state, place)
                found.append((entry.stat().st_mtime, entry.name, loc))
        found.sort(key=lambda item: (item[0], item[1]))
        return [loc for _, _, loc in found]

    def page(
        self,
        state: TaskState,
        domain: str | None = None,
        agent: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[TaskSummary], int]:
        """One page of tasks in ``state`` and the total count; unreadable files are skipped
        here (``task_get`` names their problem)."""
        if domain is not None:
            check_domain(domain)
        locs = self.scan(state, domain, agent)
        page: list[TaskSummary] = []
        needs_domain_filter = domain is not None and state != "needs_action"
        if needs_domain_filter:
            items = [
                (loc, m)
                for loc in locs
                if (m := self._meta(loc)) is not None and m.get("domain") == domain
            ]
            return [self.summary(loc, m) for loc, m in items[offset : offset + limit]], len(items)
        for loc in locs[offset : offset + limit]:
            meta = self._meta(loc)
            if meta is not None:
                page.append(self.summary(loc, meta))
        return page, len(locs)

    @staticmethod
    def task_names(folder: Path) -> list[str]:
        """Names of the task files in one folder; reads no file, and lists the folder again
        only when it changed."""
        names: list[str] = listing(folder).memo(
            "tasks", lambda found: [n for n in found.files if is_task_file(n)]
        )
        return names

    def _meta(self, loc: Location) -> dict[str, Any] | None:
        try:
            return read_doc(loc.path).meta
        except FileNotFoundError:
            return None
        except VaultFileError as error:
            self.on_unreadable(loc.path, str(error))
            return None


def _is_file(path: str) -> bool:
    """A regular file, never a link (a link is reported by vault_status, not used)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError as error:  # what Path.is_file treats as "no file"
        if error.errno in (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP):
            return False
        raise


def _subfolder_names(folder: str) -> list[str]:
    return [name for name in listing(folder).folders if not is_hidden(name)]


def _subfolders(folder: Path) -> list[Path]:
    return [folder / name for name in _subfolder_names(str(folder))]


def _task_entries(folder: Path) -> list[os.DirEntry[str]]:
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return []
    return [e for e in entries if is_task_file(e.name) and e.is_file(follow_symlinks=False)]


def is_task_file(name: str) -> bool:
    """A task file: ``<domain>-<...>.md`` with a valid id; never a hidden file, a
    sync-conflict copy (its name has dots) or an executed approval in ``Done/``."""
    if not name.endswith(".md") or is_hidden(name) or is_sync_conflict(name):
        return False
    stem = name[:-3]
    return stem.split("-", 1)[0] in DOMAINS and _valid_id(stem)


def _valid_id(stem: str) -> bool:
    try:
        check_task_id(stem)
    except ValueError:
        return False
    return True


def _task_body(title: str, body: str) -> str:
    return f"# {md_text(title)}\n\n{body.rstrip()}\n"
