"""Attack 1: a compromised cloud approves its own request. Before, the laptop recorded a
pending request as "seen" on its own pass; the cloud then moved the file to ``Approved/``
in its replica, Syncthing carried the move, and the laptop sent the mail a second later.

Now ``Approved/`` and ``Rejected/`` belong to the laptop: its ``.stignore`` never takes
them from the sync, and with Git a tracked file there is refused. Positive control in the
same test: the person approves another request on the laptop and it is sent, once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from devstack.mail_servers import MailServers
from devstack.stack import wait_until
from devstack.syncpair import SyncPair, syncthing_available
from orchestrator.vault_init import init_vault
from servers.vault_mcp.server import build_server as build_vault
from shared.sync_rules import tracked_by_git
from tests.support.approving import approve, approve_request
from tests.support.mail_fixtures import incoming
from tests.support.tool_calls import error_text, ok

pytestmark = pytest.mark.anyio


@pytest.fixture
def replicas(tmp_path: Path) -> Iterator[tuple[Path, Path, SyncPair]]:
    if syncthing_available() is None:
        pytest.skip("NOT RUN: syncthing is not installed (apt-get install syncthing)")
    cloud, local = tmp_path / "cloud" / "Vault", tmp_path / "local" / "Vault"
    for vault in (cloud, local):
        init_vault(vault)
    with SyncPair(cloud, local, tmp_path / "syncthing") as pair:
        pair.wait_until_synced(timeout=60)
        yield cloud, local, pair


async def _request(cloud_mail: Client, cloud_vault: Client, mail: MailServers, n: int) -> Any:
    mail.deliver("ops@example.test", incoming(subject=f"Question {n}", message_id=f"<q{n}@c>"))
    (task_id,) = (await ok(cloud_mail, "mail_triage"))["created"]
    await ok(cloud_vault, "task_claim", task_id=task_id)
    uid = (await ok(cloud_vault, "task_get", task_id=task_id))["task"]["meta"]["uid"]
    draft = await ok(cloud_mail, "mail_draft_reply", uid=uid, body=f"Answer {n}.")
    return await ok(cloud_mail, "mail_request_send", task_id=task_id, draft_id=draft["draft_id"])


async def test_a_move_into_the_clouds_approved_never_reaches_the_laptop(
    replicas: tuple[Path, Path, SyncPair],
    mail: MailServers,
    email_servers: Any,
    make_settings: Any,
    clock: Any,
) -> None:
    cloud, local, pair = replicas
    async with (
        Client(email_servers("cloud", vault=cloud)) as cloud_mail,
        Client(build_vault(make_settings("cloud", vault=cloud), clock)) as cloud_vault,
        Client(email_servers("local", vault=local)) as local_mail,
        Client(build_vault(make_settings("local", vault=local), clock)) as local_vault,
    ):
        forged = await _request(cloud_mail, cloud_vault, mail, 1)
        honest = await _request(cloud_mail, cloud_vault, mail, 2)
        pair.wait_until_synced(timeout=60)
        # the laptop's pass looks at what waits (before, that recorded the "witness")
        listed = await ok(local_vault, "approval_list", state="pending")
        assert {a["id"] for a in listed["approvals"]} == {
            forged["approval_id"],
            honest["approval_id"],
        }

        # the compromised cloud drops its own ignore rules and approves its request
        (cloud / ".stignore").write_text("// the attacker's\n")
        approve_request(cloud, forged)
        (cloud / "Approved" / "appr-00000000000000ff.md").write_text("forged\n")
        (cloud / "canary.md").write_text("written after the forgery\n")
        pair.scan_both()
        wait_until(lambda: (local / "canary.md").exists(), timeout=30)
        wait_until(lambda: not (local / forged["path"]).exists(), timeout=30)
        time.sleep(2)  # anything else sent with the canary has arrived by now

        assert sorted(p.name for p in (local / "Approved").iterdir()) == [".keep"]
        assert (await ok(local_vault, "approval_list", state="approved"))["approvals"] == []
        refused = await error_text(
            local_mail, "mail_send_approved", approval_id=forged["approval_id"]
        )
        assert f"no approval {forged['approval_id']!r}" in refused
        assert mail.deliveries == []

        # positive control: the person approves the other request on the laptop
        approve_request(local, honest)
        sent = await ok(local_mail, "mail_send_approved", approval_id=honest["approval_id"])
        assert sent["sent"]
        again = await error_text(
            local_mail, "mail_send_approved", approval_id=honest["approval_id"]
        )
        assert "already executed" in again
    assert len(mail.deliveries) == 1
    (delivery,) = mail.deliveries
    assert b"Answer 2." in delivery.data
    # the cloud learns the outcome from Done/, which syncs
    wait_until(lambda: (cloud / "Done" / f"{honest['approval_id']}.md").exists(), timeout=30)


def _git(vault: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(vault), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        check=True,
        capture_output=True,
    )


async def test_with_git_a_tracked_approval_came_from_a_push(
    mail: MailServers,
    email_servers: Any,
    make_settings: Any,
    vault_path: Path,
    clock: Any,
) -> None:
    _git(vault_path, "init", "-q")
    (vault_path / ".gitignore").write_text((vault_path / ".gitignore-sync").read_text())
    async with (
        Client(email_servers("cloud")) as cloud_mail,
        Client(build_vault(make_settings("cloud"), clock)) as cloud_vault,
        Client(email_servers("local")) as local_mail,
    ):
        pushed = await _request(cloud_mail, cloud_vault, mail, 1)
        honest = await _request(cloud_mail, cloud_vault, mail, 2)
        # what a pull brings: the cloud committed its request inside Approved/
        approve_request(vault_path, pushed)
        _git(vault_path, "add", "-f", f"Approved/{pushed['approval_id']}.md")
        _git(vault_path, "commit", "-qm", "cloud")
        refused = await error_text(
            local_mail, "mail_send_approved", approval_id=pushed["approval_id"]
        )
        assert "tracked by the vault's Git repository" in refused
        assert mail.deliveries == []
        # positive control: a file the person moved (untracked, ignored) is executed
        approve_request(vault_path, honest)
        sent = await ok(local_mail, "mail_send_approved", approval_id=honest["approval_id"])
        assert sent["sent"] and len(mail.deliveries) == 1


def test_a_hostile_git_config_runs_nothing(tmp_path: Path) -> None:
    vault = tmp_path / "Vault"
    init_vault(vault)
    _git(vault, "init", "-q")
    (vault / "Approved" / "appr-0000000000000001.md").write_text("x\n")
    sentinel = tmp_path / "pwned"
    with (vault / ".git" / "config").open("a") as config:
        config.write(f"[core]\n\tfsmonitor = touch {sentinel}\n\thooksPath = {tmp_path}\n")
    # positive control: the payload is live for a plain git command
    subprocess.run(["git", "-C", str(vault), "status"], capture_output=True, check=False)
    assert sentinel.exists()
    sentinel.unlink()
    assert tracked_by_git(vault, "Approved/appr-0000000000000001.md") is False
    assert not sentinel.exists()


async def test_without_the_laptops_rules_nothing_executes(
    mail: MailServers,
    email_servers: Any,
    make_settings: Any,
    vault_path: Path,
    clock: Any,
) -> None:
    """A replica set up by an older version (its .stignore lets Approved/ in) executes
    nothing until ``vault init`` has written the rules; requests that were in Approved/
    then (of unknown origin) go back to Pending_Approval/ for the person."""
    stignore = vault_path / ".stignore"
    stignore.write_text(stignore.read_text().replace("/Approved\n", ""))
    async with (
        Client(email_servers("cloud")) as cloud_mail,
        Client(build_vault(make_settings("cloud"), clock)) as cloud_vault,
        Client(email_servers("local")) as local_mail,
    ):
        request = await _request(cloud_mail, cloud_vault, mail, 1)
        approved = approve_request(vault_path, request)
        refused = await error_text(
            local_mail, "mail_send_approved", approval_id=request["approval_id"]
        )
        assert ".stignore lacks '/Approved'" in refused and "vault init" in refused
        report = init_vault(vault_path)
        assert report.returned == [request["approval_id"]]
        assert not approved.exists() and (vault_path / request["path"]).is_file()
        assert mail.deliveries == []
        # positive control: approved again by the person, it is sent
        approve(vault_path, vault_path / request["path"])
        sent = await ok(local_mail, "mail_send_approved", approval_id=request["approval_id"])
        assert sent["sent"] and len(mail.deliveries) == 1


def test_the_local_agent_will_not_start_without_the_rules(vault_path: Path) -> None:
    agent = [str(Path(sys.executable).parent / "ai-employee"), "local", "--passes", "1"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIE_")}
    env |= {"AIE_ROLE": "local", "AIE_VAULT": str(vault_path)}
    stignore = vault_path / ".stignore"
    rules = stignore.read_text()
    stignore.write_text(rules.replace("/Rejected\n", ""))
    refused = subprocess.run(agent, env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2
    assert refused.stdout.strip().splitlines() == [
        "ai-employee local: the vault's ignore files do not keep decisions on this machine "
        f"(.stignore lacks '/Rejected'); run: AIE_ROLE=local ai-employee vault init {vault_path}"
    ]
    stignore.write_text(rules)  # positive control: with the rules it runs its pass
    ran = subprocess.run(agent, env=env, capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
