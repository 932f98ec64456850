"""Two replicas that claimed the same task while apart converge on one winner."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from devstack.folder_sync import FolderSync
from orchestrator.vault_init import init_vault
from servers.vault_mcp.conflicts import Conflicts
from shared.settings import CoreSettings
from shared.vault import Vault
from tests.support.clock import FakeClock

pytestmark = pytest.mark.clock


def _pair(tmp: Path, clock: FakeClock) -> tuple[Vault, Vault, FolderSync]:
    a, b = tmp / "cloud" / "Vault", tmp / "local" / "Vault"
    init_vault(a)
    shutil.copytree(a, b)
    sync = FolderSync(a, b)
    sync.mark_synced()
    cloud = Vault(CoreSettings(role="cloud", vault=a), clock)
    local = Vault(CoreSettings(role="local", vault=b), clock)
    return cloud, local, sync


def _resolve(v: Vault) -> list[object]:
    """Resolution once the sync has settled (a move's leftover is parked at once)."""
    return list(Conflicts(v.tasks, v.approvals, settle_s=0).resolve())


def _state(v: Vault) -> dict[str, str]:
    root = v.root
    return {
        p.relative_to(root).as_posix(): p.read_text()
        for p in sorted(root.rglob("*.md"))
        if "Logs" not in p.parts and not p.name.startswith(".")
    }


def test_both_claim_offline_same_winner_on_both_sides(tmp_path: Path) -> None:
    clock = FakeClock()
    cloud, local, sync = _pair(tmp_path, clock)
    task, _ = cloud.tasks.create("email", "Reply to Alice", "b", source_id="<a@x>")
    sync.sync()
    clock.advance(seconds=5)
    assert cloud.claims.claim(task.id).claimed  # earliest claim
    cloud.request_approval(task.id, "send_email", {"to": "a@x"}, "Reply")
    clock.advance(seconds=3)
    assert local.claims.claim(task.id).claimed
    local.request_approval(task.id, "send_email", {"to": "a@x"}, "Reply (local)")
    sync.sync()
    assert len(cloud.tasks.locations(task.id)) == 2  # sync made no conflict of it
    resolved_local = _resolve(local)
    resolved_cloud = _resolve(cloud)
    assert len(resolved_local) == len(resolved_cloud) == 1
    for v in (cloud, local):
        (loc,) = v.tasks.locations(task.id)
        assert loc.holder == "cloud-agent"
        conflicts = sorted(p.name for p in (v.root / "Conflicts").glob("*.md"))
        assert f"{task.id}--in_progress-local-agent.md" in conflicts
        assert f"{task.id}--report.md" in conflicts
        pending = [a for a in v.approvals.query("pending")]
        assert [a.requested_by for a in pending] == ["cloud-agent"]
        parked = v.approvals.query("conflict")
        assert [a.requested_by for a in parked] == ["local-agent"]
    sync.sync()
    assert _state(cloud) == _state(local)
    assert not list((cloud.root / "Conflicts").glob("*sync-conflict*"))


def test_edit_on_one_side_claim_on_the_other(tmp_path: Path) -> None:
    clock = FakeClock()
    cloud, local, sync = _pair(tmp_path, clock)
    task, _ = cloud.tasks.create("email", "T", "b", source_id="<b@x>")
    sync.sync()
    path = cloud.tasks.locate(task.id).path
    path.write_text(path.read_text() + "\nA note added by a person.\n")
    assert local.claims.claim(task.id).claimed
    sync.sync()
    states = sorted(loc.state for loc in local.tasks.locations(task.id))
    assert states == ["in_progress", "needs_action"]
    _resolve(cloud)
    _resolve(local)
    sync.sync()
    for v in (cloud, local):
        (loc,) = v.tasks.locations(task.id)
        assert loc.state == "in_progress" and loc.holder == "local-agent"
        parked = (v.root / "Conflicts" / f"{task.id}--needs_action-email.md").read_text()
        assert "A note added by a person." in parked  # nothing is lost
    assert _state(cloud) == _state(local)


def test_two_offline_edits_leave_a_sync_conflict_copy_that_is_parked(tmp_path: Path) -> None:
    clock = FakeClock()
    cloud, local, sync = _pair(tmp_path, clock)
    task, _ = cloud.tasks.create("general", "T", "b")
    sync.sync()
    for v, text in ((cloud, "cloud edit"), (local, "local edit")):
        p = v.tasks.locate(task.id).path
        p.write_text(p.read_text() + text)
    sync.sync()
    copies = Conflicts(local.tasks, local.approvals).sync_copies()
    assert len(copies) == 1 and ".sync-conflict-" in copies[0].name
    assert local.claims.claim(task.id).claimed  # the copy is not a second task
    resolved = _resolve(local)
    assert [r.kind for r in resolved] == ["sync_conflict_copy"]
    assert not Conflicts(local.tasks, local.approvals).sync_copies()


def test_finished_copy_beats_an_earlier_claim(tmp_path: Path) -> None:
    clock = FakeClock()
    cloud, local, sync = _pair(tmp_path, clock)
    task, _ = cloud.tasks.create("email", "T", "b", source_id="<c@x>")
    sync.sync()
    cloud.claims.claim(task.id)
    clock.advance(seconds=1)
    local.claims.claim(task.id)
    local.claims.complete(task.id, "sent by the local agent")
    sync.sync()
    _resolve(cloud)
    (loc,) = cloud.tasks.locations(task.id)
    assert loc.state == "done"


# Property: any interleaving of claims on two replicas converges to one winner.
ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["cloud", "local"]),
        st.integers(0, 1),
        st.sampled_from(["claim"] * 5 + ["complete", "release", "sync", "tick"]),
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions=ACTIONS, resolve_first=st.sampled_from(["cloud", "local"]))
def test_any_interleaving_converges(
    actions: list[tuple[str, int, str]], resolve_first: str
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        clock = FakeClock()
        cloud, local, sync = _pair(Path(tmp), clock)
        ids = [
            cloud.tasks.create("email", f"T{n}", "b", source_id=f"<{n}@x>")[0].id for n in range(2)
        ]
        sync.sync()
        agents = {"cloud": cloud, "local": local}
        for who, n, what in actions:
            v, task_id = agents[who], ids[n]
            if what == "sync":
                sync.sync()
                continue
            if what == "tick":
                clock.advance(seconds=1)
                continue
            found = v.tasks.locations(task_id)
            if len(found) != 1:
                continue
            if what == "claim" and found[0].state == "needs_action":
                v.claims.claim(task_id)
            elif found[0].holder == v.agent and what == "complete":
                v.claims.complete(task_id, "done")
            elif found[0].holder == v.agent and what == "release":
                v.claims.release(task_id)
            clock.advance(milliseconds=1)
        sync.sync()
        order = [agents[resolve_first], agents["local" if resolve_first == "cloud" else "cloud"]]
        first = [r for v in order for r in _resolve(v)]
        event("with conflicts" if first else "without conflicts")
        sync.sync()
        for v in order:
            assert _resolve(v) == []  # one pass settles it
        sync.sync()
        assert _state(cloud) == _state(local)
        for task_id in ids:
            assert len(cloud.tasks.locations(task_id)) == 1
            assert cloud.tasks.locations(task_id)[0].path.relative_to(
                cloud.root
            ) == local.tasks.locations(task_id)[0].path.relative_to(local.root)


def test_a_claim_still_syncing_is_not_a_conflict(tmp_path: Path) -> None:
    """Syncthing writes a claimed task's new file before it deletes the old one; the
    untouched copy left for that moment is not parked while fresh, but is after settling."""
    clock = FakeClock()
    cloud, local, sync = _pair(tmp_path, clock)
    task, _ = cloud.tasks.create("email", "T", "body", source_id="<m@x>")
    sync.sync()
    cloud.claims.claim(task.id)
    arrived = local.root / "In_Progress" / "cloud-agent" / f"{task.id}.md"
    arrived.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(cloud.tasks.locate(task.id).path, arrived)
    assert len(local.tasks.locations(task.id)) == 2  # mid-sync: both copies on the laptop
    conflicts = Conflicts(local.tasks, local.approvals, settle_s=30)
    assert conflicts.resolve() == []
    clock.advance(seconds=29)
    assert conflicts.resolve() == []
    assert len(local.tasks.locations(task.id)) == 2
    clock.advance(seconds=2)
    (parked,) = conflicts.resolve()
    assert parked.winner.startswith("In_Progress/cloud-agent/")
