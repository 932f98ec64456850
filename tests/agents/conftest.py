"""The agents' tests use the real mail servers and the Odoo stand-in of the other suites."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.email.conftest import mail  # noqa: F401 - a real Dovecot + SMTP per test
from tests.odoo.conftest import odoo, standin  # noqa: F401 - the Odoo stand-in

BIN = Path(sys.executable).parent


def agent_env(
    mail_env: dict[str, str], odoo_url: str, vault: Path, role: str, **extra: str
) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("AIE_")}
    return (
        base
        | mail_env
        | {
            "AIE_ROLE": role,
            "AIE_VAULT": str(vault),
            "AIE_ODOO_URL": odoo_url,
            "AIE_ODOO_DB": "acme",
            "AIE_ODOO_USER": "admin",
            "AIE_ODOO_PASSWORD": "admin",
        }
        | extra
    )


def run_agent(env: dict[str, str], role: str, passes: int = 1) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "ai-employee"), role, "--passes", str(passes), "--interval", "0.2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
