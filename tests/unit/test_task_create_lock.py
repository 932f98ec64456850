"""Two processes on one machine (the inbox watcher and the cloud agent) creating the task
for the same mail: the look-then-write of one never interleaves with the other's, so a
task claimed in between is not created a second time."""

from __future__ import annotations

import threading
from pathlib import Path

from shared.settings import CoreSettings
from shared.vault import Vault


def test_creates_of_one_source_never_interleave(vault_path: Path) -> None:
    watcher = Vault(CoreSettings(role="cloud", vault=vault_path, agent="watcher"))
    agent = Vault(CoreSettings(role="cloud", vault=vault_path, agent="cloud-agent"))
    looked, go_on = threading.Event(), threading.Event()
    real_locations = watcher.tasks.locations

    def slow_locations(task_id: str):  # type: ignore[no-untyped-def]
        found = real_locations(task_id)
        looked.set()
        go_on.wait(5)
        return found

    watcher.tasks.locations = slow_locations  # type: ignore[method-assign]
    results: dict[str, bool] = {}
    first = threading.Thread(
        target=lambda: results.update(w=watcher.tasks.create("email", "Hi", "b", "<m1>")[1])
    )
    first.start()
    assert looked.wait(5)
    second = threading.Thread(
        target=lambda: results.update(a=agent.tasks.create("email", "Hi", "b", "<m1>")[1])
    )
    second.start()
    second.join(0.3)
    assert second.is_alive(), "the second create did not wait for the first"
    go_on.set()
    first.join(5)
    second.join(5)
    assert results == {"w": True, "a": False}
    task_id = watcher.tasks.locate(
        next(iter(p.stem for p in (vault_path / "Needs_Action" / "email").glob("*.md")))
    ).path.stem
    agent.claims.claim(task_id)
    assert agent.tasks.create("email", "Hi", "b", "<m1>")[1] is False
    assert len(agent.tasks.locations(task_id)) == 1
