"""The settings, the state directory, and the vault's layout and permissions."""

from __future__ import annotations

import os
import pwd
import stat
from pathlib import Path

from orchestrator.doctor.checks import Check, Probe, fail, ok, warn
from orchestrator.doctor.setup import Setup
from shared.layout import DASHBOARD, HANDBOOK, Layout
from shared.state_dir import default_state_dir, inside
from shared.sync_rules import missing_rules

__all__ = ["probes"]

AREA_SETTINGS, AREA_VAULT = "settings", "vault"
SETTINGS, STATE = "settings", "state directory"
LAYOUT, PERMISSIONS = "vault layout", "vault permissions"
_SECTIONS = ("core", "mail", "odoo")


def probes(setup: Setup) -> list[Probe]:
    return [
        Probe(AREA_SETTINGS, (SETTINGS, STATE), lambda: [settings(setup), state_dir(setup)]),
        Probe(AREA_VAULT, (LAYOUT, PERMISSIONS), lambda: vault(setup)),
    ]


def settings(setup: Setup) -> Check:
    lines = [line for section in _SECTIONS for line in setup.problems.get(section, [])]
    if lines:
        return fail(
            AREA_SETTINGS,
            SETTINGS,
            "; ".join(lines),
            "set each named setting in .env (see .env.example) or the environment; "
            "a vault is made with: ai-employee vault init PATH",
        )
    core = setup.core
    assert core is not None
    services = [
        name
        for name, present in (
            ("IMAP", setup.imap),
            ("SMTP", setup.smtp),
            ("Odoo", setup.odoo),
        )
        if present is not None
    ]
    return ok(
        AREA_SETTINGS,
        SETTINGS,
        f"role {core.role}, agent {core.agent}, vault {core.vault}; "
        f"{', '.join(services) or 'no services'} configured",
    )


def state_dir(setup: Setup) -> Check:
    if not setup.raw_vault:
        return fail(AREA_SETTINGS, STATE, "AIE_VAULT is not set", "set AIE_VAULT first")
    vault = Path(setup.raw_vault).expanduser()
    chosen = Path(setup.raw_state_dir).expanduser() if setup.raw_state_dir else None
    state = chosen or default_state_dir(vault)
    if inside(state, vault):
        return fail(
            AREA_SETTINGS,
            STATE,
            f"the state directory {state} is inside the vault {vault.resolve()}: every device "
            "that shares the vault can write the execution ledger and the sign-in tokens there",
            "unset AIE_STATE_DIR (the default is ~/.local/state/ai-employee/...) or point it "
            "outside the vault, and move what it holds there",
        )
    synced = _synced_folder(state)
    if synced is not None:
        return fail(
            AREA_SETTINGS,
            STATE,
            f"the state directory {state} is inside the Syncthing folder {synced}",
            "point AIE_STATE_DIR at a folder no sync reaches (or unset it for the default)",
        )
    if state.exists() and not os.access(state, os.W_OK | os.X_OK):
        return fail(
            AREA_SETTINGS,
            STATE,
            f"the state directory {state} is not writable by {_me()}",
            f"chown -R {_me()} {state}",
        )
    where = "as set in AIE_STATE_DIR" if chosen else "the default"
    return ok(AREA_SETTINGS, STATE, f"{state} ({where}), outside the vault")


def _synced_folder(path: Path) -> Path | None:
    resolved = path.expanduser().resolve()
    for folder in (resolved, *resolved.parents):
        if (folder / ".stfolder").exists():
            return folder
    return None


def _me() -> str:
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return str(os.geteuid())


def vault(setup: Setup) -> list[Check]:
    if setup.core is None:
        return [
            fail(
                AREA_VAULT,
                name,
                "the vault cannot be checked: the settings did not load",
                "fix the settings above first",
            )
            for name in (LAYOUT, PERMISSIONS)
        ]
    root = setup.core.vault
    return [_layout(root), _permissions(root)]


def _layout(root: Path) -> Check:
    folders = Layout(root).skeleton()
    missing = [p.relative_to(root).as_posix() for p in folders if not p.is_dir()]
    missing += [name for name in (DASHBOARD, HANDBOOK) if not (root / name).is_file()]
    problems = [f"missing: {', '.join(missing)}"] if missing else []
    problems += missing_rules(root)
    if problems:
        return fail(
            AREA_VAULT,
            LAYOUT,
            "; ".join(problems),
            f"ai-employee vault init {root} (creates what is missing and rewrites the ignore "
            "files; a person's own files are kept)",
        )
    return ok(AREA_VAULT, LAYOUT, f"{len(folders)} folders, {DASHBOARD}, {HANDBOOK}, .stignore")


def _permissions(root: Path) -> Check:
    me = _me()
    linked, unwritable, open_to_all = [], [], []
    for path in [root, *Layout(root).skeleton()]:
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            continue  # a missing folder is the layout check's
        name = path.relative_to(root).as_posix() if path != root else "the vault"
        if stat.S_ISLNK(mode) or not stat.S_ISDIR(mode):
            linked.append(name)
        elif not os.access(path, os.R_OK | os.W_OK | os.X_OK):
            unwritable.append(name)
        elif mode & stat.S_IWOTH:
            open_to_all.append(name)
    problems = []
    if linked:
        problems.append(f"not real folders (links or files): {', '.join(linked)}")
    if unwritable:
        problems.append(f"not writable by {me}: {', '.join(unwritable)}")
    if open_to_all:
        problems.append(f"writable by every user of this machine: {', '.join(open_to_all)}")
    if problems:
        fix = f"chown -R {me} {root} && chmod -R u+rwX,o-w {root}"
        if linked:
            fix = f"replace each link by a real folder (the agents never follow one), then {fix}"
        return fail(AREA_VAULT, PERMISSIONS, "; ".join(problems), fix)
    if _owner(root) != os.geteuid():
        return warn(
            AREA_VAULT,
            PERMISSIONS,
            f"the vault belongs to {_owner_name(root)}, the agents run as {me}",
            f"run the agents as the vault's owner, or chown -R {me} {root}",
        )
    return ok(AREA_VAULT, PERMISSIONS, f"real folders, writable by {me}, not by every user")


def _owner(path: Path) -> int:
    return os.stat(path).st_uid


def _owner_name(path: Path) -> str:
    try:
        return pwd.getpwuid(_owner(path)).pw_name
    except KeyError:
        return str(_owner(path))
