"""The JSON-2 transport (Odoo 19) against the stand-in's JSON-2 route: named arguments,
API keys, and Odoo's errors mapped to the same errors as over JSON-RPC."""

from __future__ import annotations

import pytest
from mcp import Client

from servers.odoo_mcp.json2 import named_arguments
from servers.odoo_mcp.rpc import OdooClient, OdooLoginFailed, OdooRefused, OdooUnavailable
from tests.support.odoo_fixtures import odoo_settings
from tests.support.tool_calls import error_text, ok

KEY = "acme-admin-api-key"


def test_positional_arguments_get_their_names() -> None:
    assert named_arguments("create", [{"name": "A"}], {}) == {"vals_list": [{"name": "A"}]}
    assert named_arguments("search_read", [[["id", "=", 1]]], {"fields": ["name"]}) == {
        "domain": [["id", "=", 1]],
        "fields": ["name"],
    }
    assert named_arguments("action_post", [[7]], {"context": {}}) == {"ids": [7], "context": {}}
    assert named_arguments("write", [[7], {"ref": "x"}], {}) == {"ids": [7], "vals": {"ref": "x"}}
    with pytest.raises(ValueError, match="named arguments"):
        named_arguments("action_post", [[7], "surplus"], {})


@pytest.mark.anyio
async def test_json2_logs_in_with_an_api_key_and_maps_odoos_errors(odoo) -> None:
    odoo.control(version="19.0")
    client = OdooClient(odoo_settings(odoo.url, password=KEY, protocol="json2"))
    session = await client.connect()
    assert session.major == 19 and session.uid == 2
    new = await client.call("res.partner", "create", {"name": "Json Two Ltd"}, write=True)
    assert isinstance(new, int)  # one dict in, one id out, as over JSON-RPC
    rows = await client.call("res.partner", "search_read", [["id", "=", new]], fields=["name"])
    assert rows == [{"id": new, "name": "Json Two Ltd"}]
    with pytest.raises(OdooRefused, match=r"Odoo refused \(MissingError\)"):
        await client.call("account.move", "action_post", [999999], write=True)


@pytest.mark.anyio
async def test_json2_refuses_a_password_and_names_the_setting(odoo) -> None:
    odoo.control(version="19.0")
    client = OdooClient(odoo_settings(odoo.url, password="admin", protocol="json2"))
    with pytest.raises(OdooLoginFailed, match="JSON-2 takes an API key") as refused:
        await client.connect()
    assert "AIE_ODOO_PROTOCOL=jsonrpc" in str(refused.value)
    assert "admin" not in str(refused.value).replace("'admin'", "")


@pytest.mark.anyio
async def test_auto_on_odoo_19_with_a_password_says_what_to_do(odoo, odoo_servers) -> None:
    odoo.control(version="19.0")
    async with Client(odoo_servers("cloud", password="admin")) as cloud:
        text = await error_text(cloud, "partner_find", query="Azure")
    assert "JSON-2 takes an API key" in text and "AIE_ODOO_PROTOCOL=jsonrpc" in text
    async with Client(odoo_servers("cloud", password="admin", protocol="jsonrpc")) as cloud:
        assert (await ok(cloud, "partner_find", query="Azure"))["partners"]


@pytest.mark.anyio
async def test_json2_with_odoo_down_is_unavailable() -> None:
    client = OdooClient(odoo_settings("http://127.0.0.1:9", password=KEY, protocol="json2"))
    with pytest.raises(OdooUnavailable, match="unreachable"):
        await client.connect()
