"""``ai-employee demo``: the Platinum gate on one machine, for real.

Two vault replicas synced by two Syncthing instances, a real Dovecot and SMTP relay, the
Odoo stand-in, and the two agents as their own processes (see stack.py).

Act 1 (US1): the laptop is off; a customer's mail arrives; the cloud agent triages and
drafts a reply and asks for approval; the laptop comes up; a person approves by moving
the file; the local agent sends it, once; the task is done on both replicas.
Act 2 (US2): an invoice drafted in Odoo by the cloud, approved, posted by the laptop.
Act 3 (US3): both agents claim the same task while the replicas are apart; after the
sync one claim wins on both replicas and the other goes to Conflicts/.

With ``--claude-code`` the agents hand each task of acts 1 and 2 to the real Claude Code
CLI, whose model is played by a scripted Messages API on loopback (started as a process,
like the Odoo stand-in); the timeline shows the tool calls Claude Code made.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
from mcp import Client, StdioServerParameters
from rich.console import Console

from devstack.stack import PlatinumStack, missing_parts, on_dashboard, wait_until
from orchestrator.claude_sessions import RecordedSession, read_sessions
from orchestrator.status_view import render_status
from servers.vault_mcp.models import VaultStatus
from shared.errors import VaultFileError
from shared.state_dir import default_state_dir
from shared.vault_files import read_doc

__all__ = ["run_demo"]

INVOICE_NOTE = """Azure Interior confirmed the November workshop; invoice it.

```invoice
partner: Azure Interior
reference: PO-2026-118
lines:
  - {description: Workshop facilitation (2 days), quantity: 2, price_unit: 1200}
  - {description: Travel, quantity: 1, price_unit: 180, taxes: []}
```
"""


@dataclass
class Timeline:
    console: Console
    start: float = field(default_factory=time.monotonic)
    marks: dict[str, float] = field(default_factory=dict)

    def say(self, who: str, text: str) -> None:
        elapsed = time.monotonic() - self.start
        colour = {
            "cloud": "cyan",
            "local": "magenta",
            "sync": "yellow",
            "human": "green",
            "claude": "blue",
        }.get(who, "white")
        self.console.print(f"[dim]{elapsed:7.2f}s[/] [{colour}]{who:>6}[/] {text}")

    def mark(self, name: str) -> None:
        self.marks[name] = time.monotonic()

    def since(self, name: str) -> float:
        return time.monotonic() - self.marks[name]


def _approve(vault: Path, pending: Path) -> Path:
    """What a person does in Obsidian: move the request into Approved/."""
    target = vault / "Approved" / pending.name
    shutil.move(pending, target)
    return target


def _pending(vault: Path, domain: str) -> list[Path]:
    return sorted((vault / "Pending_Approval" / domain).glob("appr-*.md"))


def act_us1(stack: PlatinumStack, t: Timeline) -> dict[str, float]:
    t.say("local", "[bold]the laptop is closed[/bold]: only the cloud runs (inbox watcher + agent)")
    stack.start_watcher()
    stack.start_agent("cloud", interval_s=30)
    wait_until(lambda: list((stack.cloud_vault / "Signals").glob("*cloud*")), 60)
    t.mark("mail")
    message_id = stack.client_sends(
        "Resend the October invoice?", "Hello,\n\nCould you resend the October invoice?\n\nAlice"
    )
    t.say("client", f"Alice writes to ops@ ({message_id})")
    task = wait_until(lambda: list((stack.cloud_vault / "In_Progress").rglob("email-*.md")), 60)[0]
    t.say("cloud", f"task {task.stem} claimed ({t.since('mail'):.2f} s after the mail)")
    pending = wait_until(lambda: _pending(stack.cloud_vault, "email"), 60)[0]
    t.say("cloud", f"reply drafted in Drafts, approval requested: {pending.name}")
    local_copy = wait_until(lambda: _pending(stack.local_vault, "email"), 60)[0]
    to_local = t.since("mail")
    t.say("sync", f"the request reached the laptop's replica ({to_local:.2f} s after the mail)")

    t.say("local", "[bold]the laptop opens[/bold]: the local agent starts")
    stack.start_agent("local", interval_s=30)
    wait_until(lambda: on_dashboard(stack.local_vault, local_copy.stem), 60)
    t.say("local", f"Dashboard.md lists {local_copy.stem} for the owner")
    _approve(stack.local_vault, local_copy)
    t.mark("approved")
    t.say("human", f"approves: moves {local_copy.name} to Approved/")
    reply = wait_until(
        lambda: [m for m in stack.client_inbox() if m.get("in-reply-to") == message_id], 60
    )
    to_reply = t.since("approved")
    t.say(
        "client",
        f"the reply arrives, threaded: “{reply[0]['subject']}” ({to_reply:.2f} s after approval)",
    )
    for vault, who in ((stack.local_vault, "local"), (stack.cloud_vault, "cloud")):
        wait_until(lambda v=vault: (v / "Done" / task.name).is_file(), 60)  # type: ignore[misc]
        t.say(who, f"task {task.stem} is in Done/ on the {who} replica")
    time.sleep(2.5)
    count = len([m for m in stack.client_inbox() if m.get("in-reply-to") == message_id])
    t.say("client", f"replies in Alice's inbox: {count} (exactly once)")
    if count != 1:
        raise RuntimeError(f"{count} replies arrived, expected exactly one")
    return {"mail_to_local_request_s": to_local, "approval_to_reply_s": to_reply}


def act_us2(stack: PlatinumStack, t: Timeline) -> dict[str, float]:
    from shared.settings import CoreSettings
    from shared.vault import Vault

    t.mark("invoice")
    cloud = Vault(CoreSettings(role="cloud", vault=stack.cloud_vault, agent="owner"))
    task, _ = cloud.tasks.create(
        "accounting", "Invoice Azure Interior: November workshop", INVOICE_NOTE
    )
    t.say("human", f"the owner files an accounting task: {task.id}")
    pending = wait_until(lambda: _pending(stack.cloud_vault, "accounting"), 60)[0]
    t.say(
        "cloud",
        f"draft invoice created in Odoo as user 'drafter'; approval requested: {pending.name}",
    )
    local_copy = wait_until(lambda: _pending(stack.local_vault, "accounting"), 60)[0]
    summary = next(
        line for line in local_copy.read_text().splitlines() if line.startswith("# Approve")
    )
    t.say("sync", f"on the laptop: {summary[2:]}")
    wait_until(lambda: on_dashboard(stack.local_vault, local_copy.stem), 60)
    _approve(stack.local_vault, local_copy)
    t.mark("approved_invoice")
    t.say("human", "approves the exact amounts: moves it to Approved/")
    executed = stack.local_vault / "Done" / local_copy.name

    def posted_name() -> str | None:
        try:
            result = read_doc(executed).meta.get("result") or {}
        except (FileNotFoundError, VaultFileError):
            return None  # not there yet, or being written
        return str(result["posted"]) if result.get("posted") else None

    name = wait_until(posted_name, 60)
    took = t.since("approved_invoice")
    t.say("local", f"posted in Odoo as {name} ({took:.2f} s after approval)")
    return {"invoice_approval_to_posted_s": took}


def _vault_client(vault: Path, role: str, agent: str) -> StdioServerParameters:
    env = {"AIE_ROLE": role, "AIE_VAULT": str(vault), "AIE_AGENT": agent}
    return StdioServerParameters(
        command=str(Path(sys.executable).parent / "vault-mcp"), args=[], env=env
    )


async def _call(client: Client, tool: str, **args: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, args)
    if result.is_error:
        raise RuntimeError(f"{tool}: {getattr(result.content[0], 'text', '')}")
    return result.structured_content or {}


async def act_us3(stack: PlatinumStack, t: Timeline) -> VaultStatus:
    for name in list(stack.agents):
        stack.stop_agent(name)
    t.say("sync", "both agents stopped; a task both will want")
    async with (
        Client(_vault_client(stack.cloud_vault, "cloud", "cloud-agent"), mode="legacy") as cloud,
        Client(_vault_client(stack.local_vault, "local", "local-agent"), mode="legacy") as local,
    ):
        task = await _call(
            cloud,
            "task_create",
            domain="general",
            title="Call back Bob about the renewal",
            body="Bob asked for a call this week.",
            source_id="demo-bob-renewal",
        )
        await anyio.to_thread.run_sync(stack.wait_synced)
        t.say("sync", f"task {task['id']} is on both replicas")
        stack.disconnect()
        t.say("sync", "[bold]the network drops: the replicas are apart[/bold]")
        for who, client in (("cloud", cloud), ("local", local)):
            claim = await _call(client, "task_claim", task_id=task["id"])
            t.say(who, f"task_claim → claimed={claim['claimed']}")
            await anyio.sleep(0.05)
        stack.reconnect()
        took = await anyio.to_thread.run_sync(stack.wait_synced)
        t.say(
            "sync",
            f"[bold]back together[/bold]: synced in {took:.2f} s; both claims survived the sync",
        )
        status = await _call(local, "vault_status")
        t.say("local", f"vault_status: in two places: {status['unresolved_duplicates']}")
        for who, client in (("local", local), ("cloud", cloud)):
            for r in (await _call(client, "conflicts_resolve"))["resolved"]:
                t.say(
                    who,
                    f"conflicts_resolve: {r['winner']} wins ({r['rule']}); "
                    "the other copy → Conflicts/",
                )
        await anyio.to_thread.run_sync(stack.wait_synced)
        final = VaultStatus.model_validate(await _call(local, "vault_status"))
    t.say(
        "sync",
        f"one holder on both replicas; duplicates left: {final.unresolved_duplicates or 'none'}",
    )
    return final


class ClaudeCodeCalls:
    """With --claude-code: after each act, the tool calls Claude Code made in it."""

    def __init__(self, stack: PlatinumStack, t: Timeline) -> None:
        self.stack, self.t, self.shown = stack, t, 0
        self.sessions: list[RecordedSession] = []

    def show(self) -> None:
        if not self.stack.claude_code:
            return
        # the act's outcome is visible before its last session has ended: wait for the
        # agents to count every recorded session as done (their health files)
        found: list[RecordedSession] = []

        def all_ended() -> bool:
            nonlocal found
            found = read_sessions(self.stack.model_record)
            return self.ended() >= len(found)

        wait_until(all_ended, 60)
        for session in found[self.shown :]:
            calls = " → ".join(session.tools) or "no tool calls"
            self.t.say(
                "claude",
                f"{session.skill}: {calls} ({session.requests} model requests in "
                f"{session.seconds:.1f} s)",
            )
        self.shown = len(found)
        self.sessions = found

    def ended(self) -> int:
        total = 0
        for vault, agent in ((self.stack.cloud_vault, "cloud"), (self.stack.local_vault, "local")):
            health = default_state_dir(vault) / f"health-{agent}-agent.json"
            try:
                counters = json.loads(health.read_text("utf-8")).get("counters", {})
            except (OSError, ValueError):
                continue
            total += int(counters.get("claude_code_sessions", 0))
        return total


def run_demo(console: Console, workdir: Path, claude_code: bool = False) -> int:
    workdir = workdir.resolve()
    missing = missing_parts()
    if missing:
        console.print("[red]the demo cannot start; this machine lacks:[/red]")
        for part in missing:
            console.print(f"  - {part}")
        return 2
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    t = Timeline(console)
    figures: dict[str, float] = {}
    try:
        with PlatinumStack(workdir, t.say, claude_code=claude_code) as stack:
            claude = ClaudeCodeCalls(stack, t)
            console.rule("[bold]Act 1 · US1: mail answered while the laptop was closed[/bold]")
            figures |= act_us1(stack, t)
            claude.show()
            console.rule(
                "[bold]Act 2 · US2: an invoice drafted on the cloud, posted on the laptop[/bold]"
            )
            figures |= act_us2(stack, t)
            claude.show()
            console.rule("[bold]Act 3 · US3: both agents claim one task while apart[/bold]")
            final = anyio.run(act_us3, stack, t)
    except (RuntimeError, TimeoutError) as error:
        console.print(f"[red]demo failed: {error}[/red]; logs in {workdir / 'logs'}")
        return 1
    console.print(render_status(final, []))
    console.rule("[bold]Timings[/bold]")
    for name, value in figures.items():
        console.print(f"  {name.replace('_', ' ')}: {value:.2f}")
    if claude.sessions:
        took = [s.seconds for s in claude.sessions]
        asked = [s.requests for s in claude.sessions]
        console.print(
            f"  Claude Code sessions: {len(took)}; model requests per session: "
            f"{sum(asked) / len(asked):.1f}, over {sum(took) / len(took):.1f} s on average"
        )
    console.print(
        f"\nOpen [bold]{workdir / 'local' / 'Vault'}[/bold] in Obsidian: Done/ holds the sent "
        "reply and the posted invoice, Conflicts/ the losing claim, Logs/ every step."
    )
    return 0 if not final.unresolved_duplicates else 1
