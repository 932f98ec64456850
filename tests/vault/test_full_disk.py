"""A full disk loses nothing: on a real 2 MB tmpfs that has run out of space, every vault
write (a task, an approval request, a heartbeat, an update, the Dashboard) is a tool error
that names the problem, and no file, temp file or half audit line is left behind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from mcp import Client

from orchestrator.vault_init import init_vault
from servers.vault_mcp.server import build_server
from tests.support.clock import FakeClock
from tests.support.small_disk import fill, small_disk
from tests.support.tool_calls import error_text, ok

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(os.geteuid() != 0, reason="NOT RUN: mounting a small tmpfs needs root"),
]


def _state(vault: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(vault)): p.read_bytes()
        for p in sorted(vault.rglob("*"))
        if p.is_file() and ".aie" not in p.parts
    }


CALLS = [
    ("task_create", {"domain": "email", "title": "New", "body": "text"}),
    (
        "approval_request",
        {"task_id": "", "action": "send_email", "params": {"to": ["a@x.test"]}, "summary": "S"},
    ),
    ("heartbeat", {"note": "alive"}),
    ("update_post", {"title": "Note", "body": "text"}),
    ("dashboard_refresh", {}),
]


@pytest.mark.parametrize(("tool", "args"), CALLS, ids=[c[0] for c in CALLS])
async def test_each_write_on_a_full_disk_is_a_clear_error(
    make_settings, tmp_path: Path, tool: str, args: dict
) -> None:
    with small_disk(tmp_path / "disk"):
        vault = tmp_path / "disk" / "Vault"
        init_vault(vault)
        server = build_server(make_settings("local", vault=vault), FakeClock())
        async with Client(server) as client:
            task = await ok(client, "task_create", domain="email", title="T", body="b")
            await ok(client, "task_claim", task_id=task["id"])
            if tool == "approval_request":
                args = args | {"task_id": task["id"]}
            filler = fill(tmp_path / "disk")
            before = _state(vault)
            text = await error_text(client, tool, **args)
            assert "No space left on device" in text and "retry" in text
            assert _state(vault) == before  # nothing half-written, the audit log unchanged
            filler.unlink()
            await ok(client, tool, **args)  # with room again, the same call works
