"""Bad input gets a clear tool error that names the problem, and the vault stays as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp import Client

from servers.vault_mcp.server import build_server
from tests.support.tool_calls import error_text, ok, snapshot

pytestmark = pytest.mark.anyio

BAD_IDS = [
    "../etc/passwd",
    "email/../../x",
    "/etc/passwd",
    "email-abc\x00def",
    "Email-ABC",
    "email-" + "a" * 80,
    "",
    "..",
    "email-abc.md",
]


@pytest.mark.parametrize("bad", BAD_IDS)
@pytest.mark.parametrize("tool", ["task_get", "task_claim", "task_release", "task_complete"])
async def test_hostile_task_ids(make_settings, vault_path: Path, tool: str, bad: str) -> None:
    before = snapshot(vault_path)
    args = {"task_id": bad} | ({"summary": "x"} if tool == "task_complete" else {})
    async with Client(build_server(make_settings("local"))) as c:
        text = await error_text(c, tool, **args)
    assert "task_id" in text
    assert "not valid" in text or "at most" in text or "should" in text
    assert snapshot(vault_path) == before


async def test_unknown_task_says_so_and_what_to_do(make_settings, vault_path) -> None:
    before = snapshot(vault_path)
    async with Client(build_server(make_settings("local"))) as c:
        text = await error_text(c, "task_claim", task_id="email-000000000000")
    assert text == (
        "Error executing tool task_claim: no task 'email-000000000000' in the "
        "vault; call task_list to see task ids"
    )
    assert snapshot(vault_path) == before


async def test_unknown_domain(make_settings, vault_path) -> None:
    before = snapshot(vault_path)
    async with Client(build_server(make_settings("cloud"))) as c:
        text = await error_text(c, "task_create", domain="marketing", title="t", body="b")
    assert "domain" in text and "'email'" in text
    assert snapshot(vault_path) == before


async def test_ten_megabyte_body_is_refused(make_settings, vault_path) -> None:
    before = snapshot(vault_path)
    async with Client(build_server(make_settings("cloud"))) as c:
        text = await error_text(
            c, "task_create", domain="email", title="big", body="x" * 10_000_000
        )
    assert "body" in text and "1000000" in text
    assert snapshot(vault_path) == before


HOSTILE_YAML = [
    "---\n!!python/object/apply:os.system ['touch /tmp/pwned']\n---\nbody\n",
    "---\nid: !!python/object:builtins.dict {}\n---\n",
    "---\n- just\n- a list\n---\n",
    "---\ntitle: [unclosed\n---\n",
    "---\ntitle: ok\nno closing fence\n",
    "---\n&a [*a, *a]\n---\n",
]


@pytest.mark.parametrize("text", HOSTILE_YAML)
async def test_malformed_or_hostile_frontmatter(make_settings, vault_path, text: str) -> None:
    task = vault_path / "Needs_Action" / "email" / "email-0123456789ab.md"
    task.write_text(text)
    before = snapshot(vault_path)
    async with Client(build_server(make_settings("cloud"))) as c:
        for tool in ("task_get", "task_claim"):
            message = await error_text(c, tool, task_id="email-0123456789ab")
            assert "email-0123456789ab.md" in message
            assert "frontmatter" in message
        listed = await ok(c, "task_list")
        assert listed["tasks"] == []  # unreadable files are not offered as work
    assert snapshot(vault_path) == before
    assert not Path("/tmp/pwned").exists()


async def test_non_utf8_file(make_settings, vault_path) -> None:
    task = vault_path / "Needs_Action" / "email" / "email-0123456789ab.md"
    task.write_bytes(b"---\ntitle: caf\xe9\n---\n")
    before = snapshot(vault_path)
    async with Client(build_server(make_settings("cloud"))) as c:
        message = await error_text(c, "task_claim", task_id="email-0123456789ab")
        assert "not UTF-8" in message
        status = await ok(c, "vault_status")
        assert status["counts"]["needs_action"]["email"] == 1
    assert snapshot(vault_path) == before


async def test_sync_conflict_copy_is_never_a_task(make_settings, vault_path) -> None:
    folder = vault_path / "Needs_Action" / "email"
    (folder / "email-0123456789ab.sync-conflict-20261125-001456-NFDHW5M.md").write_text(
        "---\ntitle: copy\n---\n"
    )
    async with Client(build_server(make_settings("cloud"))) as c:
        assert (await ok(c, "task_list"))["tasks"] == []
        text = await error_text(c, "task_claim", task_id="email-0123456789ab")
        assert "no task" in text


async def test_deciding_an_expired_approval(make_settings, vault_path, clock) -> None:
    async with (
        Client(build_server(make_settings("cloud"), clock)) as cloud,
        Client(build_server(make_settings("local"), clock)) as local,
    ):
        made = await ok(cloud, "task_create", domain="email", title="T", body="b")
        await ok(cloud, "task_claim", task_id=made["id"])
        req = await ok(
            cloud,
            "approval_request",
            task_id=made["id"],
            action="send_email",
            params={"to": "a@example.test"},
            summary="Reply",
        )
        clock.advance(hours=73)
        before = snapshot(vault_path)
        text = await error_text(local, "approval_decide", approval_id=req["id"], decision="approve")
        assert "expired" in text and "fresh request" in text
        assert snapshot(vault_path) == before
        status = await ok(local, "vault_status")
        assert [a["id"] for a in status["expired_approvals"]] == [req["id"]]


@pytest.mark.parametrize("bad", ["../Approved/x", "appr-../../x", "task-123", "appr-ZZ"])
async def test_hostile_approval_ids(make_settings, vault_path, bad: str) -> None:
    before = snapshot(vault_path)
    async with Client(build_server(make_settings("local"))) as c:
        text = await error_text(c, "approval_decide", approval_id=bad, decision="approve")
    assert "approval_id" in text and "not valid" in text
    assert snapshot(vault_path) == before


async def test_approval_needs_a_claimed_task(make_settings, vault_path) -> None:
    async with Client(build_server(make_settings("cloud"))) as c:
        made = await ok(c, "task_create", domain="email", title="T", body="b")
        before = snapshot(vault_path)
        text = await error_text(
            c, "approval_request", task_id=made["id"], action="send_email", params={}, summary="x"
        )
        assert "claim it with task_claim" in text
        assert snapshot(vault_path) == before


async def test_cloud_service_refuses_local_only_steps(make_settings) -> None:
    """Defence in depth: the tool is not registered, and the service refuses as well."""
    from servers.vault_mcp.service import VaultService
    from shared.errors import RoleForbidden

    service = VaultService(make_settings("cloud"))
    with pytest.raises(RoleForbidden, match="only on the local machine"):
        service.decide("appr-0123456789abcdef", True, "", "0" * 16, "terminal")
    with pytest.raises(RoleForbidden, match="only on the local machine"):
        service.shown("appr-0123456789abcdef")
    with pytest.raises(RoleForbidden):
        service.refresh_dashboard()
