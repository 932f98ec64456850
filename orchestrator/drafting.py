"""The thinking step of the cloud's work, done through MCP tools: an email task becomes a
drafted reply and a send request; an accounting task becomes a draft invoice and a post
request. Claude Code does it with the skills when it is enabled; the built-in rules do it
otherwise, or when Claude Code did not finish the task.

An accounting task the rules can work carries an ``invoice`` block in its body::

    ```invoice
    partner: Azure Interior
    move_type: out_invoice        # or in_invoice for a vendor bill
    reference: PO-77
    lines:
      - {description: Consulting, quantity: 10, price_unit: 100}
    ```
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from orchestrator.claude_code import ClaudeCode
from orchestrator.health import Health
from orchestrator.toolbox import ToolBox, ToolFailed
from servers.email_mcp.models import DraftResult, MailMessage, SendRequestResult, SuggestResult
from servers.odoo_mcp.models import ApprovalRequested, Invoice
from servers.vault_mcp.models import ClaimResult, TaskListResult, TaskResult
from shared.text import one_line

__all__ = ["Drafter", "invoice_spec"]

log = logging.getLogger("ai-employee.drafting")

INVOICE_BLOCK = re.compile(r"```invoice\s*\n(.*?)```", re.DOTALL)
SKILLS = {"email": "email-triage", "accounting": "odoo-accounting"}
SERVERS = {"email": ("vault", "email"), "accounting": ("vault", "odoo")}


def invoice_spec(body: str) -> dict[str, Any] | None:
    """The ``invoice`` block of a task body as tool arguments, or None."""
    match = INVOICE_BLOCK.search(body)
    if not match:
        return None
    try:
        spec = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return None
    if not isinstance(spec, dict) or "partner" not in spec or not spec.get("lines"):
        return None
    allowed = {"partner", "lines", "move_type", "invoice_date", "due_date", "reference", "note"}
    return {k: (str(v) if k.endswith("date") else v) for k, v in spec.items() if k in allowed}


@dataclass
class Drafter:
    claude: ClaudeCode | None = None
    skipped: set[str] = field(default_factory=set)  # tasks left for a person, this run

    async def work_queue(self, tools: ToolBox, health: Health, domains: tuple[str, ...]) -> None:
        """Claim and work every waiting task of these domains, oldest first."""
        for domain in domains:
            if domain == "email" and not tools.has("email"):
                continue
            if domain == "accounting" and not tools.has("odoo"):
                continue
            waiting = await tools.result(
                TaskListResult, "vault", "task_list", state="needs_action", domain=domain, limit=50
            )
            for task in waiting.tasks:
                if task.id in self.skipped:
                    continue
                claim = await tools.result(ClaimResult, "vault", "task_claim", task_id=task.id)
                if not claim.claimed:
                    continue
                try:
                    await self.work(tools, health, domain, task.id)
                except ToolFailed as failure:
                    health.error(str(failure))
                    log.warning("task %s: %s", task.id, failure)
                    await tools.call(
                        "vault", "task_release", task_id=task.id, note=failure.text[:500]
                    )
                    self.skipped.add(task.id)

    async def work(self, tools: ToolBox, health: Health, domain: str, task_id: str) -> None:
        if self.claude is not None and await self.by_claude_code(tools, health, domain, task_id):
            return
        if domain == "email":
            await self.email_task(tools, health, task_id)
        else:
            await self.accounting_task(tools, health, task_id)

    async def by_claude_code(
        self, tools: ToolBox, health: Health, domain: str, task_id: str
    ) -> bool:
        """Hand the task to Claude Code with its skill. True when it is dealt with: done
        by Claude Code, or released after a timeout; False when the rules take it."""
        assert self.claude is not None
        skill = SKILLS[domain]
        prompt = (
            f"Use the {skill} skill on vault task {task_id} only: it is claimed for you "
            "already. Finish with an approval request or a completed task; never send, post "
            "or pay anything."
        )
        session = await self.claude.run_skill(
            skill, prompt, await tools.endpoints(SERVERS[domain]), tools.session_token(skill)
        )
        health.count("claude_code_sessions")
        if session.status == "timed_out":
            log.warning("Claude Code timed out on %s (%s): task released", task_id, session.detail)
            await tools.call(
                "vault",
                "task_release",
                task_id=task_id,
                note=f"Claude Code timed out ({session.detail}); released for another try",
            )
            self.skipped.add(task_id)
            health.count("claude_code_timeouts")
            return True
        if not session.finished:
            log.warning(
                "Claude Code failed on %s (%s): the built-in rules take it", task_id, session.detail
            )
            return False
        view = (await tools.result(TaskResult, "vault", "task_get", task_id=task_id)).task
        if view.state == "needs_action":  # it released the task, as its skill says to
            log.info("Claude Code released %s: %s", task_id, session.detail[:200])
            self.skipped.add(task_id)
            return True
        if view.state == "in_progress" and view.status != "awaiting_approval":
            log.info(
                "Claude Code ended %s without finishing (%s): the built-in rules take it",
                task_id,
                session.detail[:200],
            )
            return False
        log.info(
            "Claude Code finished %s in %.1f s (%d turns): %s",
            task_id,
            session.seconds,
            session.turns,
            session.detail[:200],
        )
        health.count(f"{domain}_by_claude_code")
        return True

    async def email_task(self, tools: ToolBox, health: Health, task_id: str) -> None:
        meta = (await tools.result(TaskResult, "vault", "task_get", task_id=task_id)).task.meta
        if meta.get("quarantined"):
            await self.file_without_reply(
                tools, health, task_id, f"mail uid {meta.get('uid')}", str(meta["quarantined"])
            )
            return
        where = {"uid": meta["uid"], "folder": meta.get("folder", "INBOX")}
        if meta.get("uidvalidity"):
            where["uidvalidity"] = meta["uidvalidity"]
        mail = await tools.result(MailMessage, "email", "mail_get", **where)
        suggestion = await tools.result(SuggestResult, "email", "mail_suggest_reply", **where)
        sender = mail.from_
        if suggestion.automated:
            await self.file_without_reply(
                tools, health, task_id, mail.subject, suggestion.automated
            )
            return
        if suggestion.body is None:
            reason = suggestion.reason or "the handbook says a person answers this"
            await tools.call(
                "vault",
                "update_post",
                title=one_line(f"Mail from {sender} needs you", 200),
                body=f"“{mail.subject}”: {reason}",
            )
            await tools.call(
                "vault",
                "task_complete",
                task_id=task_id,
                summary=f"Left for a person: {reason}",
                outcome="no_action",
            )
            health.count("email_left_for_a_person")
            return
        draft = await tools.result(
            DraftResult, "email", "mail_draft_reply", body=suggestion.body, **where
        )
        request = await tools.result(
            SendRequestResult,
            "email",
            "mail_request_send",
            task_id=task_id,
            draft_id=draft.draft_id,
        )
        await tools.call(
            "vault",
            "update_post",
            title=one_line(f"Reply to {sender} drafted", 200),
            body=f"About “{mail.subject}”; approve {request.approval_id} to send it.",
        )
        health.count("email_drafted")

    async def file_without_reply(
        self, tools: ToolBox, health: Health, task_id: str, about: str, reason: str
    ) -> None:
        """Automated or unreadable mail: filed for the owner to see, never answered."""
        await tools.call(
            "vault",
            "update_post",
            title=one_line(f"Filed without a reply: {about}", 200, "Filed without a reply"),
            body=f"{reason}. Nothing was drafted; it needs no answer from you.",
        )
        await tools.call(
            "vault",
            "task_complete",
            task_id=task_id,
            summary=f"Filed, not answered: {reason}"[:500],
            outcome="no_action",
        )
        health.count("email_filed_without_reply")

    async def accounting_task(self, tools: ToolBox, health: Health, task_id: str) -> None:
        task = (await tools.result(TaskResult, "vault", "task_get", task_id=task_id)).task
        spec = invoice_spec(task.body)
        if spec is None:
            note = "no invoice block the rules can read; a person or Claude Code must draft this"
            await tools.call("vault", "task_release", task_id=task_id, note=note)
            self.skipped.add(task_id)
            return
        invoice = await tools.result(Invoice, "odoo", "invoice_create_draft", **spec)
        approval = await tools.result(
            ApprovalRequested,
            "odoo",
            "invoice_request_post",
            invoice_id=invoice.invoice_id,
            task_id=task_id,
        )
        total = f"{invoice.amount_total:.2f} {invoice.currency}"
        await tools.call(
            "vault",
            "update_post",
            title=f"Invoice for {invoice.partner_name} drafted",
            body=f"{invoice.move_type}, {total}; approve {approval.approval_id} to post it.",
        )
        health.count("invoice_drafted")
