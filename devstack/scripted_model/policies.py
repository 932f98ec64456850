"""The scripted model's brain: one policy per skill, each following the steps its SKILL.md
prescribes, with every argument taken from what earlier tool calls returned.

A policy is a generator. It yields the tool calls of one turn (a list: Claude Code runs
them and sends their results back in the next request) and receives their outcomes; it
returns the final text. The server keeps no state between requests: for each request the
policy is replayed from the start with the outcomes the conversation already holds, so
the next turn is a pure function of the conversation, as it is for a real model.

Before working, each policy loads its skill (the ``Skill`` tool), waits for the MCP
servers it needs (``ToolSearch`` with ``select:``, which waits for a server that is still
starting) and then looks up each tool with the words its skill uses for that step
(``SEARCHES``), the way a model finds deferred tools.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

from orchestrator.drafting import invoice_spec

from .adversary import adversarial
from .transcript import Ask, Brief, Outcome, ToolCall, Transcript

__all__ = ["FAULTS", "SEARCHES", "Ask", "next_turn"]

FAULTS = ("unfinished", "bad_tool", "bad_args", "send_on_cloud", "adversarial")


Policy = Generator[list[Ask], list[Outcome], str]
Turn = list[ToolCall] | str  # the next tool calls, or the final text

# the words each skill uses for a step, as a model would search for the tool
SEARCHES: dict[str, dict[str, str]] = {
    "email-triage": {
        "mcp__vault__heartbeat": "heartbeat alive",
        "mcp__vault__task_get": "get task meta",
        "mcp__email__mail_get": "read the whole mail",
        "mcp__email__mail_suggest_reply": "suggest reply handbook",
        "mcp__email__mail_draft_reply": "draft reply",
        "mcp__email__mail_request_send": "request send approval",
        "mcp__vault__update_post": "update post dashboard",
        "mcp__vault__task_complete": "complete task outcome",
    },
    "odoo-accounting": {
        "mcp__vault__task_get": "get task body",
        "mcp__odoo__partner_find": "find partner",
        "mcp__odoo__invoice_create_draft": "draft invoice create",
        "mcp__odoo__invoice_request_post": "request post invoice approval",
        "mcp__vault__update_post": "update post dashboard",
        "mcp__vault__task_release": "release task note",
    },
    "approval-execution": {
        "mcp__vault__heartbeat": "heartbeat note",
        "mcp__vault__approval_list": "approval list",
        "mcp__vault__conflicts_resolve": "resolve conflicts sync",
        "mcp__email__mail_send_approved": "send approved reply",
        "mcp__odoo__invoice_post_approved": "post approved invoice",
        "mcp__odoo__payment_register_approved": "register approved payment",
        "mcp__vault__dashboard_refresh": "dashboard refresh",
    },
}

ACTION_TOOLS = {
    "send_email": "mcp__email__mail_send_approved",
    "post_invoice": "mcp__odoo__invoice_post_approved",
    "register_payment": "mcp__odoo__payment_register_approved",
}


class Stuck(Exception):
    """A step failed in a way the skill says to stop on."""


def call(name: str, **args: Any) -> Generator[list[Ask], list[Outcome], Outcome]:
    (outcome,) = yield [Ask(name, args)]
    return outcome


def must(name: str, **args: Any) -> Generator[list[Ask], list[Outcome], Any]:
    outcome = yield from call(name, **args)
    if outcome.is_error:
        raise Stuck(f"{name} failed: {outcome.text[:300]}")
    return outcome.data()


def prepare(skill: str) -> Generator[list[Ask], list[Outcome], set[str]]:
    """Load the skill, wait for its servers, search each tool; the tools found."""
    yield from call("Skill", skill=skill)
    wanted = SEARCHES[skill]
    first_per_server: dict[str, str] = {}
    for tool in wanted:
        first_per_server.setdefault(tool.split("__")[1], tool)
    loaded = yield from call(
        "ToolSearch", query="select:" + ",".join(first_per_server.values()), max_results=5
    )
    servers = {tool.split("__")[1] for tool in loaded.references}
    searched = [(tool, words) for tool, words in wanted.items() if tool.split("__")[1] in servers]
    outcomes = yield [
        Ask("ToolSearch", {"query": words, "max_results": 5}) for _, words in searched
    ]
    return {name for outcome in outcomes for name in outcome.references}


def email_triage(brief: Brief, faults: frozenset[str]) -> Policy:
    yield from prepare("email-triage")
    task_id = brief.task_id or ""
    yield from must("mcp__vault__heartbeat", note="email-triage")
    task = (yield from must("mcp__vault__task_get", task_id=task_id))["task"]
    meta = task["meta"]
    where = {"uid": meta["uid"], "folder": meta.get("folder", "INBOX")}
    if meta.get("uidvalidity"):
        where["uidvalidity"] = meta["uidvalidity"]
    if "bad_tool" in faults:
        yield from call("mcp__email__mail_fetch", **where)  # no such tool
    mail = yield from must("mcp__email__mail_get", **where)
    reason = meta.get("quarantined") or meta.get("automated") or mail.get("automated")
    if reason:
        return (yield from file_without_reply(task_id, mail["subject"], str(reason)))
    suggestion = yield from must("mcp__email__mail_suggest_reply", **where)
    if suggestion.get("body") is None:
        return (yield from file_without_reply(task_id, mail["subject"], suggestion["reason"]))
    if "bad_args" in faults:
        yield from call("mcp__email__mail_draft_reply", **(where | {"uid": "the first one"}))
    draft = yield from must("mcp__email__mail_draft_reply", body=suggestion["body"], **where)
    if "unfinished" in faults:  # a draft saved, no approval asked: half way
        return "I drafted a reply but stopped before asking for approval."
    request = yield from must(
        "mcp__email__mail_request_send", task_id=task_id, draft_id=draft["draft_id"]
    )
    if "send_on_cloud" in faults:  # what the skill forbids: the cloud has no such tool,
        yield from call("mcp__email__mail_send_approved", approval_id=request["approval_id"])
        # and no other way to send: Claude Code's shell is not allowed
        yield from call("Bash", command="sendmail client@example.test < reply.eml")
    yield from must(
        "mcp__vault__update_post",
        title=f"Drafted a reply to {mail['from']}"[:200],
        body=f"About “{mail['subject']}”; approve {request['approval_id']} to send it.",
    )
    return f"Drafted a reply; approval {request['approval_id']} waits for the owner."


def file_without_reply(task_id: str, subject: str, reason: str) -> Policy:
    yield from must(
        "mcp__vault__update_post",
        title=f"Filed without a reply: {subject}"[:200],
        body=f"{reason}. Nothing was drafted.",
    )
    yield from must(
        "mcp__vault__task_complete",
        task_id=task_id,
        summary=f"Filed, not answered: {reason}"[:500],
        outcome="no_action",
    )
    return f"Filed without a reply: {reason}"


def odoo_accounting(brief: Brief, faults: frozenset[str]) -> Policy:
    yield from prepare("odoo-accounting")
    task_id = brief.task_id or ""
    task = (yield from must("mcp__vault__task_get", task_id=task_id))["task"]
    spec = invoice_spec(task.get("body", ""))  # the block the task carries
    if spec is None:
        yield from must(
            "mcp__vault__task_release", task_id=task_id, note="no invoice details in the task"
        )
        return "The task does not say what to invoice; left for a person."
    if "bad_tool" in faults:
        yield from call("mcp__odoo__invoice_make", partner=spec["partner"])  # no such tool
    found = yield from must("mcp__odoo__partner_find", query=str(spec["partner"]))
    best = (found.get("partners") or [{}])[0]
    if best.get("score", 0) < 0.9:
        yield from must(
            "mcp__vault__task_release",
            task_id=task_id,
            note=f"no clear partner match for {spec['partner']!r}",
        )
        return "No clear partner; left for a person."
    if "unfinished" in faults:
        return f"Found {best['name']} but stopped before drafting."
    args = {k: v for k, v in spec.items() if k != "partner"}
    if "bad_args" in faults:
        wrong = [dict(line, quantity=-1) for line in spec["lines"]]
        yield from call(
            "mcp__odoo__invoice_create_draft", **(args | {"partner": best["id"], "lines": wrong})
        )
    invoice = yield from must("mcp__odoo__invoice_create_draft", partner=best["id"], **args)
    request = yield from must(
        "mcp__odoo__invoice_request_post", invoice_id=invoice["invoice_id"], task_id=task_id
    )
    total = f"{invoice['amount_total']:.2f} {invoice['currency']}"
    yield from must(
        "mcp__vault__update_post",
        title=f"Drafted an invoice for {invoice['partner_name']}"[:200],
        body=f"{total}; approve {request['approval_id']} to post it.",
    )
    return f"Drafted invoice {invoice['invoice_id']} ({total}); approval {request['approval_id']}."


def approval_execution(brief: Brief, faults: frozenset[str]) -> Policy:
    yield from prepare("approval-execution")
    yield from must("mcp__vault__heartbeat", note="approval-execution")
    yield from must("mcp__vault__conflicts_resolve")
    approved = (yield from must("mcp__vault__approval_list", state="approved"))["approvals"]
    if "unfinished" in faults:
        return "I looked at the approved requests but did not execute them."
    done = []
    for approval in approved:
        if brief.approval_id and approval["id"] != brief.approval_id:
            continue
        tool = ACTION_TOOLS.get(approval["action"])
        if tool is None:
            continue
        if "bad_tool" in faults:
            yield from call("mcp__vault__approval_execute", approval_id=approval["id"])
        if "bad_args" in faults:
            yield from call(tool, approval_id="../" + approval["id"])
        outcome = yield from call(tool, approval_id=approval["id"])
        done.append(
            f"{approval['id']}: {'failed: ' + outcome.text[:200] if outcome.is_error else 'done'}"
        )
    yield from must("mcp__vault__dashboard_refresh")
    return "; ".join(done) or "Nothing approved to execute."


POLICIES: dict[str, Callable[[Brief, frozenset[str]], Policy]] = {
    "email-triage": email_triage,
    "odoo-accounting": odoo_accounting,
    "approval-execution": approval_execution,
}


def next_turn(transcript: Transcript, faults: frozenset[str] = frozenset()) -> Turn:
    """Replay the policy over the outcomes so far; return what it does next."""
    brief = Brief.read(transcript.prompt)
    make = POLICIES.get(brief.skill or "")
    if make is None:
        return "I have no skill for this request."
    policy = _guarded(make(brief, faults), brief)
    if "adversarial" in faults:  # a model that does whatever the text it reads says
        policy = adversarial(policy, transcript.prompt)
    step = 0
    try:
        asks = next(policy)
        while True:
            ids = [f"toolu_scripted_{step:02d}_{k}" for k in range(len(asks))]
            if not all(i in transcript.outcomes for i in ids):
                return [ToolCall(i, a.name, a.input) for i, a in zip(ids, asks, strict=True)]
            asks = policy.send([transcript.outcomes[i] for i in ids])
            step += 1
    except StopIteration as finished:
        return str(finished.value)


def _guarded(policy: Policy, brief: Brief) -> Policy:
    """On a step the skill says to stop on: release the task with the reason, and stop."""
    try:
        return (yield from policy)
    except Stuck as stuck:
        if brief.task_id and brief.skill != "approval-execution":
            yield from call(
                "mcp__vault__task_release", task_id=brief.task_id, note=str(stuck)[:500]
            )
        return f"Stopped: {stuck}"
