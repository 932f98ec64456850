"""No mail can stop the inbox: through mail_triage on a real Dovecot, a hostile subject
still makes a task, a mail that cannot become a normal task is quarantined and listed,
and a full disk leaves the mail untriaged (nothing half-written) for the next pass."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from mcp import Client

from orchestrator.vault_init import init_vault
from shared.ids import task_id_for
from tests.support.mail_fixtures import incoming
from tests.support.small_disk import fill, small_disk
from tests.support.tool_calls import error_text, ok

pytestmark = pytest.mark.anyio

HOSTILE = "=?utf-8?q?Hi=0D=0ABcc:_x?="


def _tasks(vault: Path) -> dict[str, str]:
    folder = vault / "Needs_Action" / "email"
    return {p.stem: p.read_text() for p in folder.glob("*.md")}


async def test_a_subject_that_decodes_to_a_line_break_still_makes_a_task(
    mail, email_servers, vault_path
) -> None:
    raw = (
        "From: Alice Client <client@example.test>\r\nTo: ops@example.test\r\n"
        f"Subject: {HOSTILE}\r\nMessage-ID: <h@x.test>\r\n\r\nHello\r\n"
    ).encode()
    mail.deliver("ops@example.test", raw)
    mail.deliver("ops@example.test", incoming(subject="Normal", message_id="<n@x.test>"))
    async with Client(email_servers("cloud")) as cloud:
        result = await ok(cloud, "mail_triage")
        again = await ok(cloud, "mail_triage")
    assert len(result["created"]) == 2 and result["problems"] == []
    assert again["scanned"] == 0 and again["created"] == []
    hostile = _tasks(vault_path)[task_id_for("email", "<h@x.test>")]
    assert "title: 'Reply to Alice Client: Hi Bcc: x'" in hostile
    assert "\nBcc:" not in hostile


async def test_a_mail_that_cannot_become_a_task_is_quarantined_and_the_rest_go_on(
    mail, email_servers, vault_path
) -> None:
    broken_id = task_id_for("email", "<broken@x.test>")
    # A person broke the task file this mail would be filed under.
    (vault_path / "Needs_Action" / "email" / f"{broken_id}.md").write_text("---\n: [\n---\n")
    mail.deliver("ops@example.test", incoming(subject="First", message_id="<broken@x.test>"))
    mail.deliver("ops@example.test", incoming(subject="Second", message_id="<fine@x.test>"))
    async with Client(email_servers("cloud")) as cloud:
        result = await ok(cloud, "mail_triage")
        again = await ok(cloud, "mail_triage")
    (problem,) = result["problems"]
    assert problem["uid"] == 1 and "VaultFileError" in problem["problem"]
    quarantine = _tasks(vault_path)[problem["quarantine_task"]]
    assert "quarantined:" in quarantine and "could not be triaged" in quarantine
    assert task_id_for("email", "<fine@x.test>") in result["created"]
    assert again["scanned"] == 0 and again["problems"] == []  # never retried forever


def _files(vault: Path) -> list[str]:
    """The vault's files, without the machine-local state dir (its empty lock files)."""
    return sorted(str(p) for p in vault.rglob("*") if ".aie" not in p.parts)


@pytest.mark.skipif(os.geteuid() != 0, reason="NOT RUN: mounting a small tmpfs needs root")
async def test_a_full_disk_loses_no_mail(mail, email_servers, tmp_path) -> None:
    with small_disk(tmp_path / "disk"):
        vault = tmp_path / "disk" / "Vault"
        init_vault(vault)
        mail.deliver("ops@example.test", incoming(subject="Full", message_id="<full@x.test>"))
        filler = fill(tmp_path / "disk")
        before = _files(vault)
        async with Client(email_servers("cloud", vault=vault)) as cloud:
            text = await error_text(cloud, "mail_triage")
            assert "No space left on device" in text and "stay untriaged" in text
            assert _files(vault) == before  # nothing half-written
            filler.unlink()
            result = await ok(cloud, "mail_triage")
        assert result["created"] == [task_id_for("email", "<full@x.test>")]
