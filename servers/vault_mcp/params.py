"""The vault tools' parameters as a model reads them: each with its description, format
and limits, closed sets as enums."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from shared.approvals import ApprovalState
from shared.tasks import MAX_TITLE_CHARS, TaskState
from shared.vault_files import MAX_BODY_CHARS

__all__ = [
    "Action",
    "ActionParams",
    "AgentFilter",
    "ApprovalStateFilter",
    "ApprovalSummaryText",
    "AuditAction",
    "AuditActor",
    "AuditLimit",
    "AuditOffset",
    "AuditTarget",
    "Body",
    "Domain",
    "DomainFilter",
    "Editable",
    "HeartbeatNote",
    "HeartbeatStatus",
    "Note",
    "Offset",
    "Outcome",
    "PageLimit",
    "Reason",
    "Retry",
    "Since",
    "SourceId",
    "StateFilter",
    "Summary",
    "Title",
    "UpdateKind",
]

DomainName = Literal["email", "accounting", "general"]
Domain = Annotated[DomainName, Field(description="The work's domain: email, accounting or general")]
DomainFilter = Annotated[
    DomainName | None, Field(description="Only tasks of this domain; omit for every domain")
]
Title = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_TITLE_CHARS,
        description=f"One line of at most {MAX_TITLE_CHARS} characters, e.g. "
        "'Reply to Alice about the October invoice'",
    ),
]
Body = Annotated[
    str,
    Field(
        max_length=MAX_BODY_CHARS,
        description="Markdown text: what happened and what is needed, with the facts a "
        "person or the other agent needs to act",
    ),
]
SourceId = Annotated[
    str | None,
    Field(
        max_length=1000,
        description="Id of what the task comes from (an email's Message-ID, an invoice "
        "number): the same source never gets two tasks. Omit for work with no source",
    ),
]
StateFilter = Annotated[
    TaskState,
    Field(description="Which queue: needs_action (default), in_progress, done or failed"),
]
AgentFilter = Annotated[
    str | None,
    Field(
        max_length=64,
        description="Only tasks this agent holds (in_progress), e.g. cloud-agent or "
        "local-agent; omit for all",
    ),
]
PageLimit = Annotated[
    int,
    Field(
        ge=1,
        le=500,
        description="At most this many per page; a page of long items is cut shorter to "
        "keep the reply readable, and next_offset continues",
    ),
]
Offset = Annotated[
    int,
    Field(ge=0, description="Skip this many (paging): pass the next_offset of the page before"),
]
Note = Annotated[
    str,
    Field(max_length=2000, description="Why you give it back, for whoever takes it next"),
]
Summary = Annotated[
    str,
    Field(
        max_length=MAX_BODY_CHARS,
        description="What was done, in Markdown: kept in the task and in the audit log",
    ),
]
Outcome = Annotated[
    Literal["done", "executed", "rejected", "no_action"],
    Field(
        description="done: the work is finished; executed: an approved action ran; "
        "rejected: a person rejected its approval; no_action: nothing was to be done"
    ),
]
Reason = Annotated[
    str,
    Field(
        max_length=MAX_BODY_CHARS,
        description="What went wrong, with the error text: the next attempt reads it",
    ),
]
Retry = Annotated[
    bool,
    Field(
        description="true (default): back to Needs_Action/ while attempts remain; "
        "false: straight to Failed/"
    ),
]
Action = Annotated[
    str,
    Field(
        max_length=40,
        json_schema_extra={"pattern": "^[a-z][a-z_]{2,40}$"},
        description="What would be done, lowercase words joined by '_': send_email, "
        "post_invoice, register_payment, or another verb for general work",
    ),
]
ActionParams = Annotated[
    dict[str, Any],
    Field(
        description="The exact parameters to approve, as a JSON object of plain values, "
        'e.g. {"to": ["a@example.com"], "subject": "...", "body": "..."}: '
        "what executes is what the person saw"
    ),
]
ApprovalSummaryText = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        description="One line for the person: what you propose and why, e.g. 'Send the "
        "October invoice copy Alice asked for'",
    ),
]
Editable = Annotated[
    list[Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_]{0,40}$")]],
    Field(
        max_length=20,
        description='Names of text parameters a person may edit before approving, e.g. ["body"]',
    ),
]
ApprovalStateFilter = Annotated[
    ApprovalState | None,
    Field(
        description="Only this state: pending, approved, rejected, executed or conflict; "
        "omit for pending, approved and rejected"
    ),
]
HeartbeatStatus = Annotated[
    str,
    Field(
        max_length=40,
        description="One word on how you are, e.g. ok (default), busy, degraded",
    ),
]
HeartbeatNote = Annotated[
    str,
    Field(max_length=200, description="One line on what you are doing, e.g. 'pass 12'"),
]
UpdateKind = Annotated[
    str,
    Field(
        max_length=40,
        description="A one-word label shown on the Dashboard, e.g. note (default), "
        "draft_ready, alert",
    ),
]
Since = Annotated[
    datetime | None,
    Field(
        description="Only events at or after this time, ISO 8601 with a time zone, e.g. "
        "2026-11-25T18:00:00Z"
    ),
]
AuditAction = Annotated[
    str | None,
    Field(
        max_length=60,
        description="Only this action, e.g. task_create, send_email, approval_decide",
    ),
]
AuditTarget = Annotated[
    str | None,
    Field(
        max_length=200,
        description="Only events about this target: a task id, an approval id, a file name",
    ),
]
AuditActor = Annotated[
    str | None,
    Field(max_length=40, description="Only events of this agent, e.g. cloud-agent"),
]
AuditLimit = Annotated[
    int,
    Field(
        ge=1,
        le=500,
        description="At most this many of the newest matching events; fewer when they are "
        "long (next_offset then reaches the older ones)",
    ),
]
AuditOffset = Annotated[
    int,
    Field(
        ge=0,
        description="Skip this many of the newest matching events: pass next_offset to "
        "read further back",
    ),
]
