"""What the doctor prints: one JSON object with what monitoring needs, or a table with a
mark per check and the fixes; the exit code (0 healthy, 1 on any failure, 2 without a
role); and never a secret, in either form, whether the checks pass or fail."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.doctor import DoctorRun, doctor
from tests.support.doctor_stack import DoctorStack

pytestmark = pytest.mark.xdist_group("doctor")  # one dev stack (and one PM2) per run

FIELDS = {"area", "name", "status", "mark", "detail", "fix", "seconds"}
MARKS = {"ok": "✓", "warn": "!", "fail": "✗", "skip": "-"}


def assert_report(run: DoctorRun, role: str) -> None:
    report = run.report
    assert set(report) == {"role", "ok", "summary", "checks"}
    assert report["role"] == role
    checks = report["checks"]
    assert checks and all(set(c) == FIELDS for c in checks)
    counted = {s: sum(c["status"] == s for c in checks) for s in MARKS}
    assert report["summary"] == counted
    assert report["ok"] is (counted["fail"] == 0) is (run.exit_code == 0)
    for check in checks:
        assert check["mark"] == MARKS[check["status"]], check
        assert isinstance(check["seconds"], int | float) and 0 <= check["seconds"] < 60
        assert check["detail"], check
        assert bool(check["fix"]) is (check["status"] in ("fail", "warn")), check
    names = [(c["area"], c["name"]) for c in checks]
    assert len(set(names)) == len(names)


def test_json_for_monitoring(doctor_stack: DoctorStack) -> None:
    healthy = doctor(doctor_stack.env("local"))
    assert_report(healthy, "local")
    assert (healthy.exit_code, healthy.report["ok"], healthy.report["summary"]["fail"]) == (
        0,
        True,
        0,
    )
    areas = {c["area"] for c in healthy.report["checks"]}
    assert areas == {"settings", "vault", "sync", "mail", "odoo", "claude", "pm2"}

    broken = doctor(doctor_stack.env("local") | {"AIE_ODOO_PASSWORD": "not-it"})
    assert_report(broken, "local")
    assert (broken.exit_code, broken.report["ok"], broken.report["summary"]["fail"]) == (
        1,
        False,
        1,
    )


def test_the_table_and_its_exit_codes(doctor_stack: DoctorStack) -> None:
    healthy = doctor(doctor_stack.env("local", claude=False), json_output=False)
    assert healthy.exit_code == 0
    assert "ai-employee doctor (local)" in healthy.output
    assert "✓" in healthy.output and "✗" not in healthy.output
    assert "0 failed, 0 warnings" in healthy.output

    env = doctor_stack.env("local", claude=False) | {"AIE_IMAP_PASSWORD": "not-it"}
    broken = doctor(env, json_output=False)
    assert broken.exit_code == 1
    row = next(line for line in broken.output.splitlines() if "IMAP login" in line)
    assert "✗" in row
    assert "fix: set AIE_IMAP_USER and AIE_IMAP_PASSWORD" in broken.output
    assert "1 failed" in broken.output


def test_no_role_is_a_usage_error(doctor_stack: DoctorStack) -> None:
    env = doctor_stack.env("local", claude=False)
    del env["AIE_ROLE"]
    run = doctor(env, json_output=False)
    assert run.exit_code == 2
    assert "give --role cloud|local or set AIE_ROLE" in run.output
    assert doctor(env, "--role", "local").exit_code == 0


def test_no_secret_is_ever_shown(doctor_stack: DoctorStack, pm2_cloud: Callable[..., str]) -> None:
    """Healthy and broken, table and JSON, each role. The broken runs hold wrong secrets
    (which are secrets too), a mailbox user that contains its password, and a setting
    pydantic would echo with the others' values."""
    wrong = {
        "AIE_IMAP_PASSWORD": "wrong-imap-s3cret",
        "AIE_SMTP_PASSWORD": "wrong-smtp-s3cret",
        "AIE_ODOO_PASSWORD": "wrong-odoo-s3cret",
        "SYNCTHING_API_KEY": "wrong-syncthing-s3cret",
        "ANTHROPIC_API_KEY": "wrong-anthropic-s3cret",
    }
    secrets = [*doctor_stack.secrets(), *wrong.values()]
    ops = doctor_stack.mail.users["ops@example.test"]
    environments = [
        doctor_stack.env("local"),
        doctor_stack.env("cloud"),
        doctor_stack.env("local") | wrong,
        doctor_stack.env("cloud", claude=False) | {"AIE_ODOO_USER": "admin"},
        doctor_stack.env("local", claude=False) | {"AIE_IMAP_USER": f"{ops}@example.test"},
        doctor_stack.env("local", claude=False) | {"AIE_IMAP_PORT": "not-a-port"},
    ]
    runs = [doctor(env, json_output=j) for env in environments for j in (True, False)]
    for run in runs:
        shown = [s for s in secrets if s in run.output]
        assert not shown, (shown, run.output)
    assert [run.exit_code for run in runs] == [0] * 4 + [1] * 8  # healthy, then broken
    user = runs[8].check("IMAP login")
    assert "'[redacted]@example.test'" in user["detail"], user
