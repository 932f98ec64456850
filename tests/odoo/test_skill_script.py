"""The odoo-accounting skill's script, run as a person would run it, against the stand-in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.support.approving import approve
from tests.support.node_tools import ROOT
from tests.support.odoo_fixtures import first_invoice_name, read_move

SCRIPT = ROOT / ".claude" / "skills" / "odoo-accounting" / "scripts" / "main_operation.py"


def run(odoo: Any, vault: Path, role: str, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIE_")} | {
        "AIE_ROLE": role,
        "AIE_VAULT": str(vault),
        "AIE_ODOO_URL": odoo.url,
        "AIE_ODOO_DB": "acme",
        "AIE_ODOO_USER": "admin",
        "AIE_ODOO_PASSWORD": "admin",
    }
    return subprocess.run(
        [sys.executable, str(SCRIPT), *argv], env=env, capture_output=True, text=True, timeout=60
    )


def test_draft_request_approve_post_from_the_command_line(odoo, vault_path) -> None:
    made = run(
        odoo,
        vault_path,
        "cloud",
        "--mode",
        "draft",
        "draft",
        "--partner",
        "Azure Interior",
        "--line",
        "Consulting;10;100",
        "--line",
        "Chair;1;250;-",
    )
    assert made.returncode == 0, made.stderr
    invoice = json.loads(made.stdout)
    assert invoice["amount_total"] == 1400.0

    asked = run(
        odoo, vault_path, "cloud", "--mode", "draft", "request-post", str(invoice["invoice_id"])
    )
    request = json.loads(asked.stdout)
    refused = run(odoo, vault_path, "cloud", "--mode", "draft", "post", request["approval_id"])
    assert refused.returncode == 2 and "only in --mode live" in refused.stderr
    on_cloud = run(odoo, vault_path, "cloud", "--mode", "live", "post", request["approval_id"])
    assert on_cloud.returncode == 2 and "AIE_ROLE=local" in on_cloud.stderr

    early = run(odoo, vault_path, "local", "--mode", "live", "post", request["approval_id"])
    assert early.returncode == 1 and "Pending_Approval" in early.stderr
    pending = vault_path / request["path"]
    approve(vault_path, pending)
    posted = run(odoo, vault_path, "local", "--mode", "live", "post", request["approval_id"])
    assert posted.returncode == 0, posted.stderr
    assert json.loads(posted.stdout)["name"] == first_invoice_name(odoo)
    assert read_move(odoo, invoice["invoice_id"])["state"] == "posted"

    summary = run(odoo, vault_path, "cloud", "--mode", "draft", "summary")
    assert json.loads(summary.stdout)["receivable"] == 1400.0
