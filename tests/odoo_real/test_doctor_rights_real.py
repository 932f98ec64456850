"""``ai-employee doctor`` against a real Odoo 18 with our addon: the rights check answers
for each kind of user on each role as the table in tests/support/doctor.py says, the same
table the stand-in is held to (tests/doctor/test_doctor_odoo.py). A cloud user with only
the draft-only group passes; the administrator used as the cloud's user fails with "this
user can post invoices"; the laptop's Invoicing user passes. Odoo's answer is then checked
against what Odoo itself does: the users the doctor says can post, post."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import odoorpc
import pytest

from orchestrator.vault_init import init_vault
from tests.support.doctor import RIGHTS, USER_GROUPS, Rights, assert_rights, doctor
from tests.support.real_odoo import RealOdoo

pytestmark = pytest.mark.real_odoo


@pytest.fixture(scope="module")
def rights_db(real_odoo: RealOdoo) -> str:
    """A database with our addon and one user of each kind (password: the kind, "-pw")."""
    db = real_odoo.new_database("aie_draft_only")
    for kind, groups in USER_GROUPS.items():
        uid = real_odoo.add_user(db, kind, *groups)
        # not the login: a secret is scrubbed wherever the doctor shows it, the login too
        real_odoo.rpc(db).execute_kw("res.users", "write", [[uid], {"password": f"{kind}-pw"}])
    return db


@pytest.fixture(scope="module")
def machine(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A machine with a vault and nothing else set up: only Odoo is looked at here."""
    root = tmp_path_factory.mktemp("doctor-real-odoo")
    init_vault(root / "Vault")
    return {
        "AIE_VAULT": str(root / "Vault"),
        "SYNCTHING_HOME": str(root / "no-syncthing"),
        "PM2_HOME": str(root / "no-pm2"),
    }


def login_of(real_odoo: RealOdoo, user: str) -> tuple[str, str]:
    return real_odoo.admin if user == "admin" else (user, f"{user}-pw")


@pytest.mark.parametrize("expected", RIGHTS, ids=lambda r: f"{r.role}-{r.user}")
def test_the_rights_of_each_user_on_each_role(
    real_odoo: RealOdoo, rights_db: str, machine: dict[str, str], expected: Rights
) -> None:
    login, password = login_of(real_odoo, expected.user)
    env = machine | {
        "AIE_ROLE": expected.role,
        "AIE_ODOO_URL": real_odoo.url,
        "AIE_ODOO_DB": rights_db,
        "AIE_ODOO_USER": login,
        "AIE_ODOO_PASSWORD": password,
        "AIE_ODOO_TIMEOUT_S": "60",
    }
    run = doctor(env, "--timeout", "60")
    assert_rights(run, expected, login)
    assert "Odoo 18.0" in run.check("Odoo server")["detail"]
    assert password not in run.output


def _can_post(real_odoo: RealOdoo, db: str, login: str, password: str) -> bool:
    """Whether Odoo lets ``login`` post a draft invoice of its own making."""
    odoo = odoorpc.ODOO("127.0.0.1", port=real_odoo.http_port, timeout=60)
    odoo.login(db, login, password)
    partner = real_odoo.rpc(db).execute_kw("res.partner", "create", [{"name": f"For {login}"}])
    line: dict[str, Any] = {"name": "Work", "quantity": 1, "price_unit": 100}
    move = odoo.execute_kw(
        "account.move",
        "create",
        [{"move_type": "out_invoice", "partner_id": partner, "invoice_line_ids": [(0, 0, line)]}],
    )
    try:
        odoo.execute_kw("account.move", "action_post", [[move]])
    except odoorpc.error.RPCError as error:
        assert "You don't have the access rights to post an invoice" in str(error)
        return False
    return True


def test_what_the_doctor_says_is_what_odoo_does(real_odoo: RealOdoo, rights_db: str) -> None:
    """The rights check reads groups; Odoo decides by them when it posts. Each kind of user
    the table says can post (a laptop's user that passes) posts, and the others are refused."""
    for user in ("draft-only", "billing", "invoicing-admin"):
        passes_on_laptop = any(
            r.role == "local" and r.user == user and r.status == "ok" for r in RIGHTS
        )
        assert _can_post(real_odoo, rights_db, *login_of(real_odoo, user)) is passes_on_laptop


def test_no_draft_only_group_without_the_addon(
    real_odoo: RealOdoo, machine: dict[str, str], tmp_path: Path
) -> None:
    """On an Odoo without our addon the group is unknown: Odoo answers false (no error),
    and the check says to install the addon."""
    db = real_odoo.new_database()
    real_odoo.add_user(db, "plain")
    env = machine | {
        "AIE_ROLE": "cloud",
        "AIE_ODOO_URL": real_odoo.url,
        "AIE_ODOO_DB": db,
        "AIE_ODOO_USER": "plain",
        "AIE_ODOO_PASSWORD": "plain",
    }
    run = doctor(env, "--timeout", "60")
    check = run.check("Odoo rights")
    assert check["status"] == "fail", check
    assert "install the addon deployment/odoo_addons/aie_draft_only" in check["fix"]
