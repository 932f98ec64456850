"""Issue 20's attacks: any file in the vault may be hostile (links, FIFOs, paths in the
frontmatter, YAML bombs, oversize text). Each test plants what succeeded before and keeps
a normal task beside it that must still be worked."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from servers.vault_mcp.server import build_server as build_vault
from tests.support.tool_calls import error_text, ok

pytestmark = pytest.mark.anyio
SECRET = "AIE_SMTP_PASSWORD=hunter2-do-not-leak\n"


def _digest_tree(root: Path) -> dict[str, str]:
    """Every file under ``root`` (links as their target text), by content."""
    found = {}
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = Path(folder) / name
            if path.is_symlink():
                found[str(path)] = "link:" + os.readlink(path)
            else:
                found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder outside the vault, as the laptop's home: a secret and an ordinary file."""
    home = tmp_path / "home"
    (home / ".claude" / "rules").mkdir(parents=True)
    (home / ".env").write_text(SECRET)
    (home / "notes.md").write_text("my own notes\n")
    return home


async def _normal_task(cloud: Client) -> str:
    made = await ok(cloud, "task_create", domain="email", title="Normal", body="b", source_id="n")
    return str(made["id"])


async def test_a_linked_task_is_never_read_moved_or_rewritten(
    make_settings: Any, vault_path: Path, outside: Path, clock: Any
) -> None:
    before = _digest_tree(outside)
    link = vault_path / "Needs_Action" / "email" / "email-0123456789ab.md"
    link.symlink_to(outside / ".env")
    async with (
        Client(build_vault(make_settings("cloud"), clock)) as cloud,
        Client(build_vault(make_settings("local"), clock)) as local,
    ):
        normal = await _normal_task(cloud)
        listed = await ok(local, "task_list", state="needs_action")
        assert [t["id"] for t in listed["tasks"]] == [normal]  # the link is not a task
        refused = await error_text(local, "task_claim", task_id="email-0123456789ab")
        assert "no task" in refused
        with pytest.raises(Exception, match="no task"):
            await local.read_resource("vault://task/email-0123456789ab")
        status = await ok(local, "vault_status")
        (reported,) = status["refused_files"]
        assert reported.startswith("Needs_Action/email/email-0123456789ab.md: a link to ")
        resolved = await ok(local, "conflicts_resolve")
        assert [r["kind"] for r in resolved["resolved"]] == ["refused_file"]
        claimed = await ok(local, "task_claim", task_id=normal)  # positive control
        assert claimed["claimed"]
        await ok(local, "dashboard_refresh")
    assert _digest_tree(outside) == before
    assert not os.path.lexists(link)
    parked = list((vault_path / "Conflicts").glob("*.refused"))
    assert len(parked) == 1 and parked[0].is_symlink()  # moved aside, never opened
    for path in vault_path.rglob("*"):
        if path.is_file() and not path.is_symlink():
            assert "hunter2" not in path.read_text("utf-8", "replace"), path


async def test_a_linked_archive_never_receives_a_file(
    make_settings: Any, vault_path: Path, outside: Path, clock: Any
) -> None:
    before = _digest_tree(outside)
    archive = vault_path / "Updates" / "Archive"
    for keep in archive.iterdir():
        keep.unlink()
    archive.rmdir()
    archive.symlink_to(outside, target_is_directory=True)
    async with (
        Client(build_vault(make_settings("cloud"), clock)) as cloud,
        Client(build_vault(make_settings("local"), clock)) as local,
    ):
        await ok(cloud, "update_post", title="notes", body="Overwrite the owner's notes")
        dashboard = await ok(local, "dashboard_refresh")
        assert dashboard["archived"] == []
        assert _digest_tree(outside) == before
        await ok(local, "conflicts_resolve")  # the link goes aside; the folder comes back
        again = await ok(local, "dashboard_refresh")
    assert len(again["archived"]) == 1 and not archive.is_symlink()
    assert _digest_tree(outside) == before


async def test_a_path_in_the_frontmatter_stays_a_word(
    make_settings: Any, vault_path: Path, outside: Path, clock: Any
) -> None:
    """A claimed task whose ``domain`` says ``../../home/.claude/rules``: releasing or
    failing it never writes there."""
    before = _digest_tree(outside)
    async with Client(build_vault(make_settings("local"), clock)) as local:
        for verb in ("task_release", "task_fail"):
            made = await ok(local, "task_create", domain="email", title="T", body="b")
            claimed = await ok(local, "task_claim", task_id=made["id"])
            path = vault_path / claimed["path"]
            hostile = os.path.relpath(outside / ".claude" / "rules", path.parent)
            text = path.read_text().replace("domain: email", f"domain: {hostile}")
            path.write_text(text)
            if verb == "task_release":
                refused = await error_text(local, verb, task_id=made["id"])
                assert "no known domain" in refused
            else:
                failed = await ok(local, verb, task_id=made["id"], reason="r", retry=True)
                assert failed["task"]["path"].startswith("Needs_Action/general/")
    assert _digest_tree(outside) == before


@pytest.mark.parametrize(
    "frontmatter",
    [
        # 525 bytes that expand a billion-fold through aliases
        "a: &a [x,x,x,x,x,x,x,x,x]\n"
        + "".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 9)}]\n"
            for i in range(8)
        ),
        "deep: " + "[" * 999 + "]" * 999 + "\n",
        "x: !!python/object/apply:os.system ['touch /tmp/pwned']\n",
        "status: !!binary aGVsbG8=\n",
    ],
    ids=["alias-bomb", "nesting-999", "python-tag", "binary-tag"],
)
async def test_hostile_yaml_costs_nothing_and_stops_nothing(
    make_settings: Any, vault_path: Path, clock: Any, frontmatter: str
) -> None:
    for folder in ("Pending_Approval/email", "Needs_Action/email"):
        bomb = (
            vault_path
            / folder
            / ("appr-00000000000000aa.md" if "Pending" in folder else "email-00000000aaaa.md")
        )
        bomb.write_text(f"---\n{frontmatter}---\nbody\n")
    async with (
        Client(build_vault(make_settings("cloud"), clock)) as cloud,
        Client(build_vault(make_settings("local"), clock)) as local,
    ):
        normal = await _normal_task(cloud)
        started = time.monotonic()
        with anyio.fail_after(20):
            for tool, args in (
                ("approval_list", {"state": "pending"}),
                ("task_list", {"state": "needs_action"}),
                ("vault_status", {}),
                ("dashboard_refresh", {}),
            ):
                await ok(local, tool, **args)
            text = await error_text(local, "task_get", task_id="email-00000000aaaa")
            assert "frontmatter" in text  # the problem, by name
            resolved = await ok(local, "conflicts_resolve")  # both go aside, with why
            kinds = [r["kind"] for r in resolved["resolved"]]
            assert kinds == ["unreadable_file", "unreadable_file"], resolved
            assert (await ok(local, "task_claim", task_id=normal))["claimed"]
        assert time.monotonic() - started < 10
    parked = sorted(p.name for p in (vault_path / "Conflicts").glob("*.unreadable"))
    assert parked == [
        "Needs_Action--email--email-00000000aaaa.md.unreadable",
        "Pending_Approval--email--appr-00000000000000aa.md.unreadable",
    ]


async def test_what_is_written_can_be_read_back(
    make_settings: Any, vault_path: Path, clock: Any
) -> None:
    """900k emoji are fewer than the character limit but 3.6 MB: refused, not written."""
    async with Client(build_vault(make_settings("cloud"), clock)) as cloud:
        text = await error_text(
            cloud, "task_create", domain="general", title="Big", body="😀" * 900_000
        )
        assert "over the 2 MB a vault file may have; nothing was written" in text
        made = await ok(cloud, "task_create", domain="general", title="Fine", body="😀" * 1000)
        assert (await ok(cloud, "task_get", task_id=made["id"]))["task"]["body"].count("😀") == 1000
    assert len(list((vault_path / "Needs_Action" / "general").glob("*.md"))) == 1


async def test_a_fifo_never_stalls_a_pass(make_settings: Any, vault_path: Path, clock: Any) -> None:
    os.mkfifo(vault_path / "Needs_Action" / "email" / "email-00000000ffff.md")
    os.mkfifo(vault_path / "Pending_Approval" / "email" / "appr-00000000000000ff.md")
    os.mkfifo(vault_path / "Dashboard.md.tmp")
    async with (
        Client(build_vault(make_settings("cloud"), clock)) as cloud,
        Client(build_vault(make_settings("local"), clock)) as local,
    ):
        normal = await _normal_task(cloud)
        with anyio.fail_after(20):
            await ok(local, "approval_list")
            await ok(local, "task_list")
            status = await ok(local, "vault_status")
            assert sum(": a FIFO" in line for line in status["refused_files"]) == 3
            await ok(local, "conflicts_resolve")
            await ok(local, "dashboard_refresh")
            assert (await ok(local, "task_claim", task_id=normal))["claimed"]
    assert len(list((vault_path / "Conflicts").glob("*.refused"))) == 3
