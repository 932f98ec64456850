"""One vault replica as the servers see it: every store, wired to one agent and clock.

Also the two steps every server shares: asking for an approval on a task, and recording
that an approved action was executed (approval to ``Done/``, task to ``Done/``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shared.approvals import Approvals, ApprovalSummary, Executable
from shared.audit import AuditLog
from shared.claims import Claims
from shared.clock import Clock, system_clock
from shared.errors import RoleForbidden, WrongState
from shared.ledger import ExecutionLedger
from shared.quarantine import Quarantine
from shared.settings import CoreSettings
from shared.signals import Signals
from shared.tasks import TaskStore

__all__ = ["Vault"]


class Vault:
    def __init__(self, settings: CoreSettings, clock: Clock = system_clock) -> None:
        self.settings = settings
        self.root = settings.vault
        self.agent = settings.agent
        self.role = settings.role
        self.clock = clock
        self.audit = AuditLog(self.root, self.agent, clock)
        self.quarantine = Quarantine()
        self.tasks = TaskStore(
            self.root, self.agent, self.audit, clock, settings.state_path, self.quarantine.note
        )
        self.signals = Signals(self.root, clock)
        self.claims = Claims(self.tasks, self.signals, timedelta(minutes=settings.lease_minutes))
        self.approvals = Approvals(
            self.root,
            self.agent,
            self.audit,
            timedelta(hours=settings.approval_ttl_hours),
            clock,
            self.quarantine.note,
        )
        self.ledger = ExecutionLedger(settings.state_path, clock)

    def require_local(self, what: str) -> None:
        """Defence in depth: cloud servers do not register these tools, and refuse them."""
        if self.role != "local":
            self.audit.record(what, "-", result="refused", detail="cloud role")
            raise RoleForbidden(
                f"{what} runs only on the local machine (AIE_ROLE=local); this server is "
                f"{self.role}: request an approval instead and let the local agent execute it"
            )

    def request_approval(
        self,
        task_id: str,
        action: str,
        params: dict[str, Any],
        summary: str,
        editable: tuple[str, ...] = (),
    ) -> tuple[ApprovalSummary, bool]:
        """Write an approval request for a task this agent holds and mark the task."""
        loc = self.tasks.locate(task_id)
        if loc.state != "in_progress" or loc.holder != self.agent:
            where = f"held by {loc.holder}" if loc.holder else loc.state.replace("_", " ")
            raise WrongState(
                f"task {task_id!r} is {where}; claim it with task_claim before asking "
                "for an approval on it"
            )
        task = self.tasks.get(task_id)
        approval, created = self.approvals.request(
            task_id, task.domain, action, params, summary, editable
        )
        self.claims.mark(task_id, status="awaiting_approval", approval_id=approval.id)
        return approval, created

    def finish_execution(self, item: Executable, result: dict[str, Any], summary: str) -> None:
        """The approved action happened: file the approval and complete its task."""
        self.approvals.mark_executed(item, result)
        if not item.task_id:
            return
        found = self.tasks.locations(item.task_id)
        if sum(loc.state == "in_progress" for loc in found) == 1:
            self.claims.complete(item.task_id, summary, outcome="executed")
