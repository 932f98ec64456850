"""The Odoo stand-in for the tests: one per module (``standin``), re-seeded for every test
(``odoo``), odoo-mcp servers of either role wired to it and to a fresh vault
(``odoo_servers``), and plain-odoorpc readers. Registered for every test by
``tests/conftest.py``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import odoorpc
import pytest
from mcp.server import MCPServer

from devstack.odoo_standin import StandinThread
from servers.odoo_mcp.server import build_server
from shared.settings import CoreSettings, OdooSettings
from tests.support.clock import TODAY, FakeClock


@pytest.fixture(scope="module")
def standin() -> Iterator[StandinThread]:
    with StandinThread(today=TODAY) as odoo:
        yield odoo


@pytest.fixture
def odoo(standin: StandinThread, clock: FakeClock) -> StandinThread:
    """The stand-in, re-seeded, its today the tests' clock's day."""
    standin.reset()
    today = clock().date().isoformat()
    standin.control(version="17.0", delay_s=0, stall=False, in_payment=False, today=today)
    return standin


def odoo_settings(
    url: str, user: str = "admin", password: str = "admin", **extra: Any
) -> OdooSettings:
    values: dict[str, Any] = {"timeout_s": 5} | extra
    return OdooSettings(url=url, db="acme", user=user, password=password, **values)


@pytest.fixture
def odoo_servers(
    odoo: StandinThread, make_settings: Callable[..., CoreSettings], clock: Any
) -> Callable[..., MCPServer[Any]]:
    def make(
        role: str, user: str = "admin", password: str = "admin", **extra: Any
    ) -> MCPServer[Any]:
        return build_server(
            make_settings(role), odoo_settings(odoo.url, user, password, **extra), clock
        )

    return make


def raw_odoo(odoo: StandinThread, user: str = "admin", password: str = "admin") -> Any:
    """Plain odoorpc, as a person's script would read Odoo."""
    client = odoorpc.ODOO("127.0.0.1", port=odoo.port)
    client.login("acme", user, password)
    return client


def read_move(odoo: StandinThread, move_id: int) -> dict[str, Any]:
    client = raw_odoo(odoo)
    (row,) = client.execute_kw(
        "account.move",
        "read",
        [[move_id], ["name", "state", "payment_state", "amount_total", "amount_residual"]],
    )
    return dict(row)


def first_invoice_name(odoo: StandinThread) -> str:
    """The name Odoo gives the first customer invoice of the stand-in's current year."""
    return f"INV/{odoo.control()['today'][:4]}/00001"


def count(odoo: StandinThread, model: str, domain: list[Any] | None = None) -> int:
    return int(raw_odoo(odoo).execute_kw(model, "search_count", [domain or []]))


CONSULTING = {"description": "Consulting, November", "quantity": 10, "price_unit": 100}
CHAIR = {"description": "Office chair", "quantity": 2, "price_unit": 250, "taxes": ["Tax 0%"]}
