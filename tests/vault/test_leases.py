"""Leases on the injected clock only: a claim caught between its move and its stamp (or
a file a person dragged into In_Progress/) is fresh for one lease from the move, measured
as an age and carried onto the vault's clock, so a clock far from the real one is safe."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shared.vault import Vault
from tests.support.clock import FakeClock

pytestmark = pytest.mark.clock


def _vaults(make_settings, clock: FakeClock) -> tuple[Vault, Vault]:  # type: ignore[no-untyped-def]
    holder = Vault(make_settings("cloud", agent="cloud-agent"), clock)
    other = Vault(make_settings("local", agent="local-agent"), clock)
    return holder, other


def _unstamped_claim(holder: Vault, vault_path: Path, source_id: str) -> str:
    """The move of a claim without its stamp, as a crash or a person's drag leaves it."""
    task, _ = holder.tasks.create("email", "Unstamped", "body", source_id=source_id)
    moved = vault_path / "In_Progress" / "cloud-agent" / f"{task.id}.md"
    moved.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(holder.tasks.locate(task.id).path, moved)
    return task.id


def test_a_claim_between_its_move_and_its_stamp_is_not_taken(make_settings, vault_path) -> None:  # type: ignore[no-untyped-def]
    clock = FakeClock(datetime(2040, 1, 1, tzinfo=UTC))  # far from the real clock on purpose
    holder, other = _vaults(make_settings, clock)
    task_id = _unstamped_claim(holder, vault_path, "<u@x>")
    refused = other.claims.claim(task_id)
    assert not refused.claimed and refused.holder == "cloud-agent"


def test_an_interrupted_claim_lives_on_its_holders_heartbeat(make_settings, vault_path) -> None:  # type: ignore[no-untyped-def]
    clock = FakeClock(datetime(2040, 1, 1, tzinfo=UTC))
    holder, other = _vaults(make_settings, clock)
    other.claims.move_window_s = 0  # the move is long past
    task_id = _unstamped_claim(holder, vault_path, "<i@x>")
    holder.signals.beat("cloud-agent", "cloud")
    clock.advance(minutes=14)
    assert not other.claims.claim(task_id).claimed
    clock.advance(minutes=2)
    taken = other.claims.claim(task_id)
    assert taken.claimed and taken.taken_over_from == "cloud-agent"


def test_an_interrupted_claim_of_a_silent_holder_is_stale(make_settings, vault_path) -> None:  # type: ignore[no-untyped-def]
    holder, other = _vaults(make_settings, FakeClock())
    other.claims.move_window_s = 0
    task_id = _unstamped_claim(holder, vault_path, "<s@x>")
    assert other.claims.claim(task_id).taken_over_from == "cloud-agent"


def test_a_heartbeat_keeps_a_claim_fresh_on_a_shifted_clock(make_settings) -> None:  # type: ignore[no-untyped-def]
    clock = FakeClock(datetime(2040, 1, 1, tzinfo=UTC))
    holder, other = _vaults(make_settings, clock)
    task, _ = holder.tasks.create("email", "Stamped", "body", source_id="<s@x>")
    assert holder.claims.claim(task.id).claimed
    for _ in range(4):
        clock.advance(minutes=10)
        holder.signals.beat("cloud-agent", "cloud")
        assert not other.claims.claim(task.id).claimed
    clock.advance(minutes=16)
    assert other.claims.claim(task.id).claimed
