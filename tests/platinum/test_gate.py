"""The Platinum gate's hard cases on the demo's real stack (two Syncthing replicas,
Dovecot + SMTP, the agents as processes):

- US3 (T026): both agents claim the same mail task while sync is paused and both draft a
  reply and ask for approval; after the sync one claim wins on both replicas, the loser's
  request is parked in Conflicts/, and the customer gets exactly one reply;
- US1 (T017) with the laptop offline is the demo's act 1 (tests/platinum/test_demo.py).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import anyio
import pytest

from devstack.stack import PlatinumStack, on_dashboard, wait_until
from devstack.syncpair import require_syncthing
from orchestrator.health import read_health
from orchestrator.toolbox import ToolBox
from shared.state_dir import default_state_dir
from tests.support.mail_fixtures import ensure_dovecot

pytestmark = [pytest.mark.slow, pytest.mark.anyio]


def _local_passes(vault: Path) -> int:
    """Passes the laptop's agent has finished, from the health file it rewrites after each."""
    beats = [h for h in read_health(default_state_dir(vault)) if h.get("agent") == "local-agent"]
    return int(str(beats[0]["passes"])) if beats else 0


async def _claim_and_request(tools: ToolBox, task_id: str, body: str) -> dict[str, str]:
    claim = await tools.call("vault", "task_claim", task_id=task_id)
    assert claim["claimed"], claim
    meta = (await tools.call("vault", "task_get", task_id=task_id))["task"]["meta"]
    draft = await tools.call(
        "email", "mail_draft_reply", uid=meta["uid"], uidvalidity=meta["uidvalidity"], body=body
    )
    return await tools.call(
        "email", "mail_request_send", task_id=task_id, draft_id=draft["draft_id"]
    )


async def test_us3_both_claim_while_apart_one_reply(tmp_path: Path) -> None:
    ensure_dovecot()
    require_syncthing()
    with PlatinumStack(tmp_path / "stack") as stack:
        message_id = stack.client_sends("Renewal", "Can we renew for a year?")
        async with (
            ToolBox(("vault", "email"), stack.env("cloud")) as cloud,
            ToolBox(("vault", "email"), stack.env("local")) as local,
        ):
            triaged = await cloud.call("email", "mail_triage")
            (task_id,) = triaged["created"]
            await anyio.to_thread.run_sync(stack.wait_synced)
            assert (stack.local_vault / "Needs_Action" / "email" / f"{task_id}.md").is_file()

            stack.disconnect()
            cloud_req = await _claim_and_request(cloud, task_id, "Hello Alice,\n\nYes, gladly.")
            time.sleep(0.05)
            local_req = await _claim_and_request(local, task_id, "Hi Alice, sure!")
            stack.reconnect()
            await anyio.to_thread.run_sync(stack.wait_synced)

            for tools in (local, cloud):  # each replica resolves on its own
                await tools.call("vault", "conflicts_resolve")
            await anyio.to_thread.run_sync(stack.wait_synced)

        for vault in (stack.cloud_vault, stack.local_vault):
            assert (
                vault / "In_Progress" / "cloud-agent" / f"{task_id}.md"
            ).is_file()  # the earliest claim
            assert not (vault / "In_Progress" / "local-agent" / f"{task_id}.md").exists()
            assert (vault / "Conflicts" / f"{local_req['approval_id']}.md").is_file()
            assert (
                vault / "Pending_Approval" / "email" / f"{cloud_req['approval_id']}.md"
            ).is_file()

        # The laptop's agent lists what waits; the person approves it; the agent executes it.
        stack.start_agent("local", interval_s=2)
        wait_until(lambda: on_dashboard(stack.local_vault, cloud_req["approval_id"]), 60)
        pending = (
            stack.local_vault / "Pending_Approval" / "email" / f"{cloud_req['approval_id']}.md"
        )
        shutil.move(pending, stack.local_vault / "Approved" / pending.name)
        wait_until(lambda: (stack.local_vault / "Done" / f"{task_id}.md").is_file(), 60)
        wait_until(lambda: (stack.cloud_vault / "Done" / f"{task_id}.md").is_file(), 60)
        # Two more whole passes of the laptop's agent after the task was done: had it
        # anything left to send, it would have sent it by then.
        done_at = _local_passes(stack.local_vault)
        wait_until(lambda: _local_passes(stack.local_vault) >= done_at + 2, 60)
        replies = [m for m in stack.client_inbox() if m.get("in-reply-to") == message_id]
        assert len(replies) == 1
        assert (stack.local_vault / "Conflicts" / f"{local_req['approval_id']}.md").is_file()
