"""The vault service: what each vault tool does, on top of the shared stores.

One method per tool (and one per resource); each returns the tool's result model from
:mod:`servers.vault_mcp.models`. The stores themselves (tasks, claims, signals, approvals,
audit) are shared with the other servers and live in ``shared/``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from servers.vault_mcp.conflicts import Conflicts
from servers.vault_mcp.dashboard import Dashboard
from servers.vault_mcp.models import (
    ApprovalListResult,
    ApprovalResult,
    AuditQueryResult,
    ClaimResult,
    ConflictsResult,
    DashboardResult,
    Heartbeat,
    TaskCreateResult,
    TaskListResult,
    TaskResult,
    UpdateResult,
    VaultStatus,
)
from servers.vault_mcp.status import collect_status, status_markdown
from shared.approvals import ApprovalState, DecidedVia, Shown
from shared.budget import cap_lists, compact, fitting, trim_text
from shared.clock import Clock, system_clock
from shared.errors import InvalidInput
from shared.ids import check_task_id
from shared.settings import CoreSettings
from shared.tasks import TaskState, TaskView
from shared.vault import Vault
from shared.vault_files import read_vault_bytes

__all__ = ["EVENT_MAX_CHARS", "VaultService"]

# an audit event longer than this is shown by its identity fields only (a triage pass that
# met a thousand bad mails lists them all in one event)
EVENT_MAX_CHARS = 4_000
# what vault_status may cut short in a flood (the counts stay whole)
_STATUS_LISTS = (
    "refused_files",
    "sync_conflict_copies",
    "unresolved_duplicates",
    "stale_claims",
    "heartbeats",
    "expired_approvals",
    "pending_approvals",
)
_EVENT_KEYS = ("ts", "actor", "action", "target", "approval_id", "result", "detail")


class VaultService:
    def __init__(self, settings: CoreSettings, clock: Clock = system_clock) -> None:
        self.vault = Vault(settings, clock)
        self.conflicts = Conflicts(self.vault.tasks, self.vault.approvals, self.vault.quarantine)
        self.dashboard = Dashboard(settings.vault, settings.agent, self.vault.audit, clock)
        self.operator = settings.operator

    def status(self) -> VaultStatus:
        """The vault's state; reading it changes nothing."""
        v = self.vault
        return collect_status(v.tasks, v.claims, v.approvals, v.signals, self.conflicts, v.role)

    def status_shown(self) -> VaultStatus:
        """The vault's state as one reply shows it: in a flood, its lists cut short."""
        shown, left_out = cap_lists(self.status(), _STATUS_LISTS)
        return shown.model_copy(update={"not_listed": left_out}) if left_out else shown

    # -- tasks ----------------------------------------------------------------------------
    def create_task(
        self, domain: str, title: str, body: str, source_id: str | None
    ) -> TaskCreateResult:
        task, created = self.vault.tasks.create(domain, title, body, source_id)
        return TaskCreateResult(id=task.id, path=task.path, created=created, task=task)

    def list_tasks(
        self, state: TaskState, domain: str | None, agent: str | None, limit: int, offset: int
    ) -> TaskListResult:
        tasks, total = self.vault.tasks.page(state, domain, agent, limit, offset)
        if (fit := fitting(tasks)) < len(tasks):  # too long for one reply: a shorter page
            limit = fit
            tasks, total = self.vault.tasks.page(state, domain, agent, limit, offset)
        following = offset + limit
        return TaskListResult(
            tasks=tasks,
            total=total,
            offset=offset,
            next_offset=following if following < total else None,
        )

    def get_task(self, task_id: str) -> TaskResult:
        return _task_result(self.vault.tasks.get(task_id))

    def task_markdown(self, task_id: str) -> str:
        """One task's file as it is on disk (``vault://task/{task_id}``)."""
        check_task_id(task_id)
        data = read_vault_bytes(self.vault.tasks.locate(task_id).path)
        return data.decode("utf-8", "replace")

    # -- claims ---------------------------------------------------------------------------
    def claim(self, task_id: str) -> ClaimResult:
        outcome = self.vault.claims.claim(task_id)
        return ClaimResult(
            id=task_id,
            claimed=outcome.claimed,
            holder=outcome.holder,
            state=outcome.task.state,
            already_yours=outcome.already_yours,
            taken_over_from=outcome.taken_over_from,
            path=outcome.task.path,
        )

    def release(self, task_id: str, note: str) -> TaskResult:
        return _task_result(self.vault.claims.release(task_id, note))

    def complete(self, task_id: str, summary: str, outcome: str) -> TaskResult:
        return _task_result(self.vault.claims.complete(task_id, summary, outcome))

    def fail(self, task_id: str, reason: str, retry: bool) -> TaskResult:
        return _task_result(self.vault.claims.fail(task_id, reason, retry))

    def heartbeat(self, status: str, note: str) -> Heartbeat:
        v = self.vault
        return v.signals.beat(v.agent, v.role, status, note)

    # -- approvals ------------------------------------------------------------------------
    def request_approval(
        self,
        task_id: str,
        action: str,
        params: dict[str, Any],
        summary: str,
        editable: tuple[str, ...],
    ) -> ApprovalResult:
        approval, created = self.vault.request_approval(task_id, action, params, summary, editable)
        return ApprovalResult(id=approval.id, created=created, approval=approval)

    def list_approvals(
        self, state: ApprovalState | None, limit: int = 100, offset: int = 0
    ) -> ApprovalListResult:
        page, total = self.vault.approvals.page(state, limit, offset)
        if (fit := fitting(page)) < len(page):  # too long for one reply: a shorter page
            limit = fit
            page, total = self.vault.approvals.page(state, limit, offset)
        following = offset + limit
        return ApprovalListResult(
            approvals=page,
            total=total,
            next_offset=following if following < total else None,
        )

    def shown(self, approval_id: str) -> Shown:
        """A pending request as the person is shown it before deciding (local only)."""
        self.vault.require_local("approval_decide")
        return self.vault.approvals.shown(approval_id)

    def decide(
        self, approval_id: str, approve: bool, reason: str, seen_digest: str, via: DecidedVia
    ) -> ApprovalResult:
        """Record the person's decision on what they were shown (local only)."""
        self.vault.require_local("approval_decide")
        summary = self.vault.approvals.decide(
            approval_id, approve, self.operator, via, reason, seen_digest
        )
        return ApprovalResult(id=approval_id, created=False, approval=summary)

    # -- sync conflicts -------------------------------------------------------------------
    def resolve_conflicts(self) -> ConflictsResult:
        shown, left_out = cap_lists(
            ConflictsResult(resolved=self.conflicts.resolve()), ["resolved"]
        )
        return shown.model_copy(update={"not_listed": left_out.get("resolved", 0)})

    # -- updates and the dashboard --------------------------------------------------------
    def post_update(self, title: str, body: str, kind: str) -> UpdateResult:
        path = self.dashboard.post_update(title, body, kind)
        return UpdateResult(path=path.relative_to(self.vault.root).as_posix())

    def refresh_dashboard(self) -> DashboardResult:
        self.vault.require_local("dashboard_refresh")
        path, archived = self.dashboard.refresh(status_markdown(self.status()))
        root = self.vault.root
        result = DashboardResult(
            path=path.relative_to(root).as_posix(),
            merged_updates=len(archived),
            archived=[p.relative_to(root).as_posix() for p in archived],
        )
        return cap_lists(result, ["archived"])[0]  # merged_updates counts them all

    def dashboard_markdown(self) -> str:
        """Dashboard.md as the local agent last wrote it (``vault://dashboard``)."""
        return self.dashboard.text()

    # -- audit ----------------------------------------------------------------------------
    def audit_query(
        self,
        since: datetime | None,
        action: str | None,
        target: str | None,
        actor: str | None,
        limit: int,
        offset: int = 0,
    ) -> AuditQueryResult:
        """The newest ``limit`` matching events after skipping ``offset`` newer ones, oldest
        first, cut shorter when they would not fit one reply."""
        if since is not None and since.tzinfo is None:
            raise InvalidInput("since needs a time zone, e.g. 2026-11-25T10:00:00Z")
        events = [
            e
            for e in self.vault.audit.events(since)
            if (action is None or e.get("action") == action)
            and (target is None or e.get("target") == target)
            and (actor is None or e.get("actor") == actor)
        ]
        end = max(len(events) - offset, 0)
        newest_first = [_shown(e) for e in reversed(events[max(end - limit, 0) : end])]
        page = newest_first[: fitting(newest_first)]
        start = end - len(page)
        return AuditQueryResult(
            events=page[::-1],
            total=len(events),
            offset=offset,
            next_offset=offset + len(page) if start > 0 else None,
        )


def _task_result(task: TaskView) -> TaskResult:
    """A task as one reply shows it: a body too long cut at its end, saying so."""
    shown, cut = trim_text(task, "body")
    return TaskResult(task=shown, body_cut=cut)


def _shown(event: dict[str, Any]) -> dict[str, Any]:
    """The event as it is, or, when too long to show, its identity fields shortened."""
    if len(compact(event)) <= EVENT_MAX_CHARS:
        return event
    short = {
        key: value if isinstance(value, str | int | float | bool | None) else compact(value)
        for key, value in event.items()
        if key in _EVENT_KEYS
    }
    return {
        key: value[:500] if isinstance(value, str) else value for key, value in short.items()
    } | {"truncated": True}
