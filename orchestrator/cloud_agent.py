"""The cloud agent's pass: heartbeat, triage new mail into tasks, then claim and work
email and accounting tasks into drafts and approval requests. It never sends or posts:
its servers run with AIE_ROLE=cloud and do not have those tools."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from orchestrator.drafting import Drafter
from orchestrator.health import Health
from orchestrator.toolbox import ToolBox
from servers.email_mcp.models import TriageResult
from servers.vault_mcp.models import TaskListResult

__all__ = ["CloudAgent", "triage_all"]

log = logging.getLogger("ai-employee.cloud")
MAX_TRIAGE_BATCHES = 10


async def triage_all(tools: ToolBox, health: Health) -> int:
    """Turn unseen mail into tasks, a batch at a time, until the backlog is done."""
    created = 0
    for _ in range(MAX_TRIAGE_BATCHES):
        result = await tools.result(TriageResult, "email", "mail_triage")
        created += len(result.created)
        if not result.remaining:
            break
    if created:
        health.count("tasks_from_mail", created)
        log.info("%d new mail turned into tasks", created)
    return created


@dataclass
class CloudAgent:
    agent: str
    drafter: Drafter = field(default_factory=Drafter)
    resumed: bool = False

    async def one_pass(self, tools: ToolBox, health: Health) -> None:
        await tools.call("vault", "heartbeat", note=f"pass {health.passes + 1}")
        if not self.resumed:
            await self.resume(tools)
        if tools.has("email"):
            await triage_all(tools, health)
        await self.drafter.work_queue(tools, health, ("email", "accounting"))

    async def resume(self, tools: ToolBox) -> None:
        """After a restart: tasks this agent held but had not brought to an approval
        request go back to the queue and are worked again on this pass."""
        mine = await tools.result(
            TaskListResult, "vault", "task_list", state="in_progress", agent=self.agent, limit=500
        )
        for task in mine.tasks:
            if task.status != "awaiting_approval":
                await tools.call(
                    "vault", "task_release", task_id=task.id, note="resumed after a restart"
                )
                log.info("resumed %s after a restart", task.id)
        self.resumed = True
