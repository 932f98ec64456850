"""``ai-employee vault init``: the skeleton, the starter files, the ignore files, idempotent."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from shared.layout import Layout

BIN = Path(sys.executable).parent


def test_init_creates_skeleton_and_is_idempotent(tmp_path: Path) -> None:
    root = tmp_path / "Vault"
    first = subprocess.run(
        [str(BIN / "ai-employee"), "vault", "init", str(root)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert first.returncode == 0, first.stderr
    for folder in Layout(root).skeleton():
        assert (folder / ".keep").is_file(), folder
    handbook = root / "Company_Handbook.md"
    handbook.write_text(handbook.read_text() + "\nOur own rule.\n")
    second = subprocess.run(
        [str(BIN / "ai-employee"), "vault", "init", str(root)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode == 0
    assert "Our own rule." in handbook.read_text()  # a person's edit is never overwritten
    assert "0 created" in second.stdout


def test_ignore_files_keep_secrets_out(tmp_path: Path) -> None:
    from orchestrator.vault_init import init_vault

    init_vault(tmp_path / "V")
    stignore = (tmp_path / "V" / ".stignore").read_text()
    gitignore = (tmp_path / "V" / ".gitignore-sync").read_text()
    for pattern in (".env", "*.key", "*.pem", "*token*", "*.session", ".aie"):
        assert f"(?d){pattern}" in stignore, pattern
        assert pattern in gitignore, pattern
    assert stignore.index("!.env.example") < stignore.index("(?d).env")
