"""A correctly set up dev stack passes: every check that applies to the role is ok, the
others are skipped and say why, and the exit code is 0."""

from __future__ import annotations

from collections.abc import Callable

from tests.doctor.conftest import DoctorStack
from tests.support.doctor import doctor


def test_a_healthy_cloud_passes(doctor_stack: DoctorStack, pm2_cloud: Callable[..., str]) -> None:
    run = doctor(doctor_stack.env("cloud"))
    print(run.output)
    assert run.exit_code == 0


def test_a_healthy_laptop_passes(doctor_stack: DoctorStack) -> None:
    run = doctor(doctor_stack.env("local"))
    print(run.output)
    assert run.exit_code == 0
