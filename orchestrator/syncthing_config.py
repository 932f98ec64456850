"""Syncthing configuration for the user's two devices: the cloud VM and the laptop.

``plan(side, ...)`` validates the inputs (device ids with Syncthing's Luhn-base32 check
characters, the cloud address, the folder id) and returns a :class:`SyncthingPlan`: the
REST calls that configure one side's running Syncthing, also rendered as a shell script.
``apply(plan, api_url, api_key)`` performs the calls. ``plan_from_env`` reads the
``SYNCTHING_*`` settings of ``.env.example``; every error names the setting at fault.

The laptop dials the VM at ``SYNCTHING_CLOUD_ADDRESS``; the VM only accepts (the laptop's
address is ``dynamic`` and, with discovery off, never looked up). Discovery and relays are
off unless ``global_discovery``; NAT traversal, usage and crash reporting are off; neither
device auto-accepts folders. The folder keeps 5 old versions of each file (simple
versioning, in ``.stversions``) so that a bad edit can be recovered.
"""

from __future__ import annotations

import json
import re
import shlex
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from orchestrator.syncthing_rest import SyncthingRest, SyncthingRestError

__all__ = [
    "ApiCall",
    "SyncthingApplyError",
    "SyncthingConfigError",
    "SyncthingPlan",
    "apply",
    "gui_endpoint",
    "parse_device_id",
    "plan",
    "plan_from_env",
]

Side = Literal["cloud", "local"]

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_EXAMPLE_ID = "MFZWI3D-BONSGYC-YLTMRWG-C43ENR5-QXGZDMM-FZWI3DP-BONSGYY-LTMRWAD"
_SCHEMES = {"tcp", "tcp4", "tcp6", "quic", "quic4", "quic6", "relay"}
_FOLDER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


_SCRIPT = """#!/bin/sh
# Syncthing for the AI Employee vault, {side} side (this device: {me}).
# Usage: STKEY=<API key: Actions > Settings > GUI> sh this-file [GUI URL]
set -eu
GUI="${{1:-http://127.0.0.1:8384}}"
: "${{STKEY:?set STKEY to the API key of this Syncthing (Settings > GUI)}}"
api() {{
  curl -fsS --noproxy '*' -X "$1" -H "X-API-Key: $STKEY" \\
    -H 'Content-Type: application/json' --data-binary "$3" "$GUI$2" >/dev/null
}}
curl -fsS --noproxy '*' -H "X-API-Key: $STKEY" "$GUI/rest/system/status" | grep -q {me} || {{
  echo "this Syncthing is not {me} ({side} side); nothing changed" >&2
  exit 1
}}
{calls}echo "Syncthing configured for the {side} side"
"""


class SyncthingConfigError(ValueError):
    """An input of the plan is invalid; ``setting`` is the environment variable at fault."""

    def __init__(self, setting: str, problem: str) -> None:
        self.setting = setting
        super().__init__(f"{setting}: {problem}")


class SyncthingApplyError(RuntimeError):
    """The running Syncthing refused the configuration, or is not the expected device."""


class ApiCall(BaseModel):
    """One call to Syncthing's REST API (``X-API-Key`` header, JSON body)."""

    model_config = ConfigDict(frozen=True)
    method: Literal["GET", "POST", "PUT", "PATCH"]
    path: str
    body: dict[str, Any]


class SyncthingPlan(BaseModel):
    """What to configure on one side's Syncthing, as REST calls."""

    model_config = ConfigDict(frozen=True)
    side: Side
    self_device_id: str
    peer_device_id: str
    folder_id: str
    vault_path: str
    calls: tuple[ApiCall, ...]

    def shell_script(self) -> str:
        """A POSIX sh script making the same calls with curl, checking the device first.

        Not ``syncthing cli config ... add-json``: in 1.19 that skips the folder defaults
        (it leaves ``maxConflicts`` 0, so conflicting edits would keep no conflict copy,
        and ``rescanIntervalS`` 0) and fails on a folder that already exists.
        """
        calls = "".join(
            f"api {c.method} {shlex.quote(c.path)} "
            f"{shlex.quote(json.dumps(c.body, separators=(',', ':')))}\n"
            for c in self.calls
        )
        return _SCRIPT.format(side=self.side, me=self.self_device_id, calls=calls)


def _luhn32(group: str) -> str:
    """Syncthing's check character (lib/protocol/luhn.go; factors 1,2,1,... from the left)."""
    factor, total = 1, 0
    for char in group:
        addend = factor * _ALPHABET.index(char)
        factor = 1 if factor == 2 else 2
        total += addend // 32 + addend % 32
    return _ALPHABET[(32 - total % 32) % 32]


def parse_device_id(value: str, setting: str = "device id") -> str:
    """The canonical form of a Syncthing device id; SyncthingConfigError if it is not one.

    Accepts what Syncthing accepts: any case, dashes or spaces anywhere, 0/1/8 typed for
    O/I/B, and the old 52-character form without check characters.
    """
    raw = value.strip().strip("=").upper()
    if not raw:
        raise SyncthingConfigError(
            setting, f"missing; run `syncthing --device-id` (e.g. {_EXAMPLE_ID})"
        )
    compact = raw.replace("-", "").replace(" ", "").translate(str.maketrans("018", "OIB"))
    bad = sorted(set(compact) - set(_ALPHABET))
    if bad:
        raise SyncthingConfigError(
            setting,
            f"{value.strip()!r} is not a Syncthing device id: it contains {''.join(bad)!r}; "
            f"ids are 8 groups of 7 letters A-Z and digits 2-7, e.g. {_EXAMPLE_ID}",
        )
    if len(compact) == 52:
        compact = "".join(g + _luhn32(g) for g in re.findall(".{13}", compact))
    if len(compact) != 56:
        raise SyncthingConfigError(
            setting,
            f"{value.strip()!r} is not a Syncthing device id: {len(compact)} characters "
            f"instead of 56 (8 groups of 7, e.g. {_EXAMPLE_ID})",
        )
    for n, chunk in enumerate(re.findall(".{14}", compact)):
        if _luhn32(chunk[:13]) != chunk[13]:
            raise SyncthingConfigError(
                setting,
                f"{value.strip()!r} fails Syncthing's check in groups {2 * n + 1}-{2 * n + 2} "
                "(a typo?); copy the id again from `syncthing --device-id` on that machine",
            )
    return "-".join(re.findall(".{7}", compact))


def _check_address(address: str) -> str:
    setting = "SYNCTHING_CLOUD_ADDRESS"
    scheme, sep, rest = address.strip().partition("://")
    host = rest.split("/", 1)[0]
    if not sep or scheme not in _SCHEMES or not host or host.startswith(":"):
        raise SyncthingConfigError(
            setting,
            f"{address!r} is not an address the laptop can dial; "
            "write it as tcp://HOST:22000 (the VM's public name or IP and sync port)",
        )
    return address.strip()


def plan(
    side: Side,
    cloud_device_id: str,
    local_device_id: str,
    vault_path: str | Path,
    cloud_address: str | None = None,
    folder_id: str = "aie-vault",
    watch_delay_s: int = 2,
    global_discovery: bool = False,
    listen_address: str | None = None,
) -> SyncthingPlan:
    """The Syncthing configuration of one side (``cloud`` = the VM, ``local`` = the laptop).

    ``vault_path`` is the vault's folder on *that* side's machine. ``cloud_address``
    (``tcp://vm.example.com:22000``) is what the laptop dials; it is required for the
    local side unless ``global_discovery``. ``listen_address`` replaces that side's
    listen addresses when given (by default Syncthing listens on port 22000).
    """
    cloud = parse_device_id(cloud_device_id, "SYNCTHING_CLOUD_DEVICE_ID")
    local = parse_device_id(local_device_id, "SYNCTHING_LOCAL_DEVICE_ID")
    if cloud == local:
        raise SyncthingConfigError(
            "SYNCTHING_LOCAL_DEVICE_ID", "is the same device as SYNCTHING_CLOUD_DEVICE_ID"
        )
    if not _FOLDER_ID.fullmatch(folder_id):
        raise SyncthingConfigError(
            "SYNCTHING_FOLDER_ID", f"{folder_id!r}: use 1-64 letters, digits, '.', '_' or '-'"
        )
    if not 1 <= watch_delay_s <= 3600:
        raise SyncthingConfigError(
            "SYNCTHING_WATCH_DELAY_S", f"{watch_delay_s}: seconds between 1 and 3600"
        )
    path = str(vault_path).strip()
    if not (PurePosixPath(path).is_absolute() or Path(path).is_absolute() or path[:1] == "~"):
        raise SyncthingConfigError("AIE_VAULT", f"{path!r}: give the vault's absolute path")
    if cloud_address:
        cloud_address = _check_address(cloud_address)
    elif side == "local" and not global_discovery:
        raise SyncthingConfigError(
            "SYNCTHING_CLOUD_ADDRESS",
            "required on the laptop (tcp://HOST:22000) unless SYNCTHING_GLOBAL_DISCOVERY=true",
        )
    me, peer = (cloud, local) if side == "cloud" else (local, cloud)
    # The VM never dials the laptop (it has no fixed address); the laptop dials the VM.
    addresses = [cloud_address] if side == "local" and cloud_address else ["dynamic"]
    device = {
        "deviceID": peer,
        "name": "aie-local" if side == "cloud" else "aie-cloud",
        "addresses": addresses,
        "introducer": False,
        "autoAcceptFolders": False,
        "paused": False,
    }
    folder = {
        "id": folder_id,
        "label": "AI Employee vault",
        "path": path,
        "type": "sendreceive",
        "devices": [{"deviceID": me}, {"deviceID": peer}],
        "fsWatcherEnabled": True,
        "fsWatcherDelayS": watch_delay_s,
        # A full rescan every 5 minutes catches what the watcher misses (syncthing#7879).
        "rescanIntervalS": 300,
        # Conflict copies are how the vault server sees concurrent edits: keep them.
        "maxConflicts": 10,
        "versioning": {"type": "simple", "params": {"keep": "5"}, "cleanupIntervalS": 3600},
    }
    options: dict[str, Any] = {
        "globalAnnounceEnabled": global_discovery,
        "localAnnounceEnabled": global_discovery,
        "relaysEnabled": global_discovery,
        "natEnabled": False,
        "crashReportingEnabled": False,
        "urAccepted": -1,
    }
    if listen_address:
        options["listenAddresses"] = [listen_address]
    calls = (
        ApiCall(method="PATCH", path="/rest/config/options", body=options),
        ApiCall(method="POST", path="/rest/config/devices", body=device),
        ApiCall(method="POST", path="/rest/config/folders", body=folder),
    )
    return SyncthingPlan(
        side=side,
        self_device_id=me,
        peer_device_id=peer,
        folder_id=folder_id,
        vault_path=path,
        calls=calls,
    )


def plan_from_env(
    side: Side, env: Mapping[str, str], vault_path: str | Path | None = None
) -> SyncthingPlan:
    """``plan()`` from the ``SYNCTHING_*`` settings (and ``AIE_VAULT`` unless given)."""
    delay = env.get("SYNCTHING_WATCH_DELAY_S", "2").strip() or "2"
    if not delay.isdigit():
        raise SyncthingConfigError("SYNCTHING_WATCH_DELAY_S", f"{delay!r}: a whole number")
    discovery = env.get("SYNCTHING_GLOBAL_DISCOVERY", "false").strip().lower()
    if discovery not in _TRUE | _FALSE:
        raise SyncthingConfigError("SYNCTHING_GLOBAL_DISCOVERY", f"{discovery!r}: true or false")
    vault = vault_path if vault_path is not None else env.get("AIE_VAULT", "")
    if not str(vault).strip():
        raise SyncthingConfigError("AIE_VAULT", "missing; the vault folder on this machine")
    return plan(
        side,
        env.get("SYNCTHING_CLOUD_DEVICE_ID", ""),
        env.get("SYNCTHING_LOCAL_DEVICE_ID", ""),
        vault,
        cloud_address=env.get("SYNCTHING_CLOUD_ADDRESS") or None,
        folder_id=env.get("SYNCTHING_FOLDER_ID", "").strip() or "aie-vault",
        watch_delay_s=int(delay),
        global_discovery=discovery in _TRUE,
    )


def gui_endpoint(home: Path) -> tuple[str, str]:
    """(GUI URL, API key) from a Syncthing home's ``config.xml``, for ``apply``.

    The home is ``~/.config/syncthing`` in Syncthing 1.19 (``~/.local/state/syncthing``
    in later releases). A GUI started with ``--gui-address`` overrides what is written here.
    """
    root = ET.parse(Path(home).expanduser() / "config.xml").getroot()
    gui = root.find("gui")
    address = gui.findtext("address", "") if gui is not None else ""
    key = gui.findtext("apikey", "") if gui is not None else ""
    if gui is None or not address or not key:
        raise SyncthingApplyError(f"{home}/config.xml has no GUI address or API key")
    scheme = "https" if gui.get("tls", "false").lower() == "true" else "http"
    return (address if "://" in address else f"{scheme}://{address}"), key


def apply(
    plan: SyncthingPlan,
    api_url: str,
    api_key: str,
    timeout: float = 30.0,
    require_stignore: bool = True,
) -> None:
    """Apply ``plan`` to the running Syncthing at ``api_url`` (e.g. ``http://127.0.0.1:8384``).

    Refuses, changing nothing, when that Syncthing is not the plan's device, or (unless
    ``require_stignore`` is false) when the vault on this machine has no ``.stignore``:
    without it secrets in the vault would sync. Idempotent: the device and folder entries
    are replaced by the plan's, the options are patched.
    """
    rest = SyncthingRest(api_url, api_key)
    try:
        _apply(plan, rest, timeout, require_stignore)
    except SyncthingRestError as error:
        raise SyncthingApplyError(str(error)) from None


def _apply(plan: SyncthingPlan, rest: SyncthingRest, timeout: float, require: bool) -> None:
    api_url = rest.url
    status = rest.call("GET", "/rest/system/status", None, timeout)
    my_id = str(status.get("myID", "")) if isinstance(status, dict) else ""
    if my_id != plan.self_device_id:
        which = "CLOUD" if plan.side == "cloud" else "LOCAL"
        raise SyncthingApplyError(
            f"the Syncthing at {api_url} is device {my_id or '?'}, but the {plan.side} "
            f"plan is for {plan.self_device_id}; check SYNCTHING_{which}_DEVICE_ID "
            "and that you run this on the right machine"
        )
    stignore = Path(plan.vault_path).expanduser() / ".stignore"
    if require and not stignore.is_file():
        raise SyncthingApplyError(
            f"{stignore} is missing, so secrets in the vault would sync; "
            f"run `ai-employee vault init {plan.vault_path}` on this machine first"
        )
    for call in plan.calls:
        rest.call(call.method, call.path, call.body, timeout)
