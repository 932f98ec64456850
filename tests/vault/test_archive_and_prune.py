"""Archiving Done/ by month keeps every lookup working; the execution ledger forgets
finished executions a month old, and keeps an unfinished one."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from orchestrator.vault_archive import archive_done
from servers.vault_mcp.service import VaultService
from shared.ledger import ExecutionLedger
from shared.settings import CoreSettings
from shared.vault import Vault


def _age(path: Path, days: float) -> None:
    old = path.stat().st_mtime - days * 86400
    os.utime(path, (old, old))


def test_archived_work_is_still_found(vault_path: Path, clock: Any) -> None:
    cloud = Vault(CoreSettings(role="cloud", vault=vault_path), clock)
    task, _ = cloud.tasks.create("email", "Old mail", "b", source_id="<old@example.test>")
    cloud.claims.claim(task.id)
    reply = {"from": "a@x.test", "to": ["b@x.test"], "subject": "s", "body": "b\n",
             "message_id": "<m@x.test>"}  # fmt: skip
    approval, _ = cloud.request_approval(task.id, "send_email", reply, "Reply", ("body",))
    (vault_path / approval.path).rename(vault_path / "Done" / f"{approval.id}.md")
    cloud.claims.complete(task.id, "sent", "executed")
    recent, _ = cloud.tasks.create("email", "New mail", "b", source_id="<new@example.test>")
    cloud.claims.claim(recent.id)
    cloud.claims.complete(recent.id, "done", "done")
    for name in (f"{task.id}.md", f"{approval.id}.md"):
        _age(vault_path / "Done" / name, 200)

    report = archive_done(vault_path, keep_months=3, now=clock())
    assert report.total == 2
    (month,) = report.moved
    assert (vault_path / "Done" / month / f"{task.id}.md").is_file()
    assert (vault_path / "Done" / f"{recent.id}.md").is_file()  # recent work stays

    service = VaultService(CoreSettings(role="local", vault=vault_path), clock)
    assert service.get_task(task.id).task.state == "done"
    again, created = cloud.tasks.create("email", "Old mail", "b", source_id="<old@example.test>")
    assert not created and again.id == task.id  # the same mail never gets a second task
    _, state = cloud.approvals.locate(approval.id)
    assert state == "executed"
    # a copy of the archived task back in the queue is still a duplicate: the archive wins
    (vault_path / "Needs_Action" / "email" / f"{task.id}.md").write_bytes(
        (vault_path / "Done" / month / f"{task.id}.md").read_bytes() + b"edited\n"
    )
    (resolved,) = service.resolve_conflicts().resolved
    assert resolved.winner == f"Done/{month}/{task.id}.md"


def test_the_ledger_forgets_what_finished_long_ago(tmp_path: Path, clock: Any) -> None:
    ledger = ExecutionLedger(tmp_path, clock)
    with ledger.run("appr-00000000000000a1", {"n": 1}) as entry:
        ledger.finish(entry, {"ok": True})
    with ledger.run("appr-00000000000000a2", {"n": 2}):
        pass  # started, never finished: kept for recovery
    (tmp_path / "witnessed").mkdir()
    clock.advance(days=31)
    assert ledger.prune(timedelta(days=30)) == 1
    assert ledger.get("appr-00000000000000a1") is None
    assert ledger.get("appr-00000000000000a2") is not None
    assert not (tmp_path / "witnessed").exists()
    assert json.loads((tmp_path / "executions" / "appr-00000000000000a2.json").read_text())
