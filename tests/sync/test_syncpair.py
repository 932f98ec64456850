"""Two real Syncthing instances on loopback: propagation, claim-by-move, .stignore."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.syncpair import SyncPair, syncthing_available

pytestmark = pytest.mark.slow

SKIP_REASON = (
    "!!! SYNCTHING NOT INSTALLED: the real two-replica sync tests did NOT run "
    "(apt-get install syncthing) !!!"
)


def _wait_for(path: Path, content: str, timeout: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            if path.read_text() == content:
                return time.monotonic() - start
        except OSError:
            pass
        time.sleep(0.02)
    raise AssertionError(f"{path} did not arrive within {timeout}s")


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path, Path]:
    if syncthing_available() is None:
        pytest.skip(SKIP_REASON)
    return tmp_path / "cloud", tmp_path / "local", tmp_path / "homes"


@pytest.fixture
def pair(dirs: tuple[Path, Path, Path]) -> Iterator[SyncPair]:
    with SyncPair(*dirs) as p:
        yield p


def test_loopback_only_options(pair: SyncPair) -> None:
    for inst in pair.instances:
        opts = inst.api("GET", "/rest/config/options")
        assert opts["listenAddresses"] == [inst.listen_address]
        assert not opts["globalAnnounceEnabled"]
        assert not opts["localAnnounceEnabled"]
        assert not opts["relaysEnabled"]
        assert not opts["natEnabled"]
        assert opts["urAccepted"] == -1
        folder = inst.api("GET", "/rest/config/folders/vault")
        assert folder["fsWatcherEnabled"] and folder["fsWatcherDelayS"] == 1
    assert (pair.cloud_dir / ".stfolder").is_dir()
    assert (pair.local_dir / ".stfolder").is_dir()


def test_new_file_propagates_both_ways(pair: SyncPair) -> None:
    latencies = []
    for i in range(3):
        src, dst = (
            (pair.cloud_dir, pair.local_dir) if i % 2 == 0 else (pair.local_dir, pair.cloud_dir)
        )
        name, content = f"note{i}.md", f"hello {i}\n"
        (src / name).write_text(content)
        latencies.append(_wait_for(dst / name, content, timeout=15))
    print("watcher-driven latency (s):", ", ".join(f"{x:.2f}" for x in latencies))


def test_claim_by_move_while_apart_keeps_both_copies(pair: SyncPair) -> None:
    a, b = pair.cloud_dir, pair.local_dir
    for sub in ("Needs_Action/email", "In_Progress/cloud-agent", "In_Progress/local-agent"):
        (a / sub).mkdir(parents=True)
        (a / sub / ".keep").write_text("")
    (a / "Needs_Action/email/t1.md").write_text("task 1\n")
    took = pair.wait_until_synced(timeout=20)
    print(f"initial sync: {took:.2f}s")
    assert (b / "Needs_Action/email/t1.md").read_text() == "task 1\n"

    pair.pause_all()
    (a / "Needs_Action/email/t1.md").rename(a / "In_Progress/cloud-agent/t1.md")
    (b / "Needs_Action/email/t1.md").rename(b / "In_Progress/local-agent/t1.md")
    time.sleep(2)  # let each side's watcher record its own move while apart
    reconnect = pair.resume_all()
    took = pair.wait_until_synced(timeout=30)
    print(f"reconnected after resume: {reconnect:.2f}s, then converged in {took:.2f}s")

    for side in (a, b):
        assert (side / "In_Progress/cloud-agent/t1.md").read_text() == "task 1\n"
        assert (side / "In_Progress/local-agent/t1.md").read_text() == "task 1\n"
        assert not (side / "Needs_Action/email/t1.md").exists()
        assert not list(side.rglob("*.sync-conflict-*"))


def test_stignore_keeps_env_file_local(dirs: tuple[Path, Path, Path]) -> None:
    cloud, local, homes = dirs
    for side in (cloud, local):  # .stignore is per device, never synced itself
        side.mkdir(parents=True)
        (side / ".stignore").write_text(".env\n")
    with SyncPair(cloud, local, homes) as pair:
        (cloud / ".env").write_text("SECRET=1\n")
        (cloud / "normal.md").write_text("visible\n")
        _wait_for(local / "normal.md", "visible\n", timeout=15)
        pair.wait_until_synced(timeout=20)
        assert not (local / ".env").exists()
        assert (cloud / ".env").read_text() == "SECRET=1\n"
