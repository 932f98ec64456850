"""Running ``ai-employee doctor`` in this process, with exactly the environment given (every
AIE_*, SYNCTHING_*, ANTHROPIC_*, CLAUDE_* and PM2_* setting of the test process is removed
first), from a folder with no ``.env`` unless the test writes one there."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from orchestrator.cli import app

_OURS = ("AIE_", "SYNCTHING_", "ANTHROPIC_", "PM2_", "CLAUDE_")
NO_DOTENV = Path(tempfile.mkdtemp(prefix="aie-doctor-cwd-"))


@dataclass
class DoctorRun:
    exit_code: int
    output: str
    report: dict[str, Any]

    def check(self, name: str) -> dict[str, Any]:
        (found,) = [c for c in self.report["checks"] if c["name"] == name]
        return dict(found)

    def failed(self) -> list[str]:
        return [c["name"] for c in self.report["checks"] if c["status"] == "fail"]

    def statuses(self) -> dict[str, str]:
        return {c["name"]: c["status"] for c in self.report["checks"]}


def doctor(
    env: dict[str, str], *args: str, json_output: bool = True, cwd: Path = NO_DOTENV
) -> DoctorRun:
    """``ai-employee doctor [--json] ARGS`` with ``env``, run in ``cwd``; the table is 200
    columns wide."""
    cleared: dict[str, str | None] = {k: None for k in os.environ if k.startswith(_OURS)}
    argv = ["doctor", *(["--json"] if json_output else []), *args]
    with contextlib.chdir(cwd):
        result = CliRunner().invoke(app, argv, env=cleared | env | {"COLUMNS": "200"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    report = json.loads(result.stdout) if json_output else {}
    return DoctorRun(result.exit_code, result.stdout, report)


def failing(
    run: DoctorRun, name: str, fix: str, detail: str = "", also: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The check ``name`` failed, saying ``detail`` and with a fix that says ``fix``; no
    other check failed but ``also`` (what the same cause breaks too); the exit code is 1."""
    check = run.check(name)
    assert check["status"] == "fail", f"{name}: {check}\n{run.output}"
    assert fix in check["fix"], check
    assert detail in check["detail"], check
    assert sorted(run.failed()) == sorted([name, *also]), run.output
    assert run.exit_code == 1
    return check


def passing(run: DoctorRun, *names: str) -> None:
    """Each of ``names`` is ok (a test's positive control in the same run)."""
    for name in names:
        assert run.check(name)["status"] == "ok", run.check(name)


# -- Odoo rights: one table for the stand-in (tests/doctor) and the real Odoo 18
# (tests/odoo_real), so that the two are held to the same answers ----------------------------

DRAFT_ONLY_GROUP = "aie_draft_only.group_draft_only"
# the kinds of Odoo user, made alike on both servers: Internal User plus these groups
USER_GROUPS: dict[str, tuple[str, ...]] = {
    "draft-only": (DRAFT_ONLY_GROUP,),  # what the deployment guide gives the VM
    "internal": (),  # our addon's group forgotten
    "billing": ("account.group_account_invoice",),  # Invoicing / Billing
    "invoicing-admin": ("account.group_account_manager",),  # Billing comes implied
}


@dataclass(frozen=True)
class Rights:
    """The rights check for ``user`` (a kind above, or ``admin``, the database's
    administrator) on ``role``: its status, what it says, and what its fix says."""

    role: str
    user: str
    status: str
    says: str
    fix: str = ""


_VM_USER = "give the VM its own Odoo user, without any Invoicing level"
RIGHTS = (
    Rights("cloud", "draft-only", "ok", "drafts only: in aie_draft_only.group_draft_only"),
    Rights("cloud", "admin", "fail", "this user can post invoices", _VM_USER),
    Rights("cloud", "invoicing-admin", "fail", "this user can post invoices", _VM_USER),
    Rights(
        "cloud",
        "internal",
        "fail",
        "is not in our draft-only group",
        "put the user in 'AI Employee: draft invoices only'",
    ),
    Rights("local", "billing", "ok", "can post invoices and register payments"),
    Rights("local", "invoicing-admin", "ok", "can post invoices and register payments"),
    Rights("local", "admin", "ok", "can post invoices and register payments"),
    Rights(
        "local",
        "draft-only",
        "fail",
        "this user cannot post invoices",
        "set Invoicing to Billing (or Administrator)",
    ),
)


def assert_rights(run: DoctorRun, expected: Rights, login: str) -> None:
    """The Odoo checks of ``run`` as ``expected`` says, the server and login passing."""
    passing(run, "Odoo server", "Odoo login")
    check = run.check("Odoo rights")
    assert check["status"] == expected.status, (expected, check)
    assert expected.says in check["detail"], check
    assert repr(login) in check["detail"], check
    assert expected.fix in check["fix"], check
