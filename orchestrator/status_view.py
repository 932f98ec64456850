"""``ai-employee status``: the vault's state as tables a person reads at 80 columns."""

from __future__ import annotations

import os
from pathlib import Path

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from orchestrator.health import read_health
from servers.vault_mcp.models import VaultStatus
from servers.vault_mcp.service import VaultService
from shared.settings import CoreSettings
from shared.text import ago, plain

__all__ = ["render_status", "show_status"]


def render_status(
    status: VaultStatus,
    errors: list[dict[str, object]],
    health: list[dict[str, object]] | None = None,
) -> Group:
    """The status as tables; ``health`` holds the health files of this machine's agents."""
    processes = {str(h.get("agent")): h for h in health or []}
    agents = Table(title="Agents", expand=True)
    for col in ("agent", "role", "last seen", "status"):
        agents.add_column(col)
    for beat in status.heartbeats:
        style = "red" if beat.age_seconds > 900 or beat.age_seconds < 0 else "green"
        here = processes.get(beat.agent)
        process = ""
        if here is not None:
            colour = {"running": "green", "stopped": "yellow"}.get(str(here.get("state")), "red")
            process = f"[{colour}]{here.get('state')}[/] · "
        agents.add_row(
            beat.agent,
            beat.role,
            f"[{style}]{ago(beat.age_seconds)}[/]",
            f"{process}{beat.status} {beat.note}".strip(),
        )
    if not status.heartbeats:
        agents.add_row("(none yet)", "", "", "")

    c = status.counts
    queues = Table(title="Queues", expand=True)
    queues.add_column("queue")
    queues.add_column("count", justify="right")
    for domain, n in c["needs_action"].items():
        queues.add_row(f"needs action · {domain}", str(n))
    for agent, n in c["in_progress"].items():
        queues.add_row(f"in progress · {agent}", str(n))
    queues.add_row("pending approval", str(sum(c["pending_approval"].values())))
    for key in ("approved", "rejected", "done", "failed", "conflicts", "updates_unmerged"):
        queues.add_row(key.replace("_", " "), str(c[key]))

    approvals = Table(title="Pending approvals", expand=True)
    approvals.add_column("approval", overflow="fold", max_width=24)
    approvals.add_column("what it does (rendered here)", overflow="fold")
    approvals.add_column("expires", max_width=20)
    for a in status.pending_approvals:
        what = Text(plain(a.headline))
        if a.altered:
            what = Text("altered: will not execute; reject it · ", style="red") + what
        approvals.add_row(a.id, what, a.expires[:16].replace("T", " "))
    for a in status.expired_approvals:
        expired = Text("expired ", style="red") + Text(plain(a.headline))
        approvals.add_row(Text(a.id, style="red"), expired, a.expires[:16])
    if not (status.pending_approvals or status.expired_approvals):
        approvals.add_row("none", "", "")

    problems = Table(title="Conflicts, stale claims, recent errors", expand=True)
    problems.add_column("what", max_width=14)
    problems.add_column("detail", overflow="fold")
    for t in status.unresolved_duplicates:
        problems.add_row("[red]duplicate[/]", f"task {t} in several places: conflicts_resolve")
    for p in status.sync_conflict_copies:
        problems.add_row("[red]sync copy[/]", p)
    for s in status.stale_claims:
        problems.add_row("[yellow]stale[/]", f"{s.task_id} held by {s.holder}")
    for name, h in processes.items():
        for line in list(h.get("last_errors") or [])[-2:]:  # type: ignore[call-overload]
            problems.add_row("error", f"{name}: {line}")
    for e in errors[-5:]:
        problems.add_row(
            "error",
            f"{str(e.get('ts', ''))[:19]} {e.get('actor')} "
            f"{e.get('action')} {e.get('target')}: {e.get('detail', '')}",
        )
    if not problems.row_count:
        problems.add_row("none", "")

    sync = status.sync
    peers = ", ".join(f"{a} {ago(age)}" for a, age in sync["peers"].items()) or "none seen"
    marker = "Syncthing folder" if sync["syncthing_folder_marker"] else "no Syncthing marker"
    footer = Panel(
        f"Vault {status.vault}\nSync: {marker}; "
        f"{sync['syncthing_temp_files']} transfers in flight; peers: {peers}",
        title=f"{status.agent} ({status.role})",
    )
    return Group(footer, agents, queues, approvals, problems)


def show_status(console: Console, vault: Path | None) -> int:
    root = vault or (Path(os.environ["AIE_VAULT"]) if os.environ.get("AIE_VAULT") else None)
    if root is None:
        console.print("[red]ai-employee status: give --vault PATH or set AIE_VAULT[/red]")
        return 2
    if not root.is_dir():
        console.print(
            f"[red]ai-employee status: no vault at {root}; "
            "create one with: ai-employee vault init PATH[/red]"
        )
        return 2
    role = os.environ.get("AIE_ROLE", "local")
    settings = CoreSettings(role="cloud" if role == "cloud" else "local", vault=root)
    service = VaultService(settings)
    errors = [e for e in service.vault.audit.events() if e.get("result") not in ("ok", None)]
    health = read_health(settings.state_path)
    console.print(render_status(service.status(), errors, health))
    return 0
