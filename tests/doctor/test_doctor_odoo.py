"""Odoo, against the stand-in of the dev stack: unreachable, a refused login, a protocol the
server does not speak, and the rights of each kind of user on each role, by the table that
tests/odoo_real/test_doctor_rights_real.py holds the real Odoo 18 to."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from devstack.mail_servers import free_port
from devstack.odoo_standin import StandinThread
from tests.support.doctor import RIGHTS, USER_GROUPS, Rights, assert_rights, doctor, failing
from tests.support.doctor_stack import DoctorStack

pytestmark = pytest.mark.xdist_group("doctor")  # one dev stack (and one PM2) per run

SERVER, LOGIN, RIGHTS_CHECK = "Odoo server", "Odoo login", "Odoo rights"
ADMIN = ("admin", "acme-admin-api-key")


def test_an_unreachable_odoo(doctor_stack: DoctorStack) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    run = doctor(doctor_stack.env("local", claude=False) | {"AIE_ODOO_URL": url})
    failing(
        run,
        SERVER,
        fix="check that Odoo is up and AIE_ODOO_URL is its address",
        detail=f"Odoo at {url} does not answer as Odoo",
    )
    assert {run.check(n)["status"] for n in (LOGIN, RIGHTS_CHECK)} == {"skip"}


def test_a_refused_odoo_password(doctor_stack: DoctorStack) -> None:
    run = doctor(doctor_stack.env("local", claude=False) | {"AIE_ODOO_PASSWORD": "not-it"})
    failing(
        run,
        LOGIN,
        fix="set AIE_ODOO_USER to the login and AIE_ODOO_PASSWORD to its password or an API key",
        detail="refused the login of 'admin'",
    )
    assert run.check(RIGHTS_CHECK)["status"] == "skip"
    assert "not-it" not in run.output


def test_json2_asked_of_an_odoo_without_it(doctor_stack: DoctorStack) -> None:
    """The stand-in plays Odoo 17, which has no JSON-2 API (Odoo 19 on)."""
    run = doctor(doctor_stack.env("local", claude=False) | {"AIE_ODOO_PROTOCOL": "json2"})
    failing(run, SERVER, fix="set AIE_ODOO_PROTOCOL=auto", detail="has no JSON-2 API")


def standin_users(odoo: StandinThread) -> dict[str, tuple[str, str]]:
    """(login, password) of each kind of user on the stand-in, made as on the real Odoo:
    Internal User plus the kind's groups (once per stand-in)."""
    ref = {
        group: odoo.call("ir.model.data", "check_object_reference", *group.split("."))[1]
        for group in ("base.group_user", *(g for gs in USER_GROUPS.values() for g in gs))
    }
    users = {"admin": ADMIN}
    for kind, groups in USER_GROUPS.items():
        if not odoo.call("res.users", "search", [("login", "=", kind)]):
            ids = [ref["base.group_user"], *(ref[g] for g in groups)]
            vals = {"login": kind, "name": kind, "password": f"{kind}-pw"}
            odoo.call("res.users", "create", vals | {"groups_id": [(6, 0, ids)]})
        users[kind] = (kind, f"{kind}-pw")
    return users


@pytest.mark.parametrize("expected", RIGHTS, ids=lambda r: f"{r.role}-{r.user}")
def test_the_rights_of_each_user_on_each_role(
    doctor_stack: DoctorStack, pm2_cloud: Callable[..., str], expected: Rights
) -> None:
    login, password = standin_users(doctor_stack.odoo)[expected.user]
    env = doctor_stack.env(expected.role, claude=False)
    run = doctor(env | {"AIE_ODOO_USER": login, "AIE_ODOO_PASSWORD": password})
    assert_rights(run, expected, login)
    if expected.status == "fail":
        failing(run, RIGHTS_CHECK, fix=expected.fix, detail=expected.says)
    else:
        assert run.exit_code == 0, run.output
