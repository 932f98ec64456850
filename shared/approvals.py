"""Approval requests: the exact action and parameters a human approves, bound by a hash.

A request is ``Pending_Approval/<domain>/<approval id>.md``. A person approves it by moving
it to ``Approved/`` (in Obsidian, or through ``approval_decide``) or rejects it by moving it
to ``Rejected/``. After execution it moves to ``Done/``. The frontmatter records the action,
its parameters, ``params_hash`` (SHA-256 of the canonical JSON of action and parameters),
who asked, when, and when it expires.

Fields listed in ``editable`` are also shown in the body between markers; a person may
change them there before approving. :meth:`Approvals.load_for_execution` then uses the
edit and reports it, while any change to the frontmatter's parameters is refused.

On the local machine (with :class:`~shared.witness.Witnesses`) a request is executed only if
this machine saw it pending with the same parameters (see witness.py).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from shared.audit import AuditLog
from shared.clock import Clock, from_iso, system_clock, to_iso
from shared.errors import (
    AlreadyExecuted,
    ApprovalExpired,
    ApprovalRequired,
    InvalidInput,
    NotFound,
    ParamsChanged,
    WrongState,
)
from shared.ids import approval_id_for
from shared.layout import CONFLICTS, Layout, is_hidden, is_sync_conflict
from shared.vault_files import MAX_BODY_CHARS, VaultDoc, create_doc, read_doc, write_doc
from shared.witness import Witnesses

__all__ = [
    "ApprovalState",
    "ApprovalSummary",
    "Approvals",
    "Executable",
    "params_hash",
]

ApprovalState = Literal["pending", "approved", "rejected", "executed", "conflict"]
_ACTION_RE = re.compile(r"^[a-z][a-z_]{2,40}$")
_EDIT_RE = re.compile(r"<!-- aie:edit (\w+) -->\n(.*?)\n?<!-- aie:end \1 -->", re.DOTALL)


def params_hash(action: str, params: dict[str, Any]) -> str:
    canonical = json.dumps(
        {"action": action, "params": params},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class ApprovalSummary(BaseModel):
    id: str
    task_id: str
    domain: str
    action: str
    summary: str
    state: ApprovalState
    expired: bool
    requested_by: str
    created: str
    expires: str
    path: str
    decided_by: str = ""
    reason: str = ""


Params = TypeVar("Params", bound=BaseModel)


@dataclass(frozen=True)
class Executable:
    """An approval cleared for execution, with the parameters to execute."""

    approval_id: str
    task_id: str
    action: str
    params: dict[str, Any]
    edited: tuple[str, ...]
    meta: dict[str, Any]
    path: Path

    def params_as(self, model: type[Params], nothing_done: str) -> Params:
        """The parameters as the action's model (``approval_params.py`` of its server), or
        ParamsChanged naming the first field at fault and ending with ``nothing_done``."""
        try:
            return model.model_validate(self.params)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise ParamsChanged(
                self.approval_id,
                f"approval {self.approval_id} does not hold what {self.action} needs "
                f"({where}: {first['msg']}); {nothing_done}: ask for a new approval",
            ) from None


class Approvals:
    def __init__(
        self,
        vault: Path,
        agent: str,
        audit: AuditLog,
        ttl: timedelta,
        clock: Clock = system_clock,
        witnesses: Witnesses | None = None,
    ) -> None:
        self.witnesses = witnesses
        self.root = vault
        self.layout = Layout(vault)
        self.agent = agent
        self.audit = audit
        self.ttl = ttl
        self.clock = clock

    # -- finding -------------------------------------------------------------------------------
    def _places(self, approval_id: str) -> list[tuple[Path, ApprovalState]]:
        name = f"{approval_id}.md"
        places: list[tuple[Path, ApprovalState]] = []
        pending = self.root / "Pending_Approval"
        if pending.is_dir():
            places += [(d / name, "pending") for d in sorted(pending.iterdir()) if d.is_dir()]
        places += [
            (self.layout.approved / name, "approved"),
            (self.layout.rejected / name, "rejected"),
            (self.layout.done / name, "executed"),
            (self.layout.conflicts / name, "conflict"),
        ]
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

    def summary(self, path: Path, state: ApprovalState, meta: dict[str, Any]) -> ApprovalSummary:
        expires = from_iso(meta.get("expires"))
        return ApprovalSummary(
            id=path.stem,
            task_id=str(meta.get("task_id", "")),
            domain=str(meta.get("domain", "")),
            action=str(meta.get("action", "")),
            summary=str(meta.get("summary", "")),
            state=state,
            expired=expires is None or expires <= self.clock(),
            requested_by=str(meta.get("requested_by", "")),
            created=str(meta.get("created", "")),
            expires=str(meta.get("expires", "")),
            path=path.relative_to(self.root).as_posix(),
            decided_by=str(meta.get("decided_by") or ""),
            reason=str(meta.get("reason") or ""),
        )

    def query(
        self, state: ApprovalState | None = None, witness: bool = True
    ) -> list[ApprovalSummary]:
        """The approvals in ``state`` (all by default). On the laptop, listing the pending
        ones records that they were seen here (the witness execution requires), unless
        ``witness`` is False: a display that changes nothing."""
        folders: list[tuple[Path, ApprovalState]] = []
        pending = self.root / "Pending_Approval"
        if pending.is_dir():
            folders += [(d, "pending") for d in sorted(pending.iterdir()) if d.is_dir()]
        folders += [(self.layout.approved, "approved"), (self.layout.rejected, "rejected")]
        if state in ("executed", "conflict"):
            folders = [(self.layout.done if state == "executed" else self.layout.conflicts, state)]
        found = []
        for folder, folder_state in folders:
            if state is not None and folder_state != state:
                continue
            for path in sorted(folder.glob("appr-*.md")):
                if is_hidden(path.name) or is_sync_conflict(path.name):
                    continue
                try:
                    meta = read_doc(path).meta
                except Exception:  # noqa: BLE001 - a broken file is listed by status, not here
                    continue
                if folder_state == "pending" and witness and self.witnesses is not None:
                    self.witnesses.record(path.stem, str(meta.get("params_hash") or ""))
                found.append(self.summary(path, folder_state, meta))
        return sorted(found, key=lambda a: a.created)

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
        readable: str = "",
    ) -> tuple[ApprovalSummary, bool]:
        """Write the request; asking again for the same thing returns the first one."""
        if not _ACTION_RE.fullmatch(action):
            raise InvalidInput(
                f"action {action[:40]!r} is not valid: use lowercase words joined by '_', "
                "e.g. send_email"
            )
        if not summary.strip() or len(summary) > 500 or "\n" in summary:
            raise InvalidInput("summary must be one line of 1 to 500 characters")
        try:
            digest = params_hash(action, params)
        except (TypeError, ValueError):
            raise InvalidInput("params must be plain JSON values") from None
        if len(json.dumps(params, default=str)) > MAX_BODY_CHARS:
            raise InvalidInput(f"params are larger than {MAX_BODY_CHARS} characters")
        for name in editable:
            if not isinstance(params.get(name), str):
                raise InvalidInput(f"editable field {name!r} must be a text parameter")
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
        folder = self.layout.pending(domain)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{approval_id}.md"
        create_doc(path, VaultDoc(meta, render_request(meta, readable)))
        self.audit.record(
            "approval_request",
            approval_id,
            approval_id=approval_id,
            params={"task_id": task_id, "action": action, "params_hash": digest},
        )
        return self.summary(path, "pending", meta), True

    # -- deciding ----------------------------------------------------------------------------
    def decide(
        self, approval_id: str, approve: bool, decided_by: str, reason: str = ""
    ) -> ApprovalSummary:
        path, state = self.locate(approval_id)
        if state != "pending":
            raise WrongState(f"approval {approval_id!r} is already {state}; nothing to decide")
        meta = read_doc(path).meta
        if self.summary(path, state, meta).expired:
            raise ApprovalExpired(
                approval_id,
                f"approval {approval_id!r} expired at {meta.get('expires')}; it cannot be "
                "decided: ask the agent for a fresh request",
            )
        if self.witnesses is not None:
            self.witnesses.record(approval_id, str(meta.get("params_hash") or ""))
        target = (self.layout.approved if approve else self.layout.rejected) / path.name
        try:
            path.rename(target)
        except FileNotFoundError:
            raise WrongState(f"approval {approval_id!r} was decided meanwhile") from None
        doc = read_doc(target)
        doc.meta.update(
            status="approved" if approve else "rejected",
            decided_by=decided_by,
            decided_at=to_iso(self.clock()),
        )
        if reason:
            doc.meta["reason"] = reason
        write_doc(target, doc)
        self.audit.record(
            "approval_decide",
            approval_id,
            approval_id=approval_id,
            result="approved" if approve else "rejected",
            detail=reason or None,
        )
        return self.summary(target, "approved" if approve else "rejected", doc.meta)

    # -- executing -----------------------------------------------------------------------------
    def load_for_execution(self, approval_id: str, action: str) -> Executable:
        """The approval, if it may be executed now; else a clear refusal (and an audit line)."""
        refused = (ApprovalRequired, ApprovalExpired, ParamsChanged, AlreadyExecuted)
        with self.audit.refusals(action, approval_id, *refused):
            item = self._check(approval_id, action)
            self._check_witnessed(item)
            return item

    def _check(self, approval_id: str, action: str) -> Executable:
        path, state = self.locate(approval_id)
        if state == "executed":
            raise AlreadyExecuted(
                approval_id, f"approval {approval_id!r} was already executed; nothing to do"
            )
        if state != "approved":
            where = {
                "pending": "still waits in Pending_Approval/ for a human decision",
                "rejected": "was rejected",
                "conflict": "lost a sync conflict",
            }[state]
            raise ApprovalRequired(
                approval_id,
                f"approval {approval_id!r} {where}; "
                "only a request a person moved to Approved/ is executed",
            )
        doc = read_doc(path)
        meta = doc.meta
        if meta.get("action") != action:
            raise ApprovalRequired(
                approval_id,
                f"approval {approval_id!r} is for {meta.get('action')!r}, not {action!r}",
            )
        expires = from_iso(meta.get("expires"))
        if expires is None or expires <= self.clock():
            raise ApprovalExpired(
                approval_id,
                f"approval {approval_id!r} expired at "
                f"{meta.get('expires')}; ask for a new approval",
            )
        params = meta.get("params")
        if not isinstance(params, dict) or params_hash(action, params) != meta.get("params_hash"):
            raise ParamsChanged(
                approval_id,
                f"approval {approval_id!r} was altered after it was "
                "requested (its parameters no longer match their hash); refusing: "
                "ask for a new approval",
            )
        effective = dict(params)
        edited = []
        for name, text in _EDIT_RE.findall(doc.body):
            if name in (meta.get("editable") or []) and text != params.get(name):
                effective[name] = text
                edited.append(name)
        return Executable(
            approval_id, str(meta.get("task_id", "")), action, effective, tuple(edited), meta, path
        )

    def _check_witnessed(self, item: Executable) -> None:
        """Refuse a request this machine never saw pending; put it back for the person."""
        if self.witnesses is None:
            return
        params_hash = str(item.meta.get("params_hash") or "")
        if self.witnesses.seen(item.approval_id, params_hash):
            return
        domain = str(item.meta.get("domain") or "general")
        back = self.layout.pending(domain) / item.path.name
        back.parent.mkdir(parents=True, exist_ok=True)
        item.path.rename(back)
        self.witnesses.record(item.approval_id, params_hash)
        raise ApprovalRequired(
            item.approval_id,
            f"approval {item.approval_id!r} reached Approved/ before this machine saw it "
            "waiting in Pending_Approval/, so nothing shows a person here approved it (any "
            f"replica can write a file there). It is back in Pending_Approval/{domain}/: "
            "approve it again and it will run",
        )

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


def _cell(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text.replace("|", "\\|").replace("\n", " ⏎ ")[:300]


def render_request(meta: dict[str, Any], readable: str = "") -> str:
    """The body a person reads in Obsidian before deciding."""
    editable = set(meta.get("editable") or [])
    rows = "\n".join(
        f"| {name} | {_cell(value)} |"
        for name, value in meta["params"].items()
        if name not in editable
    )
    parts = [
        f"# Approve: {meta['summary']}",
        "",
        f"**Action** `{meta['action']}` · **task** [[{meta['task_id']}]] · **asked by** "
        f"{meta['requested_by']} · **expires** {meta['expires']}",
        "",
    ]
    if readable:
        parts += [readable.rstrip(), ""]
    parts += ["## Parameters", "", "| name | value |", "| --- | --- |", rows, ""]
    for name in sorted(editable):
        parts += [
            f"## {name} (you may edit this before approving)",
            "",
            f"<!-- aie:edit {name} -->",
            str(meta["params"][name]),
            f"<!-- aie:end {name} -->",
            "",
        ]
    parts += [
        "## Decide",
        "",
        "Move this file to `Approved/` to approve it, or to `Rejected/` to reject it.",
        "Edit only the editable sections above; any other change voids the request.",
        "",
    ]
    return "\n".join(parts)
