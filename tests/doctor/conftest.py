"""One dev stack per test worker for the doctor: a real Dovecot and SMTP relay, the Odoo
stand-in, two vault replicas synced by two real Syncthings, the pinned Claude Code CLI with
an API key in a throwaway HOME, and (for the cloud) the real PM2 running the cloud
ecosystem. Each test changes one thing in the environment it gives the doctor, or one
thing of the stack, and puts it back."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator

import pytest

from devstack.mail_servers import MailServers
from devstack.odoo_standin import StandinThread
from devstack.stack import wait_until
from devstack.syncpair import SyncPair, syncthing_available
from orchestrator.vault_init import init_vault
from tests.support.doctor_stack import ECOSYSTEM, DoctorStack, all_online
from tests.support.mail_fixtures import ensure_dovecot
from tests.support.node_tools import node_tool


@pytest.fixture(scope="session")
def doctor_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DoctorStack]:
    if syncthing_available() is None:
        pytest.skip("NOT RUN: syncthing is not installed (apt-get install syncthing)")
    ensure_dovecot()
    root = tmp_path_factory.mktemp("doctor")
    for side in ("cloud", "local"):
        init_vault(root / side / "Vault")
    (root / "claude-home").mkdir()
    with (
        MailServers() as mail,
        StandinThread() as odoo,
        SyncPair(root / "cloud" / "Vault", root / "local" / "Vault", root / "syncthing") as sync,
    ):
        sync.wait_until_synced(timeout=60)
        yield DoctorStack(mail, odoo, sync, root, root / "no-pm2")


@pytest.fixture(scope="session")
def pm2_cloud(doctor_stack: DoctorStack) -> Iterator[Callable[..., str]]:
    """The real PM2 running deployment/cloud/ecosystem.config.js on the cloud replica (the
    inbox watcher and the cloud agent); yields ``pm2(*args)``."""
    binary = node_tool("pm2")
    home = doctor_stack.root / "pm2"
    base = {k: v for k, v in os.environ.items() if not k.startswith("AIE_")}
    base["PM2_HOME"] = str(home)

    def pm2(*args: str, env: dict[str, str] | None = None) -> str:
        done = subprocess.run(
            [str(binary), *args],
            env=base | (env or {}),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    try:
        pm2("start", str(ECOSYSTEM), env=doctor_stack.agents_env())
        wait_until(lambda: all_online(pm2), timeout=60)
        doctor_stack.pm2_home = home
        yield pm2
    finally:
        doctor_stack.pm2_home = doctor_stack.root / "no-pm2"
        subprocess.run([str(binary), "kill"], env=base, capture_output=True, timeout=60)
