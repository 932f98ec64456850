"""The status endpoint (T009): counts, stale claims, heartbeats, approvals, conflicts, sync."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from servers.vault_mcp.conflicts import Conflicts
from servers.vault_mcp.models import StaleClaimInfo, VaultStatus
from shared.approvals import Approvals
from shared.claims import Claims
from shared.clock import to_iso
from shared.layout import CONFLICTS, Layout, is_hidden
from shared.listing import listing
from shared.signals import Signals
from shared.tasks import TaskStore
from shared.text import ago, md_text

__all__ = ["collect_status", "status_markdown"]

MAX_LISTED = 20
SHOWN_PENDING = 20
FLOOD = 200  # more requests waiting than a person can read: the Dashboard says so


def _count_md(folder: Path, prefix: str = "") -> int:
    """Notes in the folder, counted from its (cached) listing: nothing is opened."""
    count: int = listing(folder).memo(
        f"count:{prefix}",
        lambda found: sum(
            1
            for n in found.files
            if n.endswith(".md") and not is_hidden(n) and n.startswith(prefix)
        ),
    )
    return count


def _per_subfolder(folder: Path) -> dict[str, int]:
    return {
        name: len(TaskStore.task_names(folder / name))
        for name in listing(folder).folders
        if not is_hidden(name)
    }


def collect_status(
    store: TaskStore,
    claims: Claims,
    approvals: Approvals,
    signals: Signals,
    conflicts: Conflicts,
    role: str,
) -> VaultStatus:
    layout = Layout(store.root)
    pending_root = store.root / "Pending_Approval"
    pending_by_domain = {
        name: _count_md(pending_root / name, "appr-")
        for name in listing(pending_root).folders
        if not is_hidden(name)
    }
    counts: dict[str, Any] = {
        "needs_action": _per_subfolder(store.root / "Needs_Action"),
        "in_progress": _per_subfolder(store.root / "In_Progress"),
        "pending_approval": pending_by_domain,
        "approved": _count_md(layout.approved, "appr-"),
        "rejected": _count_md(layout.rejected, "appr-"),
        "done": len(TaskStore.task_names(layout.done)),
        "failed": len(TaskStore.task_names(layout.failed)),
        "executed_approvals": _count_md(layout.done, "appr-"),
        "conflicts": _count_md(store.root / CONFLICTS),
        "updates_unmerged": _count_md(layout.updates),
    }
    # the oldest requests are read; the rest are only counted (a flood costs a listing)
    pending, pending_total = approvals.page("pending", limit=SHOWN_PENDING)
    scanned = conflicts.scan()
    copies = scanned.sync_copies
    beats = signals.all()
    sync: dict[str, Any] = {
        "syncthing_folder_marker": (store.root / ".stfolder").exists(),
        "syncthing_temp_files": conflicts.syncthing_temp_files,
        "peers": {b.agent: b.age_seconds for b in beats if b.agent != store.agent},
    }
    return VaultStatus(
        vault=str(store.root),
        agent=store.agent,
        role=role,
        counts=counts,
        stale_claims=[
            StaleClaimInfo(
                task_id=s.task_id, holder=s.holder, fresh_until=to_iso(s.fresh_until), path=s.path
            )
            for s in claims.stale_claims()
        ],
        heartbeats=beats,
        pending_approvals=[a for a in pending if not a.expired],
        expired_approvals=[a for a in pending if a.expired],
        pending_total=pending_total,
        unresolved_duplicates=[d.task_id for d in conflicts.duplicates()],
        sync_conflict_copies=[p.relative_to(store.root).as_posix() for p in copies],
        refused_files=[
            f"{h.path}: {h.kind}" + (f" to {h.target}" if h.target else "") for h in scanned.hazards
        ],
        sync=sync,
    )


def status_markdown(status: VaultStatus) -> str:
    """The status as the Dashboard shows it."""
    c = status.counts
    lines = ["## Agents", "", "| agent | role | last seen | status |", "| --- | --- | --- | --- |"]
    lines += [
        f"| {md_text(b.agent)} | {md_text(b.role)} | {ago(b.age_seconds)} | "
        f"{md_text(b.status)} {md_text(b.note)} |"
        for b in status.heartbeats
    ] or ["| (no heartbeat yet) | | | |"]
    na = ", ".join(f"{md_text(k)} {v}" for k, v in c["needs_action"].items()) or "none"
    ip = ", ".join(f"{md_text(k)} {v}" for k, v in c["in_progress"].items()) or "none"
    lines += [
        "",
        "## Queues",
        "",
        f"- Needs action: {na}",
        f"- In progress: {ip}",
        f"- Pending approval: {sum(c['pending_approval'].values())} · approved "
        f"{c['approved']} · rejected {c['rejected']}",
        f"- Done: {c['done']} · failed {c['failed']} · conflicts {c['conflicts']}",
        "",
        "## Pending approvals",
        "",
    ]
    shown = len(status.pending_approvals) + len(status.expired_approvals)
    if status.pending_total > FLOOD:
        lines += [
            f"**{status.pending_total} requests are waiting: a flood, more than a person can "
            f"read.** The oldest {shown} are shown; decide those, and ask why so many came "
            "(a compromised or misbehaving cloud agent can write any number).",
            "",
        ]
    elif status.pending_total > shown:
        lines += [f"The oldest {shown} of {status.pending_total} are shown.", ""]
    lines += [
        f"- [[{a.id}]] {a.headline} (expires {md_text(a.expires)})"
        + (" ⚠ its text was altered: it will not execute, reject it" if a.altered else "")
        for a in status.pending_approvals
    ] or ["- none"]
    if status.expired_approvals:
        lines += ["", "Expired, not executable:"]
        lines += [f"- [[{a.id}]] {a.headline}" for a in status.expired_approvals]
    if status.stale_claims:
        lines += ["", "## Stale claims", ""]
        lines += [
            f"- [[{s.task_id}]] held by {md_text(s.holder)}, stale since {s.fresh_until}"
            for s in status.stale_claims
        ]
    if status.unresolved_duplicates or status.sync_conflict_copies:
        lines += ["", "## Unresolved sync conflicts", ""]
        lines += [f"- task [[{t}]] in several places" for t in status.unresolved_duplicates]
        lines += [f"- {md_text(p)}" for p in status.sync_conflict_copies]
    if status.refused_files:
        lines += [
            "",
            "## Files refused",
            "",
            "Never followed or opened; conflicts_resolve moves them to Conflicts/:",
            "",
        ]
        lines += [f"- {md_text(p)}" for p in status.refused_files[:MAX_LISTED]]
        if len(status.refused_files) > MAX_LISTED:
            lines.append(f"- and {len(status.refused_files) - MAX_LISTED} more")
    return "\n".join(lines)
