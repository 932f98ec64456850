"""The sync, as the real Syncthings of the stack report it: not found, not answering, a
refused API key, the peer not connected or paused, the folder paused, and ignore patterns
that would let decisions travel. Each test puts the stack back as it found it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from devstack.mail_servers import free_port
from devstack.stack import wait_until
from devstack.syncpair import SyncthingInstance
from tests.support.doctor import doctor, failing, passing
from tests.support.doctor_stack import DoctorStack

pytestmark = pytest.mark.xdist_group("doctor")  # one dev stack (and one PM2) per run

SYNCTHING, PEER, FOLDER, IGNORES = "Syncthing", "sync peer", "sync folder", "sync ignore patterns"


def test_syncthing_not_found(doctor_stack: DoctorStack, tmp_path: Path) -> None:
    env = doctor_stack.env("local", claude=False)
    del env["SYNCTHING_GUI_URL"], env["SYNCTHING_API_KEY"]
    run = doctor(env | {"SYNCTHING_HOME": str(tmp_path / "no-syncthing")})
    failing(run, SYNCTHING, fix="install and start Syncthing", detail="Syncthing not found")
    assert {run.check(n)["status"] for n in (PEER, FOLDER, IGNORES)} == {"skip"}


def test_syncthing_found_through_its_home(doctor_stack: DoctorStack, tmp_path: Path) -> None:
    """Without SYNCTHING_GUI_URL and SYNCTHING_API_KEY, its config.xml says where it is.
    (The stack's Syncthings are started with --gui-address and --gui-apikey, which their
    config.xml does not hold: the copy here says what a Syncthing started plainly has.)"""
    local = doctor_stack.sync.local
    config = ET.parse(local.home / "config.xml")
    gui = config.getroot().find("gui")
    assert gui is not None
    gui.find("address").text = local.rest.url.removeprefix("http://")  # type: ignore[union-attr]
    gui.find("apikey").text = local.api_key  # type: ignore[union-attr]
    config.write(tmp_path / "config.xml")
    env = doctor_stack.env("local", claude=False)
    del env["SYNCTHING_GUI_URL"], env["SYNCTHING_API_KEY"]
    run = doctor(env | {"SYNCTHING_HOME": str(tmp_path)})
    passing(run, SYNCTHING, PEER, FOLDER, IGNORES)
    # the home of a Syncthing that is not running: its address refuses, and the fix says
    # what a GUI started elsewhere needs
    gui.find("address").text = f"127.0.0.1:{free_port()}"  # type: ignore[union-attr]
    config.write(tmp_path / "config.xml")
    run = doctor(env | {"SYNCTHING_HOME": str(tmp_path)})
    failing(run, SYNCTHING, fix="set SYNCTHING_GUI_URL", detail="cannot reach Syncthing")


def test_syncthing_not_answering(doctor_stack: DoctorStack) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    run = doctor(doctor_stack.env("local", claude=False) | {"SYNCTHING_GUI_URL": url})
    failing(run, SYNCTHING, fix="start Syncthing", detail=f"Syncthing at {url}")


def test_a_refused_api_key(doctor_stack: DoctorStack) -> None:
    run = doctor(doctor_stack.env("local", claude=False) | {"SYNCTHING_API_KEY": "not-the-key"})
    failing(run, SYNCTHING, fix="SYNCTHING_API_KEY", detail="HTTP 403 (wrong API key?)")
    assert "not-the-key" not in run.output


@contextmanager
def paused(side: SyncthingInstance, doctor_stack: DoctorStack) -> Iterator[None]:
    """``side`` pauses its peer (a machine going offline), until the block ends."""
    sync = doctor_stack.sync
    side.pause()
    try:
        wait_until(lambda: not sync.cloud.connected(sync.local), timeout=30)
        wait_until(lambda: not sync.local.connected(sync.cloud), timeout=30)
        yield
    finally:
        side.resume()
        sync.redial()
        sync.wait_connected(30, redial_every=2.0)


def test_the_vm_not_connected_to_the_laptop(
    doctor_stack: DoctorStack, pm2_cloud: Callable[..., str]
) -> None:
    """The VM's Syncthing pauses the laptop: on the laptop, nothing syncs (a failure); on
    the VM, the pause is named with how to resume."""
    with paused(doctor_stack.sync.cloud, doctor_stack):
        laptop = doctor(doctor_stack.env("local", claude=False))
        cloud = doctor(doctor_stack.env("cloud", claude=False))
    failing(laptop, PEER, fix="SYNCTHING_CLOUD_ADDRESS", detail="is not connected: nothing syncs")
    failing(cloud, PEER, fix="resume it", detail="is paused in this Syncthing")
    passing(laptop, SYNCTHING, FOLDER, IGNORES)
    passing(doctor(doctor_stack.env("local", claude=False)), PEER)


def test_a_closed_laptop_is_a_warning_on_the_vm(
    doctor_stack: DoctorStack, pm2_cloud: Callable[..., str]
) -> None:
    with paused(doctor_stack.sync.local, doctor_stack):
        cloud = doctor(doctor_stack.env("cloud", claude=False))
    check = cloud.check(PEER)
    assert check["status"] == "warn", check
    assert "normal while it is closed" in check["detail"]
    assert "TCP port 22000" in check["fix"]
    assert cloud.exit_code == 0, cloud.output


def test_a_paused_folder(doctor_stack: DoctorStack) -> None:
    local = doctor_stack.sync.local
    local.api("PATCH", "/rest/config/folders/vault", {"paused": True})
    try:
        run = doctor(doctor_stack.env("local", claude=False))
    finally:
        local.api("PATCH", "/rest/config/folders/vault", {"paused": False})
        wait_until(lambda: local.status().get("state") == "idle", timeout=30)
    failing(run, FOLDER, fix="resume it in Syncthing's GUI", detail="the folder 'vault' is paused")
    passing(doctor(doctor_stack.env("local", claude=False)), FOLDER)


@contextmanager
def ignores(side: SyncthingInstance, lines: list[str]) -> Iterator[None]:
    """Syncthing applies ``lines`` as the folder's ignore patterns (it writes .stignore);
    the file as it was is put back after the block."""
    stignore = Path(side.api("GET", "/rest/config/folders/vault")["path"]) / ".stignore"
    before, text = side.api("GET", "/rest/db/ignores?folder=vault")["ignore"], stignore.read_text()
    side.api("POST", "/rest/db/ignores?folder=vault", {"ignore": lines})
    try:
        yield
    finally:
        side.api("POST", "/rest/db/ignores?folder=vault", {"ignore": before})
        stignore.write_text(text)
        assert side.api("GET", "/rest/db/ignores?folder=vault")["ignore"] == before


def test_ignore_patterns_that_let_decisions_travel(doctor_stack: DoctorStack) -> None:
    local = doctor_stack.sync.local
    applied = local.api("GET", "/rest/db/ignores?folder=vault")["ignore"]
    without = [line for line in applied if line not in ("/Approved", "/Rejected")]
    with ignores(local, without):
        run = doctor(doctor_stack.env("local", claude=False))
    vault = doctor_stack.vault("local")
    failing(
        run,
        IGNORES,
        fix=f"ai-employee vault init {vault}",
        detail="lack /Approved, /Rejected: decisions",
        also=("vault layout",),  # the same .stignore
    )


def test_an_exception_before_a_decision_rule(doctor_stack: DoctorStack) -> None:
    """Every rule is there, but an exception above one undoes it (the first match wins):
    a check of the lines alone would pass this."""
    local = doctor_stack.sync.local
    applied = local.api("GET", "/rest/db/ignores?folder=vault")["ignore"]
    with ignores(local, ["!/Approved/urgent.md", *applied]):
        run = doctor(doctor_stack.env("local", claude=False))
    failing(
        run,
        IGNORES,
        fix="remove the exception",
        detail="'!/Approved/urgent.md' before '/Approved'",
    )
    passing(run, "vault layout")
    # the exception the template itself suggests, for a setting of Obsidian's shared on purpose
    obsidian = applied.index("(?d).obsidian")
    shared = [*applied[:obsidian], "!/.obsidian/app.json", *applied[obsidian:]]
    with ignores(local, shared):
        passing(doctor(doctor_stack.env("local", claude=False)), IGNORES)
