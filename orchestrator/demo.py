"""``ai-employee demo``: the Platinum story on one machine, through the real MCP servers.

Act 1 (the vault): two replicas of one vault, a cloud agent and a local agent each with
its own ``vault-mcp`` over stdio. Both claim the same task while the replicas are apart;
a sync copies both ways; both copies survive (as Syncthing leaves them); the vault server
resolves the conflict identically on both sides; the human approves; status is printed.
"""

from __future__ import annotations

import shutil
import sys
import time
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import anyio
from mcp import Client, StdioServerParameters
from rich.console import Console

from orchestrator.folder_sync import FolderSync
from orchestrator.status_view import render_status
from orchestrator.vault_init import init_vault
from servers.vault_mcp.models import VaultStatus

__all__ = ["run_demo"]


class Timeline:
    def __init__(self, console: Console) -> None:
        self.console = console
        self.start = time.monotonic()

    def say(self, who: str, text: str) -> None:
        elapsed = time.monotonic() - self.start
        colour = {"cloud": "cyan", "local": "magenta", "sync": "yellow"}.get(who, "white")
        self.console.print(f"[dim]{elapsed:7.2f}s[/] [{colour}]{who:>6}[/] {text}")


async def _call(client: Client, tool: str, **args: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, args)
    if result.is_error:
        raise RuntimeError(f"{tool}: {result.content[0].text}")  # type: ignore[union-attr]
    content: dict[str, Any] = result.structured_content or {}
    return content


def _server(vault: Path, role: str) -> StdioServerParameters:
    command = str(Path(sys.executable).parent / "vault-mcp")
    return StdioServerParameters(
        command=command, args=[], env={"AIE_ROLE": role, "AIE_VAULT": str(vault)}
    )


async def _vault_act(console: Console, workdir: Path) -> int:
    t = Timeline(console)
    cloud_vault, local_vault = workdir / "cloud" / "Vault", workdir / "local" / "Vault"
    for v in (cloud_vault, local_vault):
        init_vault(v)
    sync = FolderSync(cloud_vault, local_vault)
    t.say("sync", f"two replicas: {cloud_vault} and {local_vault}")
    sync.sync()
    async with AsyncExitStack() as stack:
        cloud = await stack.enter_async_context(
            Client(_server(cloud_vault, "cloud"), mode="legacy")
        )
        local = await stack.enter_async_context(
            Client(_server(local_vault, "local"), mode="legacy")
        )
        t.say(
            "cloud",
            "vault-mcp started (role cloud); "
            f"{len((await cloud.list_tools()).tools)} tools, no approval_decide",
        )
        await _call(cloud, "heartbeat", note="watching the inbox")
        await _call(local, "heartbeat", note="laptop open")
        task = await _call(
            cloud,
            "task_create",
            domain="email",
            title="Reply to Alice: question about invoice INV/2026/00042",
            body="From: alice@example.test\n\nCould you resend the invoice?",
            source_id="<demo-alice-1@example.test>",
        )
        t.say("cloud", f"task {task['id']} created in Needs_Action/email/")
        for line in sync.sync():
            t.say("sync", line)

        t.say("sync", "[bold]the network drops: the replicas are apart[/bold]")
        claim = await _call(cloud, "task_claim", task_id=task["id"])
        t.say("cloud", f"task_claim → claimed={claim['claimed']} ({claim['path']})")
        await anyio.sleep(0.05)
        claim = await _call(local, "task_claim", task_id=task["id"])
        t.say("local", f"task_claim → claimed={claim['claimed']} ({claim['path']})")
        params = {
            "to": "alice@example.test",
            "subject": "Re: invoice INV/2026/00042",
            "body": "Hello Alice,\n\nHere it is again.\n\nBest regards,\nSam",
        }
        cloud_req = await _call(
            cloud,
            "approval_request",
            task_id=task["id"],
            action="send_email",
            params=params,
            editable=["body"],
            summary="Send the reply to Alice",
        )
        t.say("cloud", f"approval requested: {cloud_req['id']}")
        local_req = await _call(
            local,
            "approval_request",
            task_id=task["id"],
            action="send_email",
            params=params | {"body": "Hi Alice!"},
            summary="Send the reply to Alice (local draft)",
        )
        t.say("local", f"approval requested: {local_req['id']}")

        t.say("sync", "[bold]the network is back: sync both ways[/bold]")
        for line in sync.sync():
            t.say("sync", line)
        status = await _call(local, "vault_status")
        t.say("local", f"vault_status: task in several places: {status['unresolved_duplicates']}")
        for who, client in (("local", local), ("cloud", cloud)):  # each on its own replica
            for r in (await _call(client, "conflicts_resolve"))["resolved"]:
                t.say(
                    who,
                    f"conflicts_resolve: winner {r['winner']} ({r['rule']}); "
                    f"moved {r['loser']} and approvals {r['moved_approvals']}",
                )
        t.say("sync", "both replicas resolved it alike; sync again")
        for line in sync.sync():
            t.say("sync", line)

        decided = await _call(
            local, "approval_decide", approval_id=cloud_req["id"], decision="approve"
        )
        t.say("local", f"the human approves {cloud_req['id']} → {decided['approval']['path']}")
        await _call(local, "dashboard_refresh")
        for line in sync.sync():
            t.say("sync", line)
        final = VaultStatus.model_validate(await _call(cloud, "vault_status"))
    same = _snapshot(cloud_vault) == _snapshot(local_vault)
    t.say("sync", f"replicas identical after sync: {same}")
    console.print(render_status(final, []))
    console.print(
        f"\nOpen [bold]{local_vault}[/bold] in Obsidian to see the result "
        "(Conflicts/ holds the losing claim and its approval request)."
    )
    return 0 if same and not final.unresolved_duplicates else 1


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "Logs" not in p.parts and ".aie" not in p.parts
    }


def run_demo(console: Console, workdir: Path) -> int:
    workdir = workdir.resolve()
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    console.rule("[bold]Act 1: the vault: both agents claim while apart[/bold]")
    return anyio.run(_vault_act, console, workdir)
