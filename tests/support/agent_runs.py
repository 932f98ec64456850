"""Running ``ai-employee cloud|local`` as a process in the tests, with its environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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


def run_agent(
    env: dict[str, str], role: str, passes: int = 1, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "ai-employee"), role, "--passes", str(passes), "--interval", "0.2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


INVOICE_TASK = """Azure Interior asked for the November consulting invoice.

```invoice
partner: Azure Interior
reference: PO-2026-11
lines:
  - {description: Consulting November, quantity: 12, price_unit: 100}
```
"""


def create_task(vault: Path, env: dict[str, str], title: str, body: str) -> None:
    from shared.settings import CoreSettings
    from shared.vault import Vault

    Vault(CoreSettings(role="cloud", vault=vault)).tasks.create(
        "accounting", title, body, source_id=title
    )
