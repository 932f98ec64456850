"""``ai-employee demo`` is the Platinum gate: it runs US1, US2 and US3 for real (Syncthing,
Dovecot + SMTP, the Odoo stand-in, both agents as processes) and leaves two replicas that
agree, hold no secret, and show each story's outcome."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rich.console import Console

from devstack.demo import run_demo
from devstack.syncpair import require_syncthing
from tests.support.mail_fixtures import ensure_dovecot

pytestmark = pytest.mark.clock


SECRETS = ("ops-pw", "client-pw", "acme-admin-api-key", "acme-drafter-api-key")


@pytest.mark.slow
def test_the_demo_runs_the_platinum_gate(tmp_path: Path) -> None:
    ensure_dovecot()
    require_syncthing()
    console = Console(record=True, width=120)
    assert run_demo(console, tmp_path / "demo") == 0
    out = " ".join(console.export_text().split())
    assert "replies in Alice's inbox: 1 (exactly once)" in out
    assert re.search(r"posted in Odoo as INV/\d{4}/00001", out)
    assert "duplicates left: none" in out
    assert "Syncthing is not installed" not in out

    cloud, local = tmp_path / "demo" / "cloud" / "Vault", tmp_path / "demo" / "local" / "Vault"
    for vault in (cloud, local):
        done = {p.name.split("-")[0] for p in (vault / "Done").glob("*.md")}
        assert {"email", "accounting", "appr"} <= done, f"{vault}: {done}"
        conflicts = sorted(p.name for p in (vault / "Conflicts").glob("*.md"))
        assert any(n.endswith("--in_progress-local-agent.md") for n in conflicts), conflicts

    # No secret value anywhere in either replica (state dirs included) or in the agents' logs.
    for root in (cloud, local, tmp_path / "demo" / "logs"):
        for path in root.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                for secret in SECRETS:
                    assert secret.encode() not in data, f"{secret} found in {path}"
