"""The machine's state lives outside the vault: one folder per replica in the XDG state
home, and an older version's ``<vault>/.aie`` moved there once, ledger included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestrator.vault_init import init_vault
from shared.settings import CoreSettings
from shared.state_dir import default_state_dir, migrate_legacy


def test_one_folder_per_replica_outside_the_vault(tmp_path: Path) -> None:
    a, b = tmp_path / "cloud" / "Vault", tmp_path / "local" / "Vault"
    env = {"XDG_STATE_HOME": str(tmp_path / "state")}
    assert default_state_dir(a, env) != default_state_dir(b, env)
    assert default_state_dir(a, env).parent == tmp_path / "state" / "ai-employee"
    assert default_state_dir(a, env).name.startswith("Vault-")
    home = {"HOME": str(tmp_path / "home")}
    assert default_state_dir(a, home).parent == tmp_path / "home" / ".local/state/ai-employee"


def test_an_old_state_folder_is_moved_once_with_its_ledger(tmp_path: Path) -> None:
    vault = tmp_path / "Vault"
    init_vault(vault)
    ledger = vault / ".aie" / "executions" / "appr-0000000000000001.json"
    ledger.parent.mkdir(parents=True)
    ledger.write_text(json.dumps({"status": "done"}))
    settings = CoreSettings(role="local", vault=vault)
    moved = settings.state_path / "executions" / ledger.name
    assert json.loads(moved.read_text()) == {"status": "done"}
    assert not (vault / ".aie").exists()
    assert not moved.is_relative_to(vault)
    assert migrate_legacy(vault, settings.state_path) is False  # once


def test_a_link_is_never_taken_for_the_old_state(tmp_path: Path) -> None:
    vault = tmp_path / "Vault"
    init_vault(vault)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (vault / ".aie").symlink_to(elsewhere, target_is_directory=True)
    assert migrate_legacy(vault, tmp_path / "state") is False
    assert not (tmp_path / "state").exists()


def test_state_inside_the_vault_is_refused(tmp_path: Path) -> None:
    vault = tmp_path / "Vault"
    init_vault(vault)
    with pytest.raises(ValueError, match="must be outside the vault"):
        CoreSettings(role="local", vault=vault, state_dir=vault / "state")
