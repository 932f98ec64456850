"""Real Odoo 18 (``tests/support/real_odoo.py``): one server per test session, a fresh copy
of its account database per test. Runs wherever ``../shared/odoo18/`` is; a machine
without the tarball skips with the reason, and any other failure to start is an error."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.real_odoo import TARBALL, RealOdoo, missing


@pytest.fixture(scope="session")
def real_odoo() -> Iterator[RealOdoo]:
    if not TARBALL.is_file():
        pytest.skip(f"NOT RUN: {missing()}")
    reason = missing()
    if reason:
        raise RuntimeError(f"real Odoo 18 cannot run: {reason}")
    with RealOdoo() as odoo:
        print(f"real Odoo 18 ready: {odoo.timings}")
        yield odoo


@pytest.fixture
def real_db(real_odoo: RealOdoo) -> str:
    return real_odoo.new_database()
