"""Claim-by-move under a real race: several OS processes claim the same 200 tasks at once."""

from __future__ import annotations

import json
import multiprocessing as mp
from pathlib import Path

import pytest

from shared.settings import CoreSettings
from shared.vault import Vault

pytestmark = pytest.mark.clock


TASKS = 200
CLAIMANTS = 6


def _claim_all(
    vault: str,
    agent: str,
    ids: list[str],
    start: mp.synchronize.Barrier,  # type: ignore[name-defined]
    out: str,
) -> None:
    v = Vault(CoreSettings(role="cloud", vault=Path(vault), agent=agent))
    start.wait()  # a barrier: every claimant is ready before any starts
    won, lost = [], {}
    for task_id in ids:
        outcome = v.claims.claim(task_id)
        if outcome.claimed:
            won.append(task_id)
        else:
            lost[task_id] = outcome.holder
    Path(out).write_text(json.dumps({"won": won, "lost": lost}))


def test_exactly_one_winner_per_task(make_settings, vault_path: Path, tmp_path: Path) -> None:
    vault = Vault(make_settings("cloud"))
    ids = [
        vault.tasks.create("email", f"Task {n}", "body", source_id=f"<{n}@x>")[0].id
        for n in range(TASKS)
    ]
    ctx = mp.get_context("spawn")
    start = ctx.Barrier(CLAIMANTS + 1)
    procs, outs = [], []
    for n in range(CLAIMANTS):
        order = ids if n % 2 == 0 else list(reversed(ids))  # collide from both ends
        out = tmp_path / f"claimant-{n}.json"
        outs.append(out)
        p = ctx.Process(
            target=_claim_all, args=(str(vault_path), f"agent-{n}", order, start, str(out))
        )
        p.start()
        procs.append(p)
    start.wait(120)
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    results = {f"agent-{n}": json.loads(out.read_text()) for n, out in enumerate(outs)}
    winners: dict[str, list[str]] = {}
    for agent, result in results.items():
        for task_id in result["won"]:
            winners.setdefault(task_id, []).append(agent)
    assert sorted(winners) == sorted(ids), "every task claimed"
    assert all(len(w) == 1 for w in winners.values()), "no task claimed twice"
    for result in results.values():
        for task_id, holder in result["lost"].items():
            assert holder == winners[task_id][0], "the loser learns the real holder"
    on_disk = {p.stem: p.parent.name for p in (vault_path / "In_Progress").glob("*/*.md")}
    assert on_disk == {task_id: agents[0] for task_id, agents in winners.items()}
    assert not list((vault_path / "Needs_Action" / "email").glob("*.md"))
    assert len({a for w in winners.values() for a in w}) > 1, "the race really interleaved"
