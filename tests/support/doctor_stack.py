"""The doctor tests' dev stack (the fixtures that start it are in tests/doctor/conftest.py):
what it holds, the environment each role's doctor gets from it, and the secrets it uses
(which no output may show)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devstack.mail_servers import MailServers
from devstack.odoo_standin import StandinThread
from devstack.syncpair import SyncPair
from tests.support.node_tools import BIN, ROOT

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


def all_online(pm2: Callable[..., str]) -> bool:
    apps: list[dict[str, Any]] = json.loads(pm2("jlist"))
    return len(apps) == 2 and all(app["pm2_env"]["status"] == "online" for app in apps)
