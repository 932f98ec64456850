"""A correctly set up dev stack passes: every check that applies to the role is ok (no
warning either), the others are skipped and say why, and the exit code is 0. This is the
positive control of every failure test beside it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.doctor import DoctorRun, doctor
from tests.support.doctor_stack import DoctorStack
from tests.support.node_tools import BIN

pytestmark = pytest.mark.xdist_group("doctor")  # one dev stack (and one PM2) per run

CLAUDE = ("Claude Code CLI", "Claude Code login", "Claude Code skills")


def assert_healthy(run: DoctorRun, not_for_this_role: str) -> None:
    print(run.output)
    skipped = {name for name, status in run.statuses().items() if status == "skip"}
    expected = {not_for_this_role} | (set() if (BIN / "claude").exists() else set(CLAUDE))
    assert skipped == expected, run.statuses()
    assert set(run.statuses().values()) == {"ok", "skip"}, run.statuses()
    assert run.exit_code == 0
    assert len(run.report["checks"]) == 19


def test_a_healthy_cloud_passes(doctor_stack: DoctorStack, pm2_cloud: Callable[..., str]) -> None:
    run = doctor(doctor_stack.env("cloud"))
    assert_healthy(run, "SMTP login")
    assert "drafts only" in run.check("Odoo rights")["detail"]


def test_a_healthy_laptop_passes(doctor_stack: DoctorStack) -> None:
    run = doctor(doctor_stack.env("local"))
    assert_healthy(run, "PM2 apps")
    assert "can post invoices" in run.check("Odoo rights")["detail"]
