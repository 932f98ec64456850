"""A person's decision, recorded on the laptop.

Three ways lead here, each with a person at the end of it: ``ai-employee approve`` /
``ai-employee reject`` at a terminal, the form ``approval_decide`` sends to the person's own
Claude Code (MCP elicitation), and moving the file in Obsidian (which needs no code: the
file simply lands in ``Approved/``). The first two show the laptop's own rendering of the
request (:class:`Shown`) and record the decision only if the request is still exactly what
was shown (its rendering digest), so a request changed while the person read it is not
approved by accident.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from shared.approvals.model import ApprovalSummary
from shared.approvals.rendering import render_request, rendering_digest
from shared.clock import to_iso
from shared.errors import ApprovalExpired, ParamsChanged, WrongState
from shared.vault_files import read_doc, write_doc

if TYPE_CHECKING:
    from shared.approvals.store import Approvals

__all__ = ["DecidedVia", "Shown", "decide", "shown"]

DecidedVia = Literal["terminal", "elicitation"]


@dataclass(frozen=True)
class Shown:
    """A pending request as this machine renders it for a person."""

    approval: ApprovalSummary
    text: str
    digest: str
    altered: bool  # the file's own text differs from ``text``: it can only be rejected


def shown(approvals: Approvals, approval_id: str) -> Shown:
    """The pending request ``approval_id`` as a person must see it before deciding."""
    path, state = approvals.locate(approval_id)
    if state != "pending":
        raise WrongState(f"approval {approval_id!r} is already {state}; nothing to decide")
    doc = read_doc(path)
    summary = approvals.summary(path, state, doc.meta, doc.body)
    if summary.expired:
        raise ApprovalExpired(
            approval_id,
            f"approval {approval_id!r} expired at {doc.meta.get('expires')}; it cannot be "
            "decided: ask the agent for a fresh request",
        )
    return Shown(summary, render_request(doc.meta), rendering_digest(doc.meta), summary.altered)


def decide(
    approvals: Approvals,
    approval_id: str,
    approve: bool,
    decided_by: str,
    via: DecidedVia,
    reason: str = "",
    seen_digest: str | None = None,
) -> ApprovalSummary:
    """Move the request to ``Approved/`` or ``Rejected/`` (both the laptop's own) and record
    who decided, how and why. ``seen_digest`` is the digest of the rendering the person
    read: a request that changed since is not decided."""
    now = shown(approvals, approval_id)
    if seen_digest is not None and now.digest != seen_digest:
        raise ParamsChanged(
            approval_id,
            f"approval {approval_id!r} changed while it was shown; nothing was recorded: "
            "look at it again and decide",
        )
    if approve and now.altered:
        raise ParamsChanged(
            approval_id,
            f"the text of approval {approval_id!r} is not what this machine renders from its "
            "parameters, so what it shows may not be what would execute; it cannot be "
            "approved: reject it and ask for a new request",
        )
    layout = approvals.layout
    source = approvals.root / now.approval.path
    target = (layout.approved if approve else layout.rejected) / source.name
    try:
        source.rename(target)
    except FileNotFoundError:
        raise WrongState(f"approval {approval_id!r} was decided meanwhile") from None
    doc = read_doc(target)
    doc.meta.update(
        status="approved" if approve else "rejected",
        decided_by=decided_by,
        decided_via=via,
        decided_at=to_iso(approvals.clock()),
    )
    if reason:
        doc.meta["reason"] = reason
    write_doc(target, doc)
    approvals.audit.record(
        "approval_decide",
        approval_id,
        approval_id=approval_id,
        params={"decided_by": decided_by, "via": via},
        result="approved" if approve else "rejected",
        detail=reason or None,
    )
    return approvals.summary(target, "approved" if approve else "rejected", doc.meta)
