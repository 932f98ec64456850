"""Every odd mail of the corpus (tests/email/corpus, plus a 30 MB mail and a 60-deep
multipart built in memory) delivered into a real Dovecot, then one triage pass: each
becomes exactly one task with a one-line title, automated mail is marked, the normal
mail behind them all still becomes a task, and a second pass finds nothing to redo."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from devstack.mail_servers import MailServers
from orchestrator.vault_init import init_vault
from servers.email_mcp.models import TriageResult
from servers.email_mcp.service import EmailService
from servers.email_mcp.triage import triage
from shared.settings import CoreSettings
from shared.vault_files import read_doc
from tests.support.clock import FakeClock
from tests.support.mail_fixtures import ensure_dovecot, imap_settings, incoming
from tests.support.odd_mail import corpus, deep_multipart, huge_mail

CASES = corpus()
GENERATED = [
    ("huge_30mb.eml", huge_mail(), {"automated": False}),
    ("deep_multipart_60.eml", deep_multipart(60), {"automated": False}),
]
NORMAL = incoming(subject="After the storm", message_id="<normal-after@client.example.test>")
ALL = [*CASES, *GENERATED, ("normal_after.eml", NORMAL, {"automated": False})]


@dataclass
class Triaged:
    first: TriageResult
    second: TriageResult
    tasks_by_uid: dict[int, list[dict[str, Any]]]
    vault: Path


@pytest.fixture(scope="module")
def triaged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Triaged]:
    ensure_dovecot()
    vault = tmp_path_factory.mktemp("corpus") / "Vault"
    init_vault(vault)
    with MailServers() as mail:
        for _, raw, _ in ALL:
            mail.deliver("ops@example.test", raw)
        service = EmailService(
            CoreSettings(role="cloud", vault=vault), imap_settings(mail), None, FakeClock()
        )

        async def two_passes() -> tuple[TriageResult, TriageResult]:
            try:
                return await triage(service), await triage(service)
            finally:
                await service.close()

        first, second = asyncio.run(two_passes())
    by_uid: dict[int, list[dict[str, Any]]] = {}
    for path in sorted((vault / "Needs_Action" / "email").glob("*.md")):
        meta = read_doc(path).meta
        by_uid.setdefault(int(meta["uid"]), []).append(meta)
    yield Triaged(first, second, by_uid, vault)


@pytest.mark.parametrize(("uid", "case"), list(enumerate(ALL, start=1)), ids=[c[0] for c in ALL])
def test_each_odd_mail_becomes_one_task(triaged: Triaged, uid: int, case: Any) -> None:
    name, _, expected = case
    tasks = triaged.tasks_by_uid.get(uid, [])
    assert len(tasks) == 1, f"{name}: {len(tasks)} tasks"
    (meta,) = tasks
    title = str(meta["title"])
    assert 1 <= len(title) <= 200 and title == title.strip()
    assert not any(c in title for c in "\r\n\0\x1b\x07\t"), repr(title)
    assert "quarantined" not in meta, f"{name} quarantined: {meta.get('quarantined')}"
    assert bool(meta.get("automated")) == expected["automated"], (name, meta.get("automated"))


def test_one_pass_files_everything_and_the_next_finds_nothing(triaged: Triaged) -> None:
    first, second = triaged.first, triaged.second
    assert first.scanned == len(ALL) and first.remaining == 0
    assert len(first.created) == len(ALL)  # the duplicated Message-ID included
    assert first.problems == []
    assert second.scanned == 0 and second.created == [] and second.problems == []
    automated = sum(1 for _, _, c in ALL if c["automated"])
    assert len(first.automated) == automated


def test_a_path_shaped_message_id_stays_inside_the_vault(triaged: Triaged) -> None:
    files = [p for p in triaged.vault.rglob("*") if p.is_file()]
    assert all(p.resolve().is_relative_to(triaged.vault.resolve()) for p in files)
    assert not any("passwd" in p.name or "shadow" in p.name for p in files)
