"""The checks an approved request passes before anything is executed, in order:

1. **A person decided, on this machine.** The file is a regular file in ``Approved/``, a
   folder this replica never takes from the sync (its ``.stignore`` says so; with Git, the
   repository does not track the file). So it was put there on the laptop: by a person in
   Obsidian, by ``ai-employee approve``, or by ``approval_decide``'s form.
2. **What the person read is what executes.** The text outside the editable fields is
   exactly what this machine renders from the parameters; an edit inside them is what
   executes, and is reported.
3. **Unchanged, unexpired, not done before**: the parameters match their hash, the request
   has not expired, it is not in ``Done/`` already.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shared.approvals.model import ApprovalState, Executable, params_hash
from shared.approvals.rendering import TextAltered, read_edits
from shared.clock import Clock, from_iso
from shared.containment import NotContained, real_folder, regular_file
from shared.errors import AlreadyExecuted, ApprovalExpired, ApprovalRequired, ParamsChanged
from shared.layout import APPROVED
from shared.sync_rules import GitUnavailable, missing_rules, tracked_by_git
from shared.vault_files import read_doc

__all__ = ["check_executable"]

_NOT_APPROVED = {
    "pending": "still waits in Pending_Approval/ for a person's decision",
    "rejected": "was rejected",
    "conflict": "lost a sync conflict",
}


def check_executable(
    root: Path, approval_id: str, action: str, path: Path, state: ApprovalState, clock: Clock
) -> Executable:
    """The approval at ``path`` cleared for execution, or the refusal that says why."""
    if state == "executed":
        raise AlreadyExecuted(
            approval_id, f"approval {approval_id!r} was already executed; nothing to do"
        )
    if state != "approved":
        raise ApprovalRequired(
            approval_id,
            f"approval {approval_id!r} {_NOT_APPROVED[state]}; only a request a person "
            "moved to Approved/ on the laptop is executed",
        )
    _check_decided_here(root, approval_id, path)
    doc = read_doc(path)
    meta = doc.meta
    if meta.get("action") != action:
        raise ApprovalRequired(
            approval_id, f"approval {approval_id!r} is for {meta.get('action')!r}, not {action!r}"
        )
    expires = from_iso(meta.get("expires"))
    if expires is None or expires <= clock():
        raise ApprovalExpired(
            approval_id,
            f"approval {approval_id!r} expired at {meta.get('expires')}; ask for a new approval",
        )
    params = meta.get("params")
    if not isinstance(params, dict) or params_hash(action, params) != meta.get("params_hash"):
        raise ParamsChanged(
            approval_id,
            f"approval {approval_id!r} was altered after it was requested (its parameters "
            "no longer match their hash); refusing: ask for a new approval",
        )
    effective, edited = _what_the_person_read(approval_id, meta, doc.body)
    return Executable(
        approval_id, str(meta.get("task_id", "")), action, effective, edited, meta, path
    )


def _check_decided_here(root: Path, approval_id: str, path: Path) -> None:
    problems = missing_rules(root)
    if problems:
        raise ApprovalRequired(
            approval_id,
            f"this vault replica does not keep Approved/ on this machine ({'; '.join(problems)}), "
            "so a file there may have come from another device; nothing is executed until "
            "`AIE_ROLE=local ai-employee vault init PATH` has rewritten the ignore files",
        )
    try:
        real_folder(root, APPROVED, create=False)
        regular_file(path, root)
    except NotContained as error:
        raise ApprovalRequired(approval_id, f"approval {approval_id!r}: {error}") from None
    relative = path.relative_to(root).as_posix()
    try:
        tracked = tracked_by_git(root, relative)
    except GitUnavailable as error:
        raise ApprovalRequired(
            approval_id, f"approval {approval_id!r}: {error}; nothing is executed"
        ) from None
    if tracked:
        raise ApprovalRequired(
            approval_id,
            f"{relative} is tracked by the vault's Git repository, so it came from a push, not "
            "from a person on this machine; nothing is executed. Remove it from the "
            "repository (git rm --cached) and approve the request on the laptop",
        )


def _what_the_person_read(
    approval_id: str, meta: dict[str, Any], body: str
) -> tuple[dict[str, Any], tuple[str, ...]]:
    try:
        return read_edits(meta, body)
    except TextAltered as altered:
        raise ParamsChanged(
            approval_id,
            f"the text of approval {approval_id!r} is not what this machine renders from its "
            f"parameters ({altered}): what a person read there may not be what would execute. "
            "Nothing was done: reject it and ask for a new request",
        ) from None
