"""The settings, the state directory, and the vault's layout and permissions: each broken
one way, the doctor names the failing check and says how to fix it; nothing else fails
(what the same cause breaks too is named). The positive control is the healthy run
(test_doctor_healthy.py); where a fix is a command, it is run and the check passes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from orchestrator.vault_init import init_vault
from tests.support.doctor import doctor, failing, passing
from tests.support.doctor_stack import DoctorStack

pytestmark = pytest.mark.xdist_group("doctor")  # one dev stack (and one PM2) per run

LAYOUT, PERMISSIONS = "vault layout", "vault permissions"


def scratch_vault(tmp_path: Path) -> Path:
    """A vault of its own, not shared by Syncthing (so the 'Syncthing' check fails too):
    breaking it leaves the stack's synced replicas alone."""
    vault = tmp_path / "Vault"
    init_vault(vault)
    return vault


def test_a_missing_setting_is_named(doctor_stack: DoctorStack) -> None:
    env = doctor_stack.env("local", claude=False)
    del env["AIE_VAULT"]
    run = doctor(env)
    check = failing(
        run,
        "settings",
        fix="set each named setting in .env",
        detail="AIE_VAULT",
        also=("state directory", LAYOUT, PERMISSIONS),
    )
    assert "ai-employee vault init PATH" in check["fix"]
    assert run.check("state directory")["fix"] == "set AIE_VAULT first"
    assert run.check(LAYOUT)["fix"] == "fix the settings above first"
    # what does not need the vault is still checked
    passing(run, "IMAP login", "SMTP login", "Odoo login")


def test_an_invalid_setting_is_named_without_its_value(doctor_stack: DoctorStack) -> None:
    env = doctor_stack.env("local", claude=False) | {"AIE_IMAP_PORT": "99999"}
    run = doctor(env)
    failing(run, "settings", fix="set each named setting in .env", detail="AIE_IMAP_PORT")
    assert "99999" not in run.output
    assert run.check("IMAP login")["status"] == "skip"
    passing(run, "vault layout", "Odoo rights", "sync peer")


def test_a_state_directory_inside_the_vault(doctor_stack: DoctorStack) -> None:
    vault = doctor_stack.vault("local")
    env = doctor_stack.env("local", claude=False) | {"AIE_STATE_DIR": str(vault / "state")}
    run = doctor(env)
    check = failing(run, "state directory", fix="unset AIE_STATE_DIR", detail="inside the vault")
    assert "sign-in tokens" in check["detail"]
    passing(run, "settings")


def test_a_state_directory_inside_another_synced_folder(
    doctor_stack: DoctorStack, tmp_path: Path
) -> None:
    (tmp_path / "Sync" / ".stfolder").mkdir(parents=True)
    state = tmp_path / "Sync" / "aie-state"
    env = doctor_stack.env("local", claude=False) | {"AIE_STATE_DIR": str(state)}
    run = doctor(env)
    failing(
        run,
        "state directory",
        fix="point AIE_STATE_DIR at a folder no sync reaches",
        detail=f"inside the Syncthing folder {tmp_path / 'Sync'}",
    )


def test_a_vault_with_folders_and_files_missing(doctor_stack: DoctorStack, tmp_path: Path) -> None:
    vault = scratch_vault(tmp_path)
    shutil.rmtree(vault / "Needs_Action" / "email")
    (vault / "Dashboard.md").unlink()
    env = doctor_stack.env("local", claude=False) | {"AIE_VAULT": str(vault)}
    run = doctor(env)
    check = failing(
        run,
        LAYOUT,
        fix=f"ai-employee vault init {vault}",
        detail="missing: Needs_Action/email, Dashboard.md",
        also=("Syncthing",),
    )
    assert "a person's own files are kept" in check["fix"]
    init_vault(vault)  # the fix
    passing(doctor(env), LAYOUT, PERMISSIONS)


def test_a_stignore_that_lets_decisions_travel(doctor_stack: DoctorStack, tmp_path: Path) -> None:
    vault = scratch_vault(tmp_path)
    stignore = vault / ".stignore"
    kept = [
        line for line in stignore.read_text().splitlines() if line not in ("/Approved", "/Rejected")
    ]
    stignore.write_text("\n".join(kept) + "\n")
    env = doctor_stack.env("local", claude=False) | {"AIE_VAULT": str(vault)}
    run = doctor(env)
    failing(
        run,
        LAYOUT,
        fix=f"ai-employee vault init {vault}",
        detail=".stignore lacks '/Approved'; .stignore lacks '/Rejected'",
        also=("Syncthing",),
    )
    stignore.unlink()
    run = doctor(env)
    failing(run, LAYOUT, fix="vault init", detail=".stignore is missing", also=("Syncthing",))
    init_vault(vault)
    passing(doctor(env), LAYOUT)


def test_a_vault_folder_replaced_by_a_link(doctor_stack: DoctorStack, tmp_path: Path) -> None:
    vault = scratch_vault(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    (vault / "Done").rename(elsewhere)
    (vault / "Done").symlink_to(elsewhere, target_is_directory=True)
    env = doctor_stack.env("local", claude=False) | {"AIE_VAULT": str(vault)}
    run = doctor(env)
    failing(
        run,
        PERMISSIONS,
        fix="replace each link by a real folder",
        detail="not real folders (links or files): Done",
        also=("Syncthing",),
    )
    passing(run, LAYOUT)


def test_a_vault_folder_every_user_may_write(doctor_stack: DoctorStack, tmp_path: Path) -> None:
    vault = scratch_vault(tmp_path)
    approved = vault / "Approved"
    approved.chmod(0o777)
    env = doctor_stack.env("local", claude=False) | {"AIE_VAULT": str(vault)}
    run = doctor(env)
    failing(
        run,
        PERMISSIONS,
        fix=f"chmod -R u+rwX,o-w {vault}",
        detail="writable by every user of this machine: Approved",
        also=("Syncthing",),
    )
    os.chmod(approved, 0o755)
    passing(doctor(env), PERMISSIONS)
