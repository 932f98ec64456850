"""Approval requests in the vault: finding them, asking for one, and moving them on.

A request is ``Pending_Approval/<domain>/<approval id>.md``. Its frontmatter records the
action, its parameters, ``params_hash`` (SHA-256 of the canonical JSON of action and
parameters), who asked, when, and when it expires; its body is the laptop's rendering of
those (:mod:`.rendering`). A person approves it on the laptop by moving it to
``Approved/`` or rejects it by moving it to ``Rejected/`` (:mod:`.decisions`); both folders
never sync. After execution (:mod:`.execution`) it moves to ``Done/``.

Fields listed in ``editable`` are shown in the body in fenced blocks between markers; a
person may change them there before approving, and the edit is what executes.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from shared.approvals import decisions
from shared.approvals.execution import check_executable
from shared.approvals.model import ApprovalState, ApprovalSummary, Executable, params_hash
from shared.approvals.rendering import (
    TextAltered,
    check_renderable,
    headline,
    read_edits,
    render_request,
)
from shared.audit import AuditLog
from shared.clock import Clock, from_iso, system_clock, to_iso
from shared.containment import real_folder
from shared.errors import (
    AlreadyExecuted,
    ApprovalExpired,
    ApprovalRequired,
    InvalidInput,
    NotFound,
    ParamsChanged,
    VaultFileError,
)
from shared.ids import approval_id_for
from shared.layout import (
    CONFLICTS,
    DOMAINS,
    PENDING_APPROVAL,
    Layout,
    is_archive_month,
    is_sync_conflict,
)
from shared.listing import listing
from shared.vault_files import MAX_BODY_CHARS, VaultDoc, create_doc, read_doc, write_doc

__all__ = ["Approvals"]

_ACTION_RE = re.compile(r"^[a-z][a-z_]{2,40}$")


class Approvals:
    def __init__(
        self,
        vault: Path,
        agent: str,
        audit: AuditLog,
        ttl: timedelta,
        clock: Clock = system_clock,
        on_unreadable: Callable[[Path, str], None] = lambda path, why: None,
    ) -> None:
        self.on_unreadable = on_unreadable
        self.root = vault
        self.layout = Layout(vault)
        self.agent = agent
        self.audit = audit
        self.ttl = ttl
        self.clock = clock

    # -- finding -------------------------------------------------------------------------------
    def _pending_folders(self) -> list[Path]:
        """``Pending_Approval/<domain>/`` for the known domains that are real folders."""
        base = self.root / PENDING_APPROVAL
        return [base / d for d in DOMAINS if (base / d).is_dir() and not (base / d).is_symlink()]

    def _places(self, approval_id: str) -> list[tuple[Path, ApprovalState]]:
        name = f"{approval_id}.md"
        places: list[tuple[Path, ApprovalState]] = [
            (d / name, "pending") for d in self._pending_folders()
        ]
        places += [
            (self.layout.approved / name, "approved"),
            (self.layout.rejected / name, "rejected"),
            (self.layout.done / name, "executed"),
            (self.layout.conflicts / name, "conflict"),
        ]
        done = self.layout.done
        months = [m for m in listing(done).folders if is_archive_month(m)]
        places += [(done / month / name, "executed") for month in months]
        return places

    def locate(self, approval_id: str) -> tuple[Path, ApprovalState]:
        for _ in range(3):
            found = [(p, s) for p, s in self._places(approval_id) if p.is_file()]
            if len(found) == 1:
                return found[0]
        if not found:
            raise NotFound(
                f"no approval {approval_id!r} in the vault; call approval_list to see them"
            )
        return found[-1]  # the furthest along wins: executed beats approved beats pending

    def summary(
        self, path: Path, state: ApprovalState, meta: dict[str, Any], body: str | None = None
    ) -> ApprovalSummary:
        """What the tools list of one request; with its ``body``, whether that text is
        still the laptop's rendering (``altered``)."""
        expires = from_iso(meta.get("expires"))
        altered = False
        if body is not None and state in ("pending", "approved"):
            try:
                read_edits(meta, body)
            except TextAltered:
                altered = True
        return ApprovalSummary(
            id=path.stem,
            task_id=str(meta.get("task_id", "")),
            domain=str(meta.get("domain", "")),
            action=str(meta.get("action", "")),
            headline=headline(meta),
            summary=str(meta.get("summary", "")),
            state=state,
            expired=expires is None or expires <= self.clock(),
            requested_by=str(meta.get("requested_by", "")),
            created=str(meta.get("created", "")),
            expires=str(meta.get("expires", "")),
            path=path.relative_to(self.root).as_posix(),
            altered=altered,
            decided_by=str(meta.get("decided_by") or ""),
            decided_via=str(meta.get("decided_via") or ""),
            reason=str(meta.get("reason") or ""),
        )

    def query(self, state: ApprovalState | None = None) -> list[ApprovalSummary]:
        """Every approval in ``state`` (pending, approved and rejected by default), oldest
        first. Listing changes nothing."""
        return self.page(state, limit=None)[0]

    def page(
        self, state: ApprovalState | None = None, limit: int | None = 100, offset: int = 0
    ) -> tuple[list[ApprovalSummary], int]:
        """One page of the approvals in ``state``, oldest file first, and how many there
        are: only the page's files are read, so a flood of requests costs a folder
        listing, not a parse of each. A file that cannot be read is skipped here and
        reported by ``on_unreadable``."""
        files = sorted(self._files(state))
        chosen = files[offset:] if limit is None else files[offset : offset + limit]
        found = []
        for _, path, folder_state in chosen:
            try:
                doc = read_doc(path)
            except FileNotFoundError:
                continue
            except VaultFileError as error:
                self.on_unreadable(path, str(error))
                continue
            found.append(self.summary(path, folder_state, doc.meta, doc.body))
        return found, len(files)

    def _files(self, state: ApprovalState | None) -> list[tuple[float, Path, ApprovalState]]:
        folders: list[tuple[Path, ApprovalState]] = [
            (d, "pending") for d in self._pending_folders()
        ]
        folders += [(self.layout.approved, "approved"), (self.layout.rejected, "rejected")]
        if state in ("executed", "conflict"):
            folders = [(self.layout.done if state == "executed" else self.layout.conflicts, state)]
        found = []
        for folder, folder_state in folders:
            if state is not None and folder_state != state:
                continue
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for entry in entries:
                name = entry.name
                if not name.startswith("appr-") or not name.endswith(".md"):
                    continue
                if is_sync_conflict(name) or not entry.is_file(follow_symlinks=False):
                    continue
                try:
                    mtime = entry.stat(follow_symlinks=False).st_mtime
                except OSError:
                    continue
                found.append((mtime, Path(entry.path), folder_state))
        return found

    def for_task(self, task_id: str) -> list[ApprovalSummary]:
        return [a for a in self.query() if a.task_id == task_id]

    # -- requesting --------------------------------------------------------------------------
    def request(
        self,
        task_id: str,
        domain: str,
        action: str,
        params: dict[str, Any],
        summary: str,
        editable: tuple[str, ...] = (),
    ) -> tuple[ApprovalSummary, bool]:
        """Write the request; asking again for the same thing returns the first one."""
        if not _ACTION_RE.fullmatch(action):
            raise InvalidInput(
                f"action {action[:40]!r} is not valid: use lowercase words joined by '_', "
                "e.g. send_email"
            )
        if domain not in DOMAINS:
            raise InvalidInput(f"unknown domain {domain[:40]!r}; use one of {', '.join(DOMAINS)}")
        if not summary.strip() or len(summary) > 500 or "\n" in summary:
            raise InvalidInput("summary must be one line of 1 to 500 characters")
        try:
            digest = params_hash(action, params)
        except (TypeError, ValueError):
            raise InvalidInput("params must be plain JSON values") from None
        if len(json.dumps(params, default=str)) > MAX_BODY_CHARS:
            raise InvalidInput(f"params are larger than {MAX_BODY_CHARS} characters")
        for name in editable:
            if not re.fullmatch(r"[a-z_][a-z0-9_]{0,40}", name) or not isinstance(
                params.get(name), str
            ):
                raise InvalidInput(f"editable field {name[:40]!r} must name a text parameter")
        approval_id = approval_id_for(task_id, action, digest, self.agent)
        if any(p.is_file() for p, _ in self._places(approval_id)):
            path, state = self.locate(approval_id)
            return self.summary(path, state, read_doc(path).meta), False
        now = self.clock()
        meta: dict[str, Any] = {
            "type": "approval",
            "id": approval_id,
            "task_id": task_id,
            "domain": domain,
            "action": action,
            "summary": summary,
            "params": params,
            "params_hash": digest,
            "editable": list(editable),
            "requested_by": self.agent,
            "created": to_iso(now),
            "expires": to_iso(now + self.ttl),
            "status": "pending",
        }
        try:
            check_renderable(meta)
        except TextAltered as error:
            raise InvalidInput(str(error)) from None
        folder = real_folder(self.root, f"{PENDING_APPROVAL}/{domain}")
        path = folder / f"{approval_id}.md"
        create_doc(path, VaultDoc(meta, render_request(meta)))
        self.audit.record(
            "approval_request",
            approval_id,
            approval_id=approval_id,
            params={"task_id": task_id, "action": action, "params_hash": digest},
        )
        return self.summary(path, "pending", meta), True

    # -- deciding (a person, on the laptop: see decisions.py) -----------------------------------
    def shown(self, approval_id: str) -> decisions.Shown:
        return decisions.shown(self, approval_id)

    def decide(
        self,
        approval_id: str,
        approve: bool,
        decided_by: str,
        via: decisions.DecidedVia,
        reason: str = "",
        seen_digest: str | None = None,
    ) -> ApprovalSummary:
        return decisions.decide(self, approval_id, approve, decided_by, via, reason, seen_digest)

    # -- executing -----------------------------------------------------------------------------
    def load_for_execution(self, approval_id: str, action: str) -> Executable:
        """The approval, if it may be executed now; else a clear refusal (and an audit line)."""
        refused = (ApprovalRequired, ApprovalExpired, ParamsChanged, AlreadyExecuted)
        with self.audit.refusals(action, approval_id, *refused):
            path, state = self.locate(approval_id)
            return check_executable(self.root, approval_id, action, path, state, self.clock)

    def mark_executed(self, item: Executable, result: dict[str, Any]) -> Path:
        target = self.layout.done / item.path.name
        if item.path.is_file():
            item.path.rename(target)
        doc = read_doc(target)
        doc.meta.update(
            status="executed",
            executed_by=self.agent,
            executed_at=to_iso(self.clock()),
            result=result,
        )
        if not doc.meta.get("decided_via"):
            doc.meta["decided_via"] = "moved into Approved/ on this machine"
        if item.edited:
            doc.meta["edited_before_approval"] = list(item.edited)
        write_doc(target, doc)
        return target

    def move_to_conflicts(self, approval_id: str, reason: str) -> Path | None:
        path, state = self.locate(approval_id)
        if state in ("executed", "conflict"):
            return None
        target = self.root / CONFLICTS / path.name
        path.rename(target)
        doc = read_doc(target)
        doc.meta.update(status="conflict", conflict_reason=reason)
        write_doc(target, doc)
        return target
