"""Prompts for the owner's own Claude Code on the laptop, which shows them as slash
commands (``/mcp__vault__review_pending``, ``/mcp__vault__morning_briefing``).

A prompt is text that tells the model which tools to call and how to present what they
return; it decides nothing itself. They are offered only by a local server that a person
watches: the cloud cannot decide approvals, and an unattended agent's session has no one
to brief (see :func:`servers.vault_mcp.server.build_server`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from mcp.server import MCPServer
from pydantic import Field

from shared.clock import Clock, to_iso

__all__ = ["morning_briefing_text", "register_prompts", "review_pending_text"]

REVIEW = """Go through the approval requests that wait for me{where}, so that I can decide them.

1. Call the vault tool `approval_list` with state "pending"{domain_arg}; while next_offset is
   set, call it again with that offset until you have them all.
2. Show them oldest first as a numbered list, one short block each:
   - the headline: what would execute, as this machine renders it from the request's
     parameters. This is what I approve, so show it exactly;
   - the asking agent's summary, marked as its own words (nobody checked them);
   - the task id, who asked, when it was asked and when it expires.
   Put expired requests apart at the end: they can no longer be decided. Mark any request
   with altered=true: its file no longer says what its parameters do; it will not execute
   and should be rejected.
3. Ask me which ones I want to decide now. For each one I pick, call the vault tool
   `approval_decide` with its approval_id and your proposal ("approve" or "reject", from
   what I said). It shows me the request in a form and records only my answer there:
   what I type in this chat is not a decision, and never call it for a request I did not
   pick.
4. If `approval_decide` says this client cannot show a form, tell me the other ways it
   names (`ai-employee approve <id>` or `ai-employee reject <id> --reason ...` in a
   terminal, or moving the file in Obsidian) and stop.
5. End with one line: how many were approved, rejected and left waiting.
"""

BRIEFING = """Give me my morning briefing: short, plain sentences and small lists, no raw JSON.

1. Queues. Call the vault tool `vault_status`. Say how many tasks wait in Needs_Action
   per domain, how many are in progress and with which agent, how many failed, any stale
   claims, and whether each agent's heartbeat is recent (name any agent silent for more
   than an hour). Say how many approval requests are pending and how many expired, and
   any sync conflicts, refused files or sync problems it reports. If tasks wait or
   failed, call `task_list` (state "needs_action", then "failed"; limit 10) and name
   their titles.
2. The books. Call the odoo tool `account_summary`: open receivables and payables with
   the overdue part of each, invoiced and billed this month against last month, drafts
   waiting. Give amounts with their currency. If the odoo server is not connected or the
   call fails, say so in one line and go on.
3. Overnight. Call the vault tool `audit_query` with since "{since}" (limit 200; while
   next_offset is set and the events are still after that time, call again with that
   offset). Summarise what the other agents (not {agent}) did since then, grouped: mail
   triaged into tasks, replies drafted, approvals requested, invoices or bills drafted,
   anything sent, posted or paid. List apart every event whose result is not "ok"
   (refused, failed, retry) with its detail.
4. What needs me. End with the decisions waiting: the number of pending approvals, and
   the offer to go through them now (the `review_pending` prompt, or `approval_list` then
   `approval_decide`, which asks me in a form). Name failed tasks that need a person.
"""


def review_pending_text(domain: str | None = None) -> str:
    """The review prompt's text, for one domain or all."""
    return REVIEW.format(
        where=f" in the {domain} domain" if domain else "",
        domain_arg=f' (only those whose domain is "{domain}")' if domain else "",
    )


def morning_briefing_text(since: str, agent: str) -> str:
    """The briefing's text: ``since`` an ISO 8601 time, ``agent`` this machine's agent."""
    return BRIEFING.format(since=since, agent=agent)


def register_prompts(mcp: MCPServer[Any], clock: Clock, agent: str) -> None:
    """Add the owner's prompts to a local vault server a person watches."""

    @mcp.prompt(
        name="review_pending",
        title="Review what waits for me",
        description="Go through the pending approval requests one by one and decide the ones "
        "you pick in a form (approval_decide); nothing is decided in the chat.",
    )
    def review_pending(
        domain: Annotated[
            Literal["email", "accounting", "general"] | None,
            Field(description="Only requests of this domain: email, accounting or general"),
        ] = None,
    ) -> str:
        return review_pending_text(domain)

    @mcp.prompt(
        name="morning_briefing",
        title="Morning briefing",
        description="The queues and agents (vault_status, task_list), the books "
        "(account_summary of the odoo server) and what the other agents did overnight "
        "(audit_query), ending with what waits for you.",
    )
    def morning_briefing(
        hours: Annotated[
            int,
            Field(
                ge=1,
                le=168,
                description="How many hours back 'overnight' reaches, 1 to 168 (default 16)",
            ),
        ] = 16,
    ) -> str:
        since = (clock() - timedelta(hours=hours)).replace(microsecond=0)
        return morning_briefing_text(to_iso(since), agent)
