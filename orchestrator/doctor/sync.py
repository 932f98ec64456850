"""The sync, as this machine's Syncthing reports it over its REST API: a folder shares the
vault, the peer is connected, the folder is idle without errors, and the ignore patterns
Syncthing applies are the ones ``ai-employee vault init`` writes (decisions, instructions
and secrets stay on each machine).

Syncthing is found at ``SYNCTHING_GUI_URL`` with ``SYNCTHING_API_KEY``, or through the
``config.xml`` of ``SYNCTHING_HOME`` (by default ``~/.local/state/syncthing``, then
``~/.config/syncthing``). The peer is ``SYNCTHING_CLOUD_DEVICE_ID`` or
``SYNCTHING_LOCAL_DEVICE_ID`` (the other side's), else the folder's other device.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from fnmatch import fnmatchcase
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from orchestrator.doctor.checks import Check, Probe, fail, ok, skipped, warn
from orchestrator.doctor.setup import Setup
from orchestrator.syncthing_config import (
    SyncthingApplyError,
    SyncthingConfigError,
    gui_endpoint,
    parse_device_id,
)
from orchestrator.syncthing_rest import SyncthingRest, SyncthingRestError
from shared.sync_rules import STIGNORE_RULES

__all__ = ["probes", "required_ignores"]

AREA = "sync"
SYNCTHING, PEER, FOLDER, IGNORES = "Syncthing", "sync peer", "sync folder", "sync ignore patterns"
NAMES = (SYNCTHING, PEER, FOLDER, IGNORES)
BUSY = ("scanning", "scan-waiting", "syncing", "sync-waiting", "sync-preparing", "cleaning")


def probes(setup: Setup, timeout_s: float) -> list[Probe]:
    return [Probe(AREA, NAMES, lambda: check_sync(setup, timeout_s), "SYNCTHING_GUI_URL")]


def required_ignores() -> list[str]:
    """Every pattern of the ``.stignore`` that ``ai-employee vault init`` writes."""
    text = (resources.files("orchestrator") / "templates" / "stignore").read_text("utf-8")
    lines = (line.strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("//")]


class _NotFound(Exception):
    pass


def _homes(env: dict[str, str]) -> list[Path]:
    if env.get("SYNCTHING_HOME"):
        return [Path(env["SYNCTHING_HOME"]).expanduser()]
    home = Path(env.get("HOME") or Path.home())
    return [home / ".local/state/syncthing", home / ".config/syncthing"]


def _endpoint(env: dict[str, str]) -> tuple[str, str]:
    url, key = env.get("SYNCTHING_GUI_URL", "").strip(), env.get("SYNCTHING_API_KEY", "").strip()
    if url and key:
        return url, key
    for home in _homes(env):
        if (home / "config.xml").is_file():
            try:
                found_url, found_key = gui_endpoint(home)
            except (SyncthingApplyError, ET.ParseError, OSError) as error:
                raise _NotFound(f"{home}/config.xml cannot be read ({error})") from None
            return url or found_url.replace("0.0.0.0", "127.0.0.1"), key or found_key
    raise _NotFound(f"no Syncthing configuration in {' or '.join(map(str, _homes(env)))}")


def check_sync(setup: Setup, timeout_s: float) -> list[Check]:
    if setup.core is None:
        return skipped(AREA, NAMES, "not checked: the settings did not load")
    vault = setup.core.vault
    try:
        url, key = _endpoint(setup.env)
    except _NotFound as error:
        if (vault / ".git").exists():
            return skipped(AREA, NAMES, "the vault is a Git repository: Syncthing not checked")
        return [
            fail(
                AREA,
                SYNCTHING,
                f"Syncthing not found: {error}",
                "install and start Syncthing (deployment/local/README.md), or set "
                "SYNCTHING_HOME to its home folder (or SYNCTHING_GUI_URL and SYNCTHING_API_KEY)",
            ),
            *skipped(AREA, NAMES[1:], "not checked: Syncthing not found"),
        ]
    rest = SyncthingRest(url, key)
    try:
        return _with_rest(setup, rest, vault, timeout_s)
    except SyncthingRestError as error:
        return [
            fail(
                AREA,
                SYNCTHING,
                str(error),
                "start Syncthing (systemctl --user start syncthing, or syncthing@USER on the VM); "
                "a refused key: SYNCTHING_API_KEY or SYNCTHING_HOME names another Syncthing; "
                "one started with --gui-address elsewhere: set SYNCTHING_GUI_URL and "
                "SYNCTHING_API_KEY",
            ),
            *skipped(AREA, NAMES[1:], "not checked: Syncthing did not answer"),
        ]


def _get(rest: SyncthingRest, path: str, timeout_s: float) -> Any:
    return rest.call("GET", path, None, timeout_s)


def _with_rest(setup: Setup, rest: SyncthingRest, vault: Path, timeout_s: float) -> list[Check]:
    me = str(_get(rest, "/rest/system/status", timeout_s).get("myID", ""))
    version = str(_get(rest, "/rest/system/version", timeout_s).get("version", "?"))
    folders = _get(rest, "/rest/config/folders", timeout_s) or []
    folder = next((f for f in folders if _same_path(str(f.get("path", "")), vault)), None)
    if folder is None:
        shared = ", ".join(f"{f.get('id')} ({f.get('path')})" for f in folders) or "none"
        return [
            fail(
                AREA,
                SYNCTHING,
                f"Syncthing {version} at {rest.url} shares no folder at {vault} "
                f"(its folders: {shared})",
                f"ai-employee sync config {setup.role} --home <Syncthing home> "
                "(deployment/local/README.md)",
            ),
            *skipped(AREA, NAMES[1:], "not checked: no folder shares the vault"),
        ]
    folder_id = str(folder["id"])
    found = ok(AREA, SYNCTHING, f"Syncthing {version} at {rest.url}, folder {folder_id!r}")
    return [
        found,
        _peer(setup, rest, folder, me, timeout_s),
        _folder(rest, folder, timeout_s),
        _ignores(rest, folder_id, vault, timeout_s),
    ]


def _same_path(path: str, vault: Path) -> bool:
    try:
        return Path(os.path.expanduser(path)).resolve() == vault.resolve()
    except OSError:
        return False


def _expected_peer(setup: Setup) -> str:
    other = "LOCAL" if setup.role == "cloud" else "CLOUD"
    setting = f"SYNCTHING_{other}_DEVICE_ID"
    try:
        return parse_device_id(setup.env.get(setting, ""), setting)
    except SyncthingConfigError:
        return ""


def _peer(
    setup: Setup, rest: SyncthingRest, folder: dict[str, Any], me: str, timeout_s: float
) -> Check:
    devices = [str(d.get("deviceID")) for d in folder.get("devices", []) if d.get("deviceID")]
    others = [d for d in devices if d != me]
    expected = _expected_peer(setup)
    other_side = "laptop" if setup.role == "cloud" else "VM"
    if expected and expected not in others:
        return fail(
            AREA,
            PEER,
            f"the folder is not shared with the {other_side} ({expected[:7]}); it is shared "
            f"with {', '.join(d[:7] for d in others) or 'no other device'}",
            f"ai-employee sync config {setup.role} --home <Syncthing home>",
        )
    if not others:
        return fail(
            AREA,
            PEER,
            "the folder is shared with no other device",
            f"ai-employee sync config {setup.role} --home <Syncthing home>",
        )
    peer = expected or others[0]
    connections = _get(rest, "/rest/system/connections", timeout_s).get("connections", {})
    state = connections.get(peer) or {}
    if state.get("connected"):
        return ok(AREA, PEER, f"{other_side} {peer[:7]} connected from {state.get('address')}")
    if state.get("paused"):
        return fail(
            AREA,
            PEER,
            f"the {other_side} {peer[:7]} is paused in this Syncthing: nothing syncs",
            "resume it: Syncthing's GUI, Remote Devices, Resume (or POST /rest/system/resume)",
        )
    if setup.role == "cloud":
        return warn(
            AREA,
            PEER,
            f"the laptop {peer[:7]} is not connected (normal while it is closed or offline)",
            "if the laptop is on: its Syncthing must be running and reach this VM at "
            "SYNCTHING_CLOUD_ADDRESS (TCP port 22000 open in the VM's firewall)",
        )
    return fail(
        AREA,
        PEER,
        f"the VM {peer[:7]} is not connected: nothing syncs between the VM and this laptop",
        "check that the VM's Syncthing runs (syncthing@aie), that SYNCTHING_CLOUD_ADDRESS "
        "is the VM's address and TCP port 22000 is open there, and both device ids",
    )


def _folder(rest: SyncthingRest, folder: dict[str, Any], timeout_s: float) -> Check:
    folder_id = str(folder["id"])
    if folder.get("paused"):
        return fail(
            AREA, FOLDER, f"the folder {folder_id!r} is paused", "resume it in Syncthing's GUI"
        )
    status = _get(rest, f"/rest/db/status?folder={quote(folder_id)}", timeout_s)
    state = str(status.get("state", "?"))
    failed = int(status.get("errors") or 0) + int(status.get("pullErrors") or 0)
    if state == "error" or status.get("error"):
        return fail(
            AREA,
            FOLDER,
            f"the folder {folder_id!r} stopped: {status.get('error') or 'error'}",
            "Syncthing's GUI shows why; a missing .stfolder marker or a vault moved is common: "
            "put the vault back, or share it again with ai-employee sync config",
        )
    if failed:
        return fail(
            AREA,
            FOLDER,
            f"{failed} item(s) of {folder_id!r} could not be synced",
            f"see GET /rest/folder/errors?folder={folder_id} or the GUI (often permissions "
            "or a full disk)",
        )
    if state in BUSY:
        return warn(
            AREA, FOLDER, f"the folder is busy ({state})", "run the doctor again in a moment"
        )
    if state != "idle":
        return fail(AREA, FOLDER, f"the folder is {state}", "see Syncthing's GUI for why")
    return ok(AREA, FOLDER, f"idle, {status.get('localFiles', 0)} files, no errors")


def _ignores(rest: SyncthingRest, folder_id: str, vault: Path, timeout_s: float) -> Check:
    answer = _get(rest, f"/rest/db/ignores?folder={quote(folder_id)}", timeout_s)
    lines = [str(line).strip() for line in answer.get("ignore") or []]
    missing = [rule for rule in required_ignores() if rule not in lines]
    if answer.get("error"):
        missing.insert(0, f"(Syncthing: {answer['error']})")
    undone = _undone(lines)
    if undone and not missing:
        return fail(
            AREA,
            IGNORES,
            f"an exception comes first and wins (Syncthing applies the first match): "
            f"{'; '.join(undone)}: what the rule keeps on this machine would travel",
            f"remove the exception from {vault / '.stignore'}, or put it after the rule",
        )
    if missing:
        more = len(missing) - 8
        shown = ", ".join(missing[:8]) + (f" and {more} more" if more > 0 else "")
        return fail(
            AREA,
            IGNORES,
            f"Syncthing's ignore patterns for the vault lack {shown}: decisions, instructions "
            "or secrets could travel between the machines",
            f"ai-employee vault init {vault} (rewrites .stignore; Syncthing reads it at once)",
        )
    return ok(AREA, IGNORES, f"all {len(required_ignores())} patterns of vault init applied")


def _pattern(line: str) -> tuple[bool, str]:
    """(an exception?, the pattern) of an ignore line without its ``!``, ``(?d)``, ``(?i)``."""
    negated = False
    while True:
        if line.startswith("!"):
            negated, line = True, line[1:]
        elif line.startswith(("(?d)", "(?i)")):
            line = line[4:]
        else:
            return negated, line


def _undone(lines: list[str]) -> list[str]:
    """Exceptions (``!...``) placed before a rule that keeps decisions or instructions at
    home, and matching what it names: the first match wins, so the rule does nothing.
    (``.obsidian`` is left out: the template invites a person to share a setting so.)"""
    found = []
    for rule in STIGNORE_RULES:
        name = _pattern(rule)[1].strip("/")
        if rule not in lines or name == ".obsidian":
            continue
        for line in lines[: lines.index(rule)]:
            negated, pattern = _pattern(line)
            pattern = pattern.strip("/").removesuffix("/**")
            if negated and (fnmatchcase(name, pattern) or pattern.startswith(f"{name}/")):
                found.append(f"{line!r} before {rule!r}")
    return found
