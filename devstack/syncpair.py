"""Two real Syncthing instances on loopback, syncing two vault replicas.

Used by the sync tests and by the demo. Each instance gets its own home (keys, config,
database, ``syncthing.log``), a free GUI/REST port and a free sync port on 127.0.0.1.
The options that could make traffic leave loopback (global and local discovery, relays,
NAT, usage and crash reporting, upgrades) are switched off in ``config.xml`` right after
``syncthing generate``, before the first start, so nothing is announced even briefly.
Devices and the shared folder ``vault`` are then configured over the REST API.

    with SyncPair(cloud_dir, local_dir, homes_dir) as pair:
        (cloud_dir / "a.md").write_text("hi")
        pair.wait_until_synced()

Processes run in their own session, receive SIGTERM when the parent dies
(``PR_SET_PDEATHSIG``) and are stopped by PID.
"""

from __future__ import annotations

import ctypes
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from orchestrator.syncthing_rest import SyncthingRest, SyncthingRestError

__all__ = [
    "FOLDER_ID",
    "SyncPair",
    "SyncthingInstance",
    "SyncthingMissing",
    "require_syncthing",
    "syncthing_available",
]

FOLDER_ID = "vault"

# Options written into config.xml before the first start: loopback only, no phoning home.
_OFFLINE_OPTIONS = {
    "globalAnnounceEnabled": "false",
    "localAnnounceEnabled": "false",
    "relaysEnabled": "false",
    "natEnabled": "false",
    "crashReportingEnabled": "false",
    "urAccepted": "-1",
    "autoUpgradeIntervalH": "0",
    "startBrowser": "false",
    # Redial after 5 s (the minimum 1.19 accepts) rather than 60 s when a dial fails.
    "reconnectionIntervalS": "5",
}

_PR_SET_PDEATHSIG = 1


class SyncthingMissing(RuntimeError):
    """The ``syncthing`` binary is not installed (Debian: ``apt-get install syncthing``)."""


def syncthing_available() -> str | None:
    """The path of the ``syncthing`` binary, or None when it is not installed."""
    return shutil.which("syncthing")


def require_syncthing() -> str:
    """The path of the ``syncthing`` binary; raises SyncthingMissing when absent."""
    path = syncthing_available()
    if path is None:
        raise SyncthingMissing(
            "syncthing is not installed or not on PATH; install it "
            "(Debian/Ubuntu: apt-get install syncthing) to run two replicas in sync"
        )
    return path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _die_with_parent() -> None:
    """preexec_fn: ask the kernel to SIGTERM the child when its parent goes away."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


class SyncthingInstance:
    """One Syncthing process with its own home, ports and API key."""

    def __init__(self, home: Path, name: str, binary: str | None = None) -> None:
        self.home = Path(home)
        self.name = name
        self.binary = binary or require_syncthing()
        self.gui_port = free_port()
        self.listen_port = free_port()
        self.api_key = secrets.token_urlsafe(24)
        self.rest = SyncthingRest(f"http://127.0.0.1:{self.gui_port}", self.api_key)
        self.device_id = ""
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def listen_address(self) -> str:
        return f"tcp://127.0.0.1:{self.listen_port}"

    @property
    def log_path(self) -> Path:
        return self.home / "syncthing.log"

    def generate(self) -> str:
        """Create keys and config (once) and write the loopback-only options."""
        config = self.home / "config.xml"
        if not config.exists():
            self.home.mkdir(parents=True, exist_ok=True)
            cmd = [self.binary, "generate", f"--home={self.home}", "--no-default-folder"]
            subprocess.run([*cmd, "--skip-port-probing"], check=True, capture_output=True)
        tree = ET.parse(config)
        root = tree.getroot()
        device = root.find("device")
        if device is None or not device.get("id"):
            raise RuntimeError(f"no device id in {config}")
        self.device_id = device.get("id", "")
        device.set("name", self.name)
        options = root.find("options")
        if options is None:
            raise RuntimeError(f"no <options> in {config}")
        for addr in options.findall("listenAddress"):
            options.remove(addr)
        ET.SubElement(options, "listenAddress").text = self.listen_address
        for key, value in _OFFLINE_OPTIONS.items():
            elem = options.find(key)
            if elem is None:
                elem = ET.SubElement(options, key)
            elem.text = value
        tree.write(config, encoding="unicode")
        return self.device_id

    def start(self, timeout: float = 30.0) -> None:
        """Generate if needed, start ``syncthing serve`` and wait until REST answers."""
        self.launch()
        self.wait_ready(timeout)

    def launch(self) -> None:
        """Generate if needed and spawn ``syncthing serve`` without waiting for it."""
        if self.process is not None and self.process.poll() is None:
            return
        self.generate()
        env = dict(os.environ, STNORESTART="1", STNOUPGRADE="1", STNODEFAULTFOLDER="1")
        gui = f"--gui-address=http://127.0.0.1:{self.gui_port}"
        cmd = [self.binary, "serve", f"--home={self.home}", "--no-browser", "--no-restart", gui]
        cmd += ["--no-upgrade", f"--gui-apikey={self.api_key}", f"--logfile={self.log_path}"]
        with open(self.home / "stdout.log", "ab") as out:
            self.process = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env,
                start_new_session=True, preexec_fn=_die_with_parent,
            )  # fmt: skip

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Wait until ``GET /rest/system/ping`` answers."""
        deadline = time.monotonic() + timeout
        while True:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"syncthing {self.name} is not running; see {self.log_path}")
            try:
                self.api("GET", "/rest/system/ping", timeout=2)
                return
            except SyncthingRestError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise TimeoutError(f"syncthing {self.name} REST not up in {timeout}s") from None
                time.sleep(0.05)

    def terminate(self) -> None:
        """Send SIGTERM by PID without waiting (see stop)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM by PID, wait, SIGKILL if it does not exit."""
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)

    def api(self, method: str, path: str, body: Any = None, timeout: float = 60.0) -> Any:
        """One REST call; returns the decoded JSON answer (None for an empty body)."""
        return self.rest.call(method, path, body, timeout)

    # Configuration -------------------------------------------------------------------

    def add_device(self, peer: SyncthingInstance, dial: bool = True) -> None:
        """Know the peer; with dial=False never dial it, only accept its connections."""
        addresses = [peer.listen_address] if dial else ["dynamic"]  # discovery is off
        self.api(
            "POST",
            "/rest/config/devices",
            {"deviceID": peer.device_id, "name": peer.name, "addresses": addresses},
        )

    def add_folder(self, path: Path, peer: SyncthingInstance, folder: str = FOLDER_ID) -> None:
        """Share ``path`` as ``folder`` with the peer; the watcher reports changes after 1 s."""
        devices = [{"deviceID": self.device_id}, {"deviceID": peer.device_id}]
        body: dict[str, object] = {"id": folder, "label": folder, "path": str(path)}
        body.update(devices=devices, fsWatcherEnabled=True, fsWatcherDelayS=1, rescanIntervalS=60)
        self.api("POST", "/rest/config/folders", body)

    # Control and state ---------------------------------------------------------------

    def pause(self) -> None:
        """Pause all devices: this replica goes "offline" while the process keeps running."""
        self.api("POST", "/rest/system/pause")

    def resume(self) -> None:
        self.api("POST", "/rest/system/resume")

    def scan(self, folder: str = FOLDER_ID) -> None:
        """Rescan the folder now (returns when the scan is done)."""
        self.api("POST", f"/rest/db/scan?folder={folder}")

    def connected(self, peer: SyncthingInstance) -> bool:
        conns = self.api("GET", "/rest/system/connections")["connections"]
        return bool(conns.get(peer.device_id, {}).get("connected"))

    def status(self, folder: str = FOLDER_ID) -> dict[str, Any]:
        result: dict[str, Any] = self.api("GET", f"/rest/db/status?folder={folder}")
        return result

    def completion(self, peer: SyncthingInstance, folder: str = FOLDER_ID) -> dict[str, Any]:
        """What this instance knows of the peer's progress on the folder."""
        result: dict[str, Any] = self.api(
            "GET", f"/rest/db/completion?folder={folder}&device={peer.device_id}"
        )
        return result

    def global_tree(self, folder: str = FOLDER_ID) -> Any:
        """The folder's global tree as this instance sees it (names, sizes, mtimes)."""
        return self.api("GET", f"/rest/db/browse?folder={folder}")

    def in_sync(self, peer: SyncthingInstance, folder: str = FOLDER_ID) -> bool:
        """Idle, nothing to pull locally, and the peer complete as far as we know."""
        status = self.status(folder)
        done = self.completion(peer, folder)
        return (
            status.get("state") == "idle"
            and status.get("needTotalItems") == 0
            and done.get("completion") == 100
            and done.get("needItems") == 0
            and done.get("needDeletes") == 0
        )


class SyncPair:
    """Replica A ("cloud") and replica B ("local") kept in sync by two Syncthings.

    Only "local" dials "cloud" (as a laptop behind NAT dials a VM): in 1.19 two devices
    dialing each other at the same moment can each drop the other's connection and then
    wait out the redial delay (5-60 s), which is what made resumes slow.
    """

    def __init__(
        self, cloud_dir: Path, local_dir: Path, homes_dir: Path, connect_timeout: float = 30.0
    ) -> None:
        binary = require_syncthing()
        self.cloud_dir, self.local_dir = Path(cloud_dir), Path(local_dir)
        self.cloud = SyncthingInstance(Path(homes_dir) / "cloud", "cloud", binary)
        self.local = SyncthingInstance(Path(homes_dir) / "local", "local", binary)
        self.connect_timeout = connect_timeout
        self._dials = 0

    @property
    def instances(self) -> tuple[SyncthingInstance, SyncthingInstance]:
        return self.cloud, self.local

    def start(self) -> None:
        try:
            for inst in self.instances:
                inst.launch()
            for inst in self.instances:
                inst.wait_ready()
            self.cloud.add_device(self.local, dial=False)
            self.local.add_device(self.cloud)
            for inst, peer, path in (
                (self.cloud, self.local, self.cloud_dir),
                (self.local, self.cloud, self.local_dir),
            ):
                path.mkdir(parents=True, exist_ok=True)
                inst.add_folder(path, peer)
            self.wait_connected(self.connect_timeout)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        for inst in self.instances:
            inst.terminate()
        for inst in self.instances:
            inst.stop()

    def __enter__(self) -> SyncPair:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def connected(self) -> bool:
        return self.cloud.connected(self.local) and self.local.connected(self.cloud)

    def wait_connected(self, timeout: float = 30.0, redial_every: float = 0.0) -> None:
        """Wait for the connection; with redial_every > 0, nudge a dial that often."""
        start = last_dial = time.monotonic()
        while not self.connected():
            now = time.monotonic()
            if now - start > timeout:
                raise TimeoutError(f"the two Syncthings did not connect in {timeout}s")
            if redial_every and now - last_dial >= redial_every:
                self.redial()
                last_dial = now
            time.sleep(0.05)

    def redial(self) -> None:
        """Make "local" dial "cloud" now.

        1.19 remembers each address it dialed and waits >= 5 s before dialing it again,
        even right after a resume. A new spelling of the same address (the path part is
        ignored by the TCP dialer) is a config change that is dialed at once.
        """
        self._dials += 1
        address = f"{self.cloud.listen_address}/dial-{self._dials}"
        self.local.api(
            "PATCH", f"/rest/config/devices/{self.cloud.device_id}", {"addresses": [address]}
        )

    def pause_all(self) -> None:
        """Both sides "offline": each pauses its peer, nothing travels until resume_all."""
        for inst in self.instances:
            inst.pause()

    def resume_all(self, timeout: float = 30.0) -> float:
        """Resume both sides and wait for the connection; returns the seconds it took."""
        start = time.monotonic()
        self.cloud.resume()  # the accepting side first, then the dialing side
        self.local.resume()
        self.redial()
        self.wait_connected(timeout, redial_every=2.0)
        return time.monotonic() - start

    def scan_both(self) -> None:
        for inst in self.instances:
            inst.scan()

    def wait_until_synced(self, timeout: float = 30.0, settle: float = 0.3) -> float:
        """Scan both sides, then wait until both agree; returns the seconds it took.

        "Agree": connected; each folder idle with nothing to pull; the peer at 100 %
        completion; and both sides hold the same global tree (names, sizes, mtimes),
        holding for ``settle`` seconds.
        """
        start = time.monotonic()
        self.wait_connected(timeout, redial_every=2.0)
        self.scan_both()
        stable_since: float | None = None
        while True:
            now = time.monotonic()
            try:
                ok = (
                    self.cloud.in_sync(self.local)
                    and self.local.in_sync(self.cloud)
                    and self.cloud.global_tree() == self.local.global_tree()
                )
            except SyncthingRestError as error:
                if error.status is None:
                    raise
                ok = False
            if not ok:
                stable_since = None
            elif stable_since is None:
                stable_since = now
            elif now - stable_since >= settle:
                return now - start
            if now - start > timeout:
                raise TimeoutError(
                    f"replicas not in sync after {timeout}s: "
                    f"cloud={self.cloud.status()} local={self.local.status()}"
                )
            time.sleep(0.1)
