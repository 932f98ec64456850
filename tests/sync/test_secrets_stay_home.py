"""Secrets never leave the machine they are on: not by Syncthing, not by Git.

The vaults come from ``init_vault`` (what ``ai-employee vault init`` writes), so these tests
hold the real ``.stignore`` and ``.gitignore-sync`` templates to their promise.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from devstack.syncpair import SyncPair, syncthing_available
from orchestrator.vault_init import init_vault

# Credentials, keys, tokens, sessions and machine-local state, at the root and deeper.
SECRETS = [
    ".env",
    ".env.local",
    ".env.production",
    "prod.env",
    "id_rsa",
    "id_ed25519",
    "id_ecdsa",
    "something.key",
    "server.pem",
    "client.p12",
    "putty.ppk",
    "token.json",
    "credentials.json",
    "client_secret_1234.apps.googleusercontent.com.json",
    "session.json",
    "whatsapp.session",
    "passwords.kdbx",
    ".netrc",
    ".pgpass",
    ".npmrc",
    "secrets/odoo.txt",
    ".ssh/config",
    ".aie/executions/appr-20261125-abc123.json",
    ".aie-tmp-Dashboard.md.1a2b3c4d",
    ".obsidian/workspace.json",
    ".obsidian/app.json",  # Obsidian's configuration stays on each device
    ".obsidian/plugins/evil/main.js",
    "Needs_Action/email/token.json",
    "Plans/email/.env",
    "Done/credentials.json",
    "Pending_Approval/email/smtp.key",
]
# Ordinary vault files that must sync (and the one .env file that is meant to be shared).
ORDINARY = [
    "Needs_Action/email/email-20261125093000-a1b2c3.md",
    "Plans/email/reply-plan.md",
    ".env.example",
]


def _plant(root: Path, names: list[str], content: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)


@pytest.mark.slow
def test_syncthing_carries_the_notes_and_none_of_the_secrets(tmp_path: Path) -> None:
    if syncthing_available() is None:
        pytest.skip(
            "!!! SYNCTHING NOT INSTALLED: secrets-stay-home was NOT tried on a real "
            "Syncthing (apt-get install syncthing) !!!"
        )
    cloud, local = tmp_path / "cloud" / "Vault", tmp_path / "local" / "Vault"
    for vault in (cloud, local):  # each machine runs `ai-employee vault init`
        init_vault(vault)
        assert (vault / ".stignore").is_file()
    with SyncPair(cloud, local, tmp_path / "homes") as pair:
        _plant(local, SECRETS, "laptop secret\n")
        _plant(cloud, [".env", "token.json"], "VM secret\n")  # same names, other side
        _plant(local, ORDINARY, "ordinary\n")
        last = cloud / ORDINARY[0]
        deadline = time.monotonic() + 20
        while not (last.is_file() and last.read_text() == "ordinary\n"):
            assert time.monotonic() < deadline, "the ordinary note never arrived"
            time.sleep(0.05)
        pair.wait_until_synced(timeout=20)

        for name in ORDINARY:
            assert (cloud / name).read_text() == "ordinary\n", name
        for name in (".env", "token.json"):  # each side keeps its own, untouched
            assert (cloud / name).read_text() == "VM secret\n"
            assert (local / name).read_text() == "laptop secret\n"
        leaked = [n for n in SECRETS if n not in (".env", "token.json") and (cloud / n).exists()]
        assert leaked == [], f"synced to the VM: {leaked}"
        # Not even announced: Syncthing's global index holds none of them.
        indexed = _global_names(pair)
        assert ORDINARY[0] in indexed
        assert not indexed & {*SECRETS, "secrets", ".ssh", ".aie"}
        assert not list(cloud.rglob("*.sync-conflict-*"))


def _global_names(pair: SyncPair) -> set[str]:
    """Every path in the folder's global index, as the VM's Syncthing knows it."""
    names: set[str] = set()

    def walk(prefix: str, entries: list[dict[str, Any]]) -> None:
        for entry in entries:  # 1.19.2: [{name, type, modTime, size, children?}]
            names.add(prefix + entry["name"])
            walk(f"{prefix}{entry['name']}/", entry.get("children", []))

    walk("", pair.cloud.global_tree())
    return names


def test_git_sync_ignores_the_same_secrets(tmp_path: Path) -> None:
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    vault = tmp_path / "Vault"
    init_vault(vault)
    _plant(vault, SECRETS + ORDINARY, "x\n")
    shutil.copy(vault / ".gitignore-sync", vault / ".gitignore")  # as the README says

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [git, "-C", str(vault), *args], input=stdin, capture_output=True, text=True
        )

    assert run("init", "-q").returncode == 0
    checked = run("check-ignore", "--stdin", stdin="\n".join(SECRETS + ORDINARY) + "\n")
    assert set(checked.stdout.split()) == set(SECRETS), checked.stderr
    assert run("add", "-A").returncode == 0
    tracked = set(run("ls-files").stdout.split())
    assert set(ORDINARY) <= tracked
    assert not tracked & set(SECRETS)
    assert not any(name.startswith((".aie/", "secrets/", ".ssh/")) for name in tracked)
    assert {"Dashboard.md", "Company_Handbook.md", ".gitignore"} <= tracked
