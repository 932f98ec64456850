"""One dev stack per test worker for the doctor: a real Dovecot and SMTP relay, the Odoo
stand-in, two vault replicas synced by two real Syncthings, the pinned Claude Code CLI with
an API key in a throwaway HOME, and (for the cloud) the real PM2 running the cloud
ecosystem. Each test changes one thing in the environment it gives the doctor, or one
thing of the stack, and puts it back."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from devstack.mail_servers import MailServers
from devstack.odoo_standin import StandinThread
from devstack.stack import wait_until
from devstack.syncpair import SyncPair, syncthing_available
from orchestrator.vault_init import init_vault
from tests.support.mail_fixtures import ensure_dovecot
from tests.support.node_tools import BIN, ROOT, node_tool

OPS = "ops@example.test"
ECOSYSTEM = ROOT / "deployment" / "cloud" / "ecosystem.config.js"
ODOO_USERS = {  # the stand-in's: a draft-only user for the cloud, an accountant for the laptop
    "cloud": ("drafter", "acme-drafter-api-key"),
    "local": ("admin", "acme-admin-api-key"),
}
CLAUDE_KEY = "sk-doctor-test-key"


@dataclass
class DoctorStack:
    mail: MailServers
    odoo: StandinThread
    sync: SyncPair
    root: Path
    pm2_home: Path

    def vault(self, role: str) -> Path:
        return self.sync.cloud_dir if role == "cloud" else self.sync.local_dir

    def env(self, role: str, claude: bool = True) -> dict[str, str]:
        """What a correctly set up machine of ``role`` holds in its environment; without
        Claude Code (the built-in rules) when not ``claude``, which makes a run faster."""
        mail = self.mail.settings_env(OPS)
        if role == "cloud":  # the cloud never sends: no SMTP credentials there
            mail = {k: v for k, v in mail.items() if not k.startswith("AIE_SMTP")}
        syncthing = self.sync.cloud if role == "cloud" else self.sync.local
        user, key = ODOO_USERS[role]
        env = mail | {
            "AIE_ROLE": role,
            "AIE_VAULT": str(self.vault(role)),
            "AIE_ODOO_URL": self.odoo.url,
            "AIE_ODOO_DB": "acme",
            "AIE_ODOO_USER": user,
            "AIE_ODOO_PASSWORD": key,
            "SYNCTHING_GUI_URL": syncthing.rest.url,
            "SYNCTHING_API_KEY": syncthing.api_key,
            "SYNCTHING_CLOUD_DEVICE_ID": self.sync.cloud.device_id,
            "SYNCTHING_LOCAL_DEVICE_ID": self.sync.local.device_id,
            "PM2_HOME": str(self.pm2_home),
        }
        claude_cli = BIN / "claude"
        if claude_cli.exists() and claude:
            env |= {
                "AIE_CLAUDE_CODE": "1",
                "AIE_CLAUDE_COMMAND": str(claude_cli),
                "HOME": str(self.root / "claude-home"),
                "ANTHROPIC_API_KEY": CLAUDE_KEY,
            }
        return env

    def agents_env(self) -> dict[str, str]:
        """What PM2 starts the cloud's apps with (the built-in rules, not Claude Code)."""
        cloud = self.env("cloud", claude=False)
        agents = {k: v for k, v in cloud.items() if k.startswith("AIE_")}
        return agents | {"AIE_HOME": str(ROOT), "AIE_LOG_DIR": str(self.root / "pm2-logs")}

    def secrets(self) -> list[str]:
        """Every secret the stack's settings hold: none may ever be shown."""
        return [
            *self.mail.users.values(),
            *(key for _, key in ODOO_USERS.values()),
            CLAUDE_KEY,
            self.sync.cloud.api_key,
            self.sync.local.api_key,
        ]


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


def all_online(pm2: Callable[..., str]) -> bool:
    apps: list[dict[str, Any]] = json.loads(pm2("jlist"))
    return len(apps) == 2 and all(app["pm2_env"]["status"] == "online" for app in apps)
