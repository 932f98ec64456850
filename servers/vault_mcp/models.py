"""What the vault tools return: structured content with an output schema."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from servers.vault_mcp.conflicts import ConflictResolution
from shared.approvals import ApprovalSummary
from shared.signals import Heartbeat
from shared.tasks import TaskSummary, TaskView

__all__ = [
    "ApprovalListResult",
    "ApprovalResult",
    "AuditQueryResult",
    "ClaimResult",
    "ConflictsResult",
    "DashboardResult",
    "Heartbeat",
    "StaleClaimInfo",
    "TaskCreateResult",
    "TaskListResult",
    "TaskResult",
    "UpdateResult",
    "VaultStatus",
]


class TaskCreateResult(BaseModel):
    id: str
    path: str
    created: bool = Field(description="False when a task for this source_id already existed")
    task: TaskSummary


class TaskResult(BaseModel):
    task: TaskView
    body_cut: int = Field(
        default=0,
        description="Characters left out at the end of a body too long for one reply; the "
        "whole file is the resource vault://task/{id}",
    )


class ClaimResult(BaseModel):
    id: str
    claimed: bool = Field(description="True when you hold the task now")
    holder: str | None = Field(description="The agent holding the task, or None if finished")
    state: str
    already_yours: bool = False
    taken_over_from: str | None = Field(
        default=None, description="Set when a stale claim of this agent was taken over"
    )
    path: str


class TaskListResult(BaseModel):
    tasks: list[TaskSummary]
    total: int
    offset: int
    next_offset: int | None = Field(description="Pass as offset for the next page, if any")


class ApprovalResult(BaseModel):
    id: str
    created: bool = Field(description="False when the same request already existed")
    approval: ApprovalSummary


class ApprovalListResult(BaseModel):
    approvals: list[ApprovalSummary]
    total: int = Field(default=0, description="How many there are in that state")
    next_offset: int | None = Field(
        default=None, description="Pass as offset for the next page, if any"
    )


class ConflictsResult(BaseModel):
    resolved: list[ConflictResolution]
    not_listed: int = Field(
        default=0,
        description="Resolutions left out of this reply to keep it readable (each has its "
        "report in Conflicts/)",
    )


class StaleClaimInfo(BaseModel):
    task_id: str
    holder: str
    fresh_until: str
    path: str


class UpdateResult(BaseModel):
    path: str


class DashboardResult(BaseModel):
    path: str
    merged_updates: int
    archived: list[str] = Field(description="Where the merged notes went (some may be left out)")


class AuditQueryResult(BaseModel):
    events: list[dict[str, Any]] = Field(description="Oldest first")
    total: int = Field(description="Events matching, before paging")
    offset: int = Field(default=0, description="How many newer matching events were skipped")
    next_offset: int | None = Field(
        default=None, description="Pass as offset to read the older events, if any"
    )


class VaultStatus(BaseModel):
    vault: str
    agent: str
    role: str
    counts: dict[str, Any] = Field(description="Files per folder, per domain and per agent")
    stale_claims: list[StaleClaimInfo]
    heartbeats: list[Heartbeat]
    pending_approvals: list[ApprovalSummary] = Field(
        description="The oldest requests waiting (at most 20), not expired"
    )
    expired_approvals: list[ApprovalSummary] = Field(
        description="Expired ones among those oldest: they can no longer be decided"
    )
    pending_total: int = Field(default=0, description="How many requests wait in all")
    unresolved_duplicates: list[str] = Field(description="Task ids found in several places")
    sync_conflict_copies: list[str]
    refused_files: list[str] = Field(
        default_factory=list,
        description="Links, FIFOs, sockets or devices found in the vault: never followed or "
        "opened; conflicts_resolve moves them to Conflicts/",
    )
    sync: dict[str, Any] = Field(description="Sync health: marker, temp files, peer ages")
    not_listed: dict[str, int] = Field(
        default_factory=dict,
        description="Per list, how many entries were left out of this reply to keep it "
        "readable (a flood); the counts above are whole",
    )
