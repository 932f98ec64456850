"""The demo's vault act runs end to end and leaves two identical, conflict-free replicas."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from orchestrator.demo import run_demo


def test_demo_vault_act(tmp_path: Path) -> None:
    console = Console(record=True, width=100)
    assert run_demo(console, tmp_path / "demo") == 0
    out = " ".join(console.export_text().split())
    assert "the earliest claim wins" in out
    assert "replicas identical after sync: True" in out
    for side in ("cloud", "local"):
        conflicts = tmp_path / "demo" / side / "Vault" / "Conflicts"
        names = sorted(p.name for p in conflicts.glob("*.md"))
        assert any(n.endswith("--in_progress-local-agent.md") for n in names)
        assert any(n.startswith("appr-") for n in names)
