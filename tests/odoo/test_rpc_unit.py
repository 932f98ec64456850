"""The RPC adapter's session rules, with a scripted transport (pure logic, no server)."""

from __future__ import annotations

from typing import Any

import odoorpc.error
import pytest

from servers.odoo_mcp.rpc import OdooClient, OdooLoginFailed, OdooRefused, OdooUnavailable
from tests.support.odoo_fixtures import odoo_settings

pytestmark = pytest.mark.anyio


def odoo_error(name: str, message: str, code: int = 200) -> odoorpc.error.RPCError:
    info = {
        "code": code,
        "message": "Odoo Server Error",
        "data": {"name": name, "message": message},
    }
    return odoorpc.error.RPCError(message, info)


class Scripted:
    """Answers each execute_kw with the next scripted outcome; counts logins."""

    def __init__(self, *outcomes: Any) -> None:
        self.outcomes = list(outcomes)
        self.logins = 0
        self.server_version = "17.0"

    def login(self) -> int:
        self.logins += 1
        return 2

    def execute_kw(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


async def test_logs_in_on_first_use_and_keeps_the_session() -> None:
    transport = Scripted([1], [2], [3])
    client = OdooClient(odoo_settings("http://127.0.0.1:1"), transport)
    assert transport.logins == 0
    for expected in ([1], [2], [3]):
        assert await client.call("res.partner", "search", []) == expected
    assert transport.logins == 1


@pytest.mark.parametrize(
    "expiry",
    [
        odoo_error("odoo.exceptions.AccessDenied", "Access Denied"),
        odoo_error("", "Odoo Session Expired", code=100),
    ],
)
async def test_an_expired_session_logs_in_again_once(expiry: Exception) -> None:
    transport = Scripted(expiry, [7])
    client = OdooClient(odoo_settings("http://127.0.0.1:1"), transport)
    assert await client.call("res.partner", "search", [], write=True) == [7]
    assert transport.logins == 2

    transport = Scripted(expiry, expiry)
    client = OdooClient(odoo_settings("http://127.0.0.1:1"), transport)
    with pytest.raises(OdooLoginFailed, match="again after a new login"):
        await client.call("res.partner", "search", [])
    assert transport.logins == 2


async def test_odoo_errors_keep_odoo_s_message() -> None:
    text = "The entry INV/2026/00001 (id 1) must be in draft."
    client = OdooClient(
        odoo_settings("http://127.0.0.1:1"), Scripted(odoo_error("odoo.exceptions.UserError", text))
    )
    with pytest.raises(OdooRefused) as caught:
        await client.call("account.move", "action_post", [1], write=True)
    assert str(caught.value) == f"Odoo refused (UserError): {text}"
    assert caught.value.kind == "UserError" and caught.value.odoo_message == text


async def test_odoo_without_its_database_is_unavailable_and_a_read_is_tried_again() -> None:
    """What a real Odoo 18 answers while its PostgreSQL is down."""
    down = odoo_error(
        "psycopg2.OperationalError",
        'connection to server at "127.0.0.1", port 5432 failed: Connection refused\n'
        "\tIs the server running on that host and accepting TCP/IP connections?\n",
    )
    client = OdooClient(odoo_settings("http://127.0.0.1:1"), Scripted(down, [3]))
    assert await client.call("res.partner", "search", []) == [3]  # a read, once more

    client = OdooClient(odoo_settings("http://127.0.0.1:1"), Scripted(down, [3]))
    with pytest.raises(OdooUnavailable) as caught:
        await client.call("account.move", "action_post", [1], write=True)  # never retried
    assert str(caught.value) == (
        'Odoo cannot reach its database (connection to server at "127.0.0.1", port 5432 '
        "failed: Connection refused); the tool will work once PostgreSQL is back"
    )
