"""The local agent's pass: resolve sync conflicts, execute what a person approved, file what
they rejected, and rewrite Dashboard.md (its single writer). Everything through MCP tools."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from orchestrator.cloud_agent import triage_all
from orchestrator.drafting import Drafter
from orchestrator.health import Health
from orchestrator.toolbox import ToolBox, ToolFailed
from servers.vault_mcp.models import ApprovalListResult, ConflictsResult, TaskResult, VaultStatus
from shared.approvals import ApprovalSummary

__all__ = ["ACTION_TOOLS", "LocalAgent"]

log = logging.getLogger("ai-employee.local")

# approval action -> (server, tool that executes it)
ACTION_TOOLS = {
    "send_email": ("email", "mail_send_approved"),
    "post_invoice": ("odoo", "invoice_post_approved"),
    "register_payment": ("odoo", "payment_register_approved"),
}
MAX_ATTEMPTS = 3


@dataclass
class LocalAgent:
    takeover_after_s: float = 15 * 60.0
    drafter: Drafter = field(default_factory=Drafter)
    attempts: dict[str, int] = field(default_factory=dict)
    covering: bool = False

    async def one_pass(self, tools: ToolBox, health: Health) -> None:
        await tools.call("vault", "heartbeat", note=f"pass {health.passes + 1}")
        for r in (await tools.result(ConflictsResult, "vault", "conflicts_resolve")).resolved:
            log.info("conflict %s: kept %s, moved %s", r.task_id, r.winner, r.loser)
            health.count("conflicts_resolved")
        await self.execute_approved(tools, health)
        await self.file_rejected(tools, health)
        if tools.has("email") and await self.cloud_is_away(tools):
            await triage_all(tools, health)
            await self.drafter.work_queue(tools, health, ("email",))
        await tools.call("vault", "dashboard_refresh")

    async def cloud_is_away(self, tools: ToolBox) -> bool:
        """True while no cloud agent has beaten its heart within the takeover threshold."""
        beats = (await tools.result(VaultStatus, "vault", "vault_status")).heartbeats
        ages = [b.age_seconds for b in beats if b.role == "cloud"]
        away = not ages or min(ages) > self.takeover_after_s
        if away != self.covering:
            self.covering = away
            if away:
                log.warning("the cloud agent is away: the local agent takes over email work")
                await tools.call(
                    "vault",
                    "update_post",
                    title="Local agent covers email",
                    body="The cloud agent's heartbeat is stale; the laptop triages and drafts "
                    "mail until it is back.",
                )
            else:
                log.info("the cloud agent is back: email work is left to it")
        return away

    async def execute_approved(self, tools: ToolBox, health: Health) -> None:
        approved = await self.approvals(tools, "approved")
        for approval in approved:
            route = ACTION_TOOLS.get(approval.action)
            if route is None or not tools.has(route[0]):
                continue
            if self.attempts.get(approval.id, 0) >= MAX_ATTEMPTS:
                continue
            if self.drafter.claude is not None and await self.by_claude_code(
                tools, health, approval
            ):
                continue
            server, tool = route
            try:
                result = await tools.call(server, tool, approval_id=approval.id)
            except ToolFailed as failure:
                self.attempts[approval.id] = self.attempts.get(approval.id, 0) + 1
                health.error(str(failure))
                log.warning("could not execute %s: %s", approval.id, failure.text)
                continue
            health.count(f"executed_{approval.action}")
            log.info("executed %s (%s): %s", approval.id, approval.action, result)

    async def by_claude_code(
        self, tools: ToolBox, health: Health, approval: ApprovalSummary
    ) -> bool:
        """Claude Code executes the approval with the approval-execution skill. True when
        it is dealt with (executed, or its session timed out: tried again next pass);
        False when the rules execute it (the tools refuse a second execution anyway)."""
        assert self.drafter.claude is not None
        approval_id, action = approval.id, approval.action
        prompt = (
            f"Use the approval-execution skill for approval {approval_id} ({action}) only: "
            "execute it if a person approved it, and nothing else."
        )
        servers = ("vault", "email") if action == "send_email" else ("vault", "odoo")
        skill = "approval-execution"
        session = await self.drafter.claude.run_skill(
            skill, prompt, await tools.endpoints(servers), tools.session_token(skill)
        )
        health.count("claude_code_sessions")
        if session.status == "timed_out":
            self.attempts[approval_id] = self.attempts.get(approval_id, 0) + 1
            log.warning(
                "Claude Code timed out on %s (%s): left for the next pass",
                approval_id,
                session.detail,
            )
            health.count("claude_code_timeouts")
            return True
        if not session.finished:
            log.warning(
                "Claude Code failed on %s (%s): the built-in rules execute it",
                approval_id,
                session.detail,
            )
            return False
        if all(a.id != approval_id for a in await self.approvals(tools, "approved")):
            log.info(
                "Claude Code executed %s (%s) in %.1f s (%d turns)",
                approval_id,
                action,
                session.seconds,
                session.turns,
            )
            health.count(f"executed_{action}")
            return True
        log.info(
            "Claude Code ended without executing %s (%s): the built-in rules take it",
            approval_id,
            session.detail[:200],
        )
        return False

    @staticmethod
    async def approvals(tools: ToolBox, state: str) -> list[ApprovalSummary]:
        listed = await tools.result(ApprovalListResult, "vault", "approval_list", state=state)
        return listed.approvals

    async def file_rejected(self, tools: ToolBox, health: Health) -> None:
        for approval in await self.approvals(tools, "rejected"):
            try:
                got = await tools.result(TaskResult, "vault", "task_get", task_id=approval.task_id)
            except ToolFailed:
                continue
            task = got.task
            if task.state != "in_progress" or task.meta.get("approval_id") != approval.id:
                continue
            reason = approval.summary
            await tools.call(
                "vault",
                "task_complete",
                task_id=task.id,
                summary=f"A person rejected the request ({reason}); nothing was done.",
            )
            health.count("rejected_filed")
