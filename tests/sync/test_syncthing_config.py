"""The generated Syncthing configuration: device ids, the plan, and two real Syncthings."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devstack.syncpair import SyncthingInstance, syncthing_available
from orchestrator.syncthing_config import (
    SyncthingApplyError,
    SyncthingConfigError,
    apply,
    gui_endpoint,
    parse_device_id,
    plan,
    plan_from_env,
)
from orchestrator.vault_init import init_vault
from tests.support.device_ids import CLOUD, LOCAL

ROOT = Path(__file__).resolve().parents[2]
ADDRESS = "tcp://vm.example.com:22000"
SKIP_REASON = (
    "!!! SYNCTHING NOT INSTALLED: the generated configuration was NOT tried on a real "
    "Syncthing (apt-get install syncthing) !!!"
)


def _id_from_bytes(raw: bytes) -> str:
    """A device id the way Syncthing makes one: base32 of 32 bytes, then check characters."""
    return parse_device_id(base64.b32encode(raw).decode().rstrip("="))


# Device ids -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        CLOUD,
        LOCAL,
        LOCAL.lower(),
        LOCAL.replace("-", ""),
        LOCAL.replace("-", " "),
        f"  {LOCAL}\n",
        "P56IOI7MZJNU2IQGDREYDM2MGTMGL3BXNPQ6W5BTBBZ4TJXZWICQ",  # 52 chars, no checks
        "P56I0I7-MZJNU2Y-IQGDREY-DM2MGTI-MGL3BXN-PQ6W5BM-T88Z4TJ-XZWICQ2",  # 0 for O, 8 for B
    ],
)
def test_good_ids_are_accepted_in_canonical_form(written: str) -> None:
    canonical = LOCAL if written.strip().upper().startswith("P56") else CLOUD
    assert parse_device_id(written) == canonical


@pytest.mark.parametrize(
    ("written", "words"),
    [
        (CLOUD[:-1] + "E", "check in groups 7-8"),
        (CLOUD[:3] + "X" + CLOUD[4:], "check in groups 1-2"),
        (CLOUD[:-1], "55 characters instead of 56"),
        (CLOUD + "-AAAAAAA", "63 characters instead of 56"),
        (CLOUD[:-1] + "9", "contains '9'"),
        ("not-a-device-id!", "contains"),
        ("", "missing"),
    ],
)
def test_bad_ids_are_refused_naming_the_setting(written: str, words: str) -> None:
    with pytest.raises(SyncthingConfigError) as caught:
        plan("local", written, LOCAL, "/srv/vault", ADDRESS)
    assert caught.value.setting == "SYNCTHING_CLOUD_DEVICE_ID"
    assert str(caught.value).startswith("SYNCTHING_CLOUD_DEVICE_ID: ")
    assert words in str(caught.value)
    with pytest.raises(SyncthingConfigError, match=r"^SYNCTHING_LOCAL_DEVICE_ID: "):
        plan("local", CLOUD, written, "/srv/vault", ADDRESS)


@given(
    raw=st.binary(min_size=32, max_size=32),
    position=st.integers(0, 55),
    shift=st.integers(1, 31),
)
def test_any_single_typo_is_caught(raw: bytes, position: int, shift: int) -> None:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    compact = _id_from_bytes(raw).replace("-", "")
    typo = alphabet[(alphabet.index(compact[position]) + shift) % 32]
    with pytest.raises(SyncthingConfigError):
        parse_device_id(compact[:position] + typo + compact[position + 1 :])


# The plan -------------------------------------------------------------------------------


def _bodies(side: str, **kwargs: Any) -> dict[str, dict[str, Any]]:
    made = plan(side, CLOUD, LOCAL, "/home/me/Vault", **kwargs)  # type: ignore[arg-type]
    return {call.path.rsplit("/", 1)[1]: call.body for call in made.calls}


def test_laptop_dials_the_vm_and_the_vm_only_accepts() -> None:
    local = _bodies("local", cloud_address=ADDRESS)
    cloud = _bodies("cloud", cloud_address=ADDRESS)
    assert local["devices"]["deviceID"] == CLOUD
    assert local["devices"]["addresses"] == [ADDRESS]
    assert cloud["devices"]["deviceID"] == LOCAL
    assert cloud["devices"]["addresses"] == ["dynamic"]
    for bodies in (local, cloud):
        assert bodies["devices"]["autoAcceptFolders"] is False
        assert bodies["devices"]["introducer"] is False
    assert _bodies("cloud")["devices"]["addresses"] == ["dynamic"]  # no address needed


def test_folder_is_watched_versioned_and_shared_by_both() -> None:
    folder = _bodies("local", cloud_address=ADDRESS, watch_delay_s=3, folder_id="v1")["folders"]
    assert folder["id"] == "v1"
    assert folder["path"] == "/home/me/Vault"
    assert folder["type"] == "sendreceive"
    assert folder["fsWatcherEnabled"] is True
    assert folder["fsWatcherDelayS"] == 3
    assert folder["versioning"]["type"] == "simple"
    assert folder["versioning"]["params"] == {"keep": "5"}
    assert folder["maxConflicts"] > 0  # conflict copies are how the vault sees clashes
    assert {d["deviceID"] for d in folder["devices"]} == {CLOUD, LOCAL}


@pytest.mark.parametrize("discovery", [False, True])
def test_discovery_relays_and_nat(discovery: bool) -> None:
    options = _bodies("local", cloud_address=ADDRESS, global_discovery=discovery)["options"]
    assert options["globalAnnounceEnabled"] is discovery
    assert options["localAnnounceEnabled"] is discovery
    assert options["relaysEnabled"] is discovery
    assert options["natEnabled"] is False
    assert options["urAccepted"] == -1
    assert "listenAddresses" not in options


@pytest.mark.parametrize(
    ("kwargs", "setting"),
    [
        ({"cloud_address": None}, "SYNCTHING_CLOUD_ADDRESS"),
        ({"cloud_address": "vm.example.com:22000"}, "SYNCTHING_CLOUD_ADDRESS"),
        ({"cloud_address": "http://vm.example.com"}, "SYNCTHING_CLOUD_ADDRESS"),
        ({"cloud_address": "tcp://:22000"}, "SYNCTHING_CLOUD_ADDRESS"),
        ({"folder_id": "my vault"}, "SYNCTHING_FOLDER_ID"),
        ({"watch_delay_s": 0}, "SYNCTHING_WATCH_DELAY_S"),
        ({"vault_path": "Vault"}, "AIE_VAULT"),
        ({"local_device_id": CLOUD}, "SYNCTHING_LOCAL_DEVICE_ID"),
    ],
)
def test_other_bad_inputs_name_their_setting(kwargs: dict[str, Any], setting: str) -> None:
    args: dict[str, Any] = {
        "cloud_device_id": CLOUD,
        "local_device_id": LOCAL,
        "vault_path": "/home/me/Vault",
        "cloud_address": ADDRESS,
    }
    with pytest.raises(SyncthingConfigError, match=rf"^{setting}: ") as caught:
        plan("local", **(args | kwargs))
    assert caught.value.setting == setting


def test_without_an_address_the_laptop_may_use_global_discovery() -> None:
    devices = _bodies("local", global_discovery=True)["devices"]
    assert devices["addresses"] == ["dynamic"]


def test_plan_from_the_settings_in_env_example() -> None:
    env = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        found = re.match(r"(SYNCTHING_\w+)=(\S*)", line)
        if found:
            env[found[1]] = found[2]
    assert {"SYNCTHING_CLOUD_ADDRESS", "SYNCTHING_FOLDER_ID", "SYNCTHING_WATCH_DELAY_S"} <= set(env)
    env |= {"SYNCTHING_CLOUD_DEVICE_ID": CLOUD, "SYNCTHING_LOCAL_DEVICE_ID": LOCAL.lower()}
    env["AIE_VAULT"] = "/home/me/Vault"
    made = plan_from_env("local", env)
    assert made == plan(
        "local",
        CLOUD,
        LOCAL,
        "/home/me/Vault",
        env["SYNCTHING_CLOUD_ADDRESS"],
        folder_id=env["SYNCTHING_FOLDER_ID"],
        watch_delay_s=int(env["SYNCTHING_WATCH_DELAY_S"]),
    )
    assert plan_from_env("cloud", {**env, "AIE_VAULT": ""}, "/srv/v").vault_path == "/srv/v"
    for key, value in [
        ("SYNCTHING_GLOBAL_DISCOVERY", "maybe"),
        ("SYNCTHING_WATCH_DELAY_S", "2s"),
        ("AIE_VAULT", ""),
        ("SYNCTHING_CLOUD_DEVICE_ID", ""),
    ]:
        with pytest.raises(SyncthingConfigError, match=rf"^{key}: "):
            plan_from_env("local", {**env, key: value})


def test_shell_script_is_valid_sh_with_every_call(tmp_path: Path) -> None:
    made = plan("local", CLOUD, LOCAL, "/home/me/it's my Vault", ADDRESS)
    script = tmp_path / "st.sh"
    script.write_text(made.shell_script())
    subprocess.run(["sh", "-n", str(script)], check=True)
    text = script.read_text()
    assert LOCAL in text and "/rest/config/folders" in text and "/rest/config/options" in text
    missing_key = subprocess.run(
        ["sh", str(script)], env={"PATH": os.environ["PATH"]}, capture_output=True, text=True
    )
    assert missing_key.returncode != 0 and "STKEY" in missing_key.stderr


def test_gui_endpoint_reads_config_xml(tmp_path: Path) -> None:
    (tmp_path / "config.xml").write_text(
        '<configuration><gui enabled="true" tls="false"><address>127.0.0.1:8384</address>'
        "<apikey>k3y</apikey></gui></configuration>"
    )
    assert gui_endpoint(tmp_path) == ("http://127.0.0.1:8384", "k3y")


# Two real Syncthings configured by apply() ----------------------------------------------


def _wait(predicate: Any, timeout: float, what: str) -> float:
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"{what} not within {timeout}s")
        time.sleep(0.05)
    return time.monotonic() - start


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


@pytest.fixture
def instances(tmp_path: Path) -> Iterator[tuple[SyncthingInstance, SyncthingInstance]]:
    if syncthing_available() is None:
        pytest.skip(SKIP_REASON)
    cloud = SyncthingInstance(tmp_path / "homes" / "cloud", "cloud")
    local = SyncthingInstance(tmp_path / "homes" / "local", "local")
    try:
        for inst in (cloud, local):
            inst.launch()
        for inst in (cloud, local):
            inst.wait_ready()
        yield cloud, local
    finally:
        for inst in (cloud, local):
            inst.terminate()
        for inst in (cloud, local):
            inst.stop()


@pytest.mark.slow
def test_generated_config_syncs_two_real_syncthings(
    instances: tuple[SyncthingInstance, SyncthingInstance], tmp_path: Path
) -> None:
    cloud, local = instances
    cloud_vault, local_vault = tmp_path / "cloud" / "Vault", tmp_path / "local" / "Vault"
    for vault in (cloud_vault, local_vault):
        init_vault(vault)
    ids = (cloud.device_id, local.device_id)
    cloud_plan = plan("cloud", *ids, cloud_vault, watch_delay_s=1)
    local_plan = plan("local", *ids, local_vault, cloud.listen_address, watch_delay_s=1)
    url = {inst.name: f"http://127.0.0.1:{inst.gui_port}" for inst in instances}

    # Refusals first: nothing may change on a wrong device or with a wrong key.
    with pytest.raises(SyncthingApplyError, match="SYNCTHING_LOCAL_DEVICE_ID"):
        apply(local_plan, url["cloud"], cloud.api_key)
    with pytest.raises(SyncthingApplyError, match="wrong API key"):
        apply(cloud_plan, url["cloud"], "not-the-key")
    with pytest.raises(SyncthingApplyError, match="vault init"):
        apply(plan("cloud", *ids, tmp_path / "bare", watch_delay_s=1), url["cloud"], cloud.api_key)
    assert cloud.api("GET", "/rest/config/folders") == []

    assert not local.connected(cloud)
    apply(cloud_plan, url["cloud"], cloud.api_key)  # the accepting side first
    apply(local_plan, url["local"], local.api_key)
    took = _wait(lambda: local.connected(cloud), 20, "the laptop connecting to the VM")
    print(f"connected {took:.2f}s after apply")

    (local_vault / "Needs_Action" / "email" / "t1.md").write_text("from the laptop\n")
    arrived = cloud_vault / "Needs_Action" / "email" / "t1.md"
    took = _wait(lambda: _read(arrived) == "from the laptop\n", 20, "laptop -> VM")
    (cloud_vault / "Updates" / "u1.md").write_text("from the VM\n")
    back = local_vault / "Updates" / "u1.md"
    took2 = _wait(lambda: _read(back) == "from the VM\n", 20, "VM -> laptop")
    print(f"laptop -> VM {took:.2f}s, VM -> laptop {took2:.2f}s")

    # A bad edit on the laptop is recoverable on the VM from .stversions.
    (local_vault / "Needs_Action" / "email" / "t1.md").write_text("oops\n")
    _wait(lambda: _read(arrived) == "oops\n", 20, "the edit")
    kept = list((cloud_vault / ".stversions" / "Needs_Action" / "email").glob("t1~*.md"))
    assert [p.read_text() for p in kept] == ["from the laptop\n"]

    # What Syncthing holds is what the plan says.
    folder = local.api("GET", "/rest/config/folders/aie-vault")
    assert folder["fsWatcherDelayS"] == 1 and folder["type"] == "sendreceive"
    assert folder["versioning"]["type"] == "simple"
    assert folder["versioning"]["params"]["keep"] == "5"
    peer = local.api("GET", f"/rest/config/devices/{cloud.device_id}")
    assert peer["addresses"] == [cloud.listen_address] and not peer["autoAcceptFolders"]
    assert cloud.api("GET", f"/rest/config/devices/{local.device_id}")["addresses"] == ["dynamic"]
    options = cloud.api("GET", "/rest/config/options")
    assert not options["globalAnnounceEnabled"] and not options["relaysEnabled"]
    assert not options["natEnabled"]

    # Syncthing refuses the ids we refuse.
    bad = cloud.device_id[:-1] + ("A" if cloud.device_id[-1] != "A" else "B")
    with pytest.raises(SyncthingConfigError):
        parse_device_id(bad)
    with pytest.raises(Exception, match="400"):
        local.api("POST", "/rest/config/devices", {"deviceID": bad})

    # The shell script makes the same configuration (re-applying changes nothing).
    before = local.api("GET", "/rest/config")
    script = tmp_path / "local.sh"
    script.write_text(local_plan.shell_script())
    env = dict(os.environ, STKEY=local.api_key)
    done = subprocess.run(
        ["sh", str(script), url["local"]], env=env, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    after = local.api("GET", "/rest/config")
    assert after["folders"] == before["folders"] and after["devices"] == before["devices"]
    assert after["options"] == before["options"]
