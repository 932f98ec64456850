"""odoo-mcp when Odoo misbehaves: down at start, restarted, dropping connections, stalling,
refusing credentials; and the real command over stdio, including a SIGKILL right after
Odoo posted or registered a payment (the restart reports it, never does it twice)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters

from devstack.mail_servers import free_port
from devstack.odoo_standin import StandinProcess
from servers.odoo_mcp.server import build_server
from tests.support.approving import approve
from tests.support.clock import TODAY
from tests.support.odoo_fixtures import (
    CONSULTING,
    count,
    first_invoice_name,
    odoo_settings,
    read_move,
)
from tests.support.tool_calls import error_text, ok

pytestmark = [pytest.mark.anyio, pytest.mark.clock]
BIN = Path(sys.executable).parent


async def test_starts_while_odoo_is_down_and_works_once_it_is_up(
    tmp_path, make_settings, clock
) -> None:
    port = free_port()
    server = build_server(make_settings("local"), odoo_settings(f"http://127.0.0.1:{port}"), clock)
    async with Client(server) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        assert "invoice_create_draft" in tools and "invoice_post_approved" in tools
        down = await error_text(client, "partner_find", query="Azure")
        assert f"Odoo at http://127.0.0.1:{port} is unreachable" in down
        with StandinProcess(port=port, today=TODAY, db_path=tmp_path / "odoo.sqlite") as odoo:
            found = await ok(client, "partner_find", query="Azure")
            assert found["partners"][0]["name"] == "Azure Interior"
            draft = await ok(
                client, "invoice_create_draft", partner="Azure Interior", lines=[CONSULTING]
            )
        down = await error_text(client, "invoice_get", invoice_id=draft["invoice_id"])
        assert "unreachable" in down
        with StandinProcess(port=port, today=TODAY, db_path=tmp_path / "odoo.sqlite") as odoo:
            again = await ok(client, "invoice_get", invoice_id=draft["invoice_id"])  # logs in again
            assert again["amount_total"] == 1150.0
            assert odoo.stats()["calls"]["common.login"] == 1


async def test_a_dropped_read_is_retried_a_dropped_write_is_not(odoo, odoo_servers) -> None:
    async with Client(odoo_servers("cloud")) as cloud:
        await ok(cloud, "partner_find", query="Deco")
        odoo.control(drop_next=1)
        found = await ok(cloud, "partner_find", query="Deco")
        assert found["partners"][0]["name"] == "Deco Addict"
        await ok(cloud, "invoice_list")  # the tax and partner lookups are warm now
        odoo.control(drop_next=1)
        # the partner lookup (a read) is retried; the create would not be, but it got through
        draft = await ok(cloud, "invoice_create_draft", partner="Deco Addict", lines=[CONSULTING])
        assert draft["created"]
    assert count(odoo, "account.move") == 1


async def test_a_stalled_odoo_gives_a_clear_error_not_a_hang(odoo, odoo_servers) -> None:
    async with Client(odoo_servers("cloud", timeout_s=1)) as cloud:
        await ok(cloud, "partner_find", query="Deco")
        odoo.control(stall=True)
        try:
            with anyio.fail_after(10):
                text = await error_text(
                    cloud, "invoice_create_draft", partner=5, lines=[CONSULTING]
                )
        finally:
            odoo.control(stall=False)
    assert "did not answer within 1 s" in text and "check before retrying" in text


async def test_wrong_credentials_and_api_keys(odoo, odoo_servers) -> None:
    async with Client(odoo_servers("cloud", password="wrong")) as cloud:
        text = await error_text(cloud, "partner_find", query="Azure")
    assert "Odoo refused the login of 'admin' on database 'acme'" in text
    assert "AIE_ODOO_PASSWORD" in text and "wrong" not in text.replace("Wrong", "")
    async with Client(odoo_servers("cloud", password="acme-admin-api-key")) as cloud:
        assert (await ok(cloud, "partner_find", query="Azure"))["partners"]


def _stdio(odoo_url: str, vault: Path, role: str = "local", **extra: str) -> StdioServerParameters:
    env = {
        "AIE_ROLE": role,
        "AIE_VAULT": str(vault),
        "AIE_ODOO_URL": odoo_url,
        "AIE_ODOO_DB": "acme",
        "AIE_ODOO_USER": "admin",
        "AIE_ODOO_PASSWORD": "admin",
    } | extra
    return StdioServerParameters(command=str(BIN / "odoo-mcp"), args=[], env=env)


@pytest.mark.parametrize("step", ["post", "payment"])
async def test_sigkill_right_after_odoo_did_it_never_does_it_twice(
    odoo, odoo_servers, vault_path, step
) -> None:
    async with Client(odoo_servers("cloud")) as cloud, Client(odoo_servers("local")) as local:
        invoice = await ok(
            cloud, "invoice_create_draft", partner="Azure Interior", lines=[CONSULTING]
        )
        request = await ok(cloud, "invoice_request_post", invoice_id=invoice["invoice_id"])
        if step == "payment":
            _approve(vault_path, request)
            await ok(local, "invoice_post_approved", approval_id=request["approval_id"])
            request = await ok(
                cloud, "payment_request", invoice_id=invoice["invoice_id"], amount=150
            )
    _approve(vault_path, request)
    tool = "invoice_post_approved" if step == "post" else "payment_register_approved"
    crashing = _stdio(odoo.url, vault_path, AIE_FAULT_INJECT=f"after_odoo_{step}")
    with pytest.raises(Exception):  # noqa: B017 - the server process dies mid-call
        with anyio.fail_after(30):
            async with Client(crashing, mode="legacy") as client:
                await client.call_tool(tool, {"approval_id": request["approval_id"]})
    assert (vault_path / "Approved" / f"{request['approval_id']}.md").is_file()  # not filed yet

    with anyio.fail_after(30):
        async with Client(_stdio(odoo.url, vault_path), mode="legacy") as client:
            done = await ok(client, tool, approval_id=request["approval_id"])
            again = await error_text(client, tool, approval_id=request["approval_id"])
    assert "already executed" in again
    assert (vault_path / "Done" / f"{request['approval_id']}.md").is_file()
    if step == "post":
        assert done["state"] == "posted" and done["name"] == first_invoice_name(odoo)
        assert count(odoo, "account.move", [["state", "=", "posted"]]) == 1
    else:
        assert done["recovered"] and done["amount"] == 150.0
        assert count(odoo, "account.payment") == 1
        assert read_move(odoo, invoice["invoice_id"])["amount_residual"] == 1000.0


def _approve(vault: Path, request: dict) -> None:
    pending = vault / request["path"]
    approve(vault, pending)


async def test_the_command_lists_tools_per_role_with_odoo_down(vault_path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    names = {}
    for role in ("cloud", "local"):
        with anyio.fail_after(30):
            async with Client(_stdio(dead, vault_path, role), mode="legacy") as client:
                names[role] = {t.name for t in (await client.list_tools()).tools}
    assert names["local"] - names["cloud"] == {"invoice_post_approved", "payment_register_approved"}
    assert len(names["cloud"]) == 8


@pytest.mark.parametrize(
    "env, line",
    [
        ({"AIE_ODOO_URL": "odoo.example.com"}, "AIE_ODOO_URL: String should match pattern"),
        (
            {"AIE_ODOO_URL": "https://odoo.example.com/web/login"},
            "AIE_ODOO_URL: must be the server's address",
        ),
        ({"AIE_ODOO_MODE": "yolo"}, "AIE_ODOO_MODE: Input should be 'draft' or 'live'"),
        ({"AIE_ROLE": "cloud", "AIE_ODOO_MODE": "live"}, "AIE_ODOO_MODE=live needs AIE_ROLE=local"),
        ({"AIE_ODOO_PASSWORD": ""}, "AIE_ODOO_PASSWORD"),
    ],
)
def test_a_bad_setting_stops_start_up_with_one_line(vault_path, env, line) -> None:
    base = {
        "AIE_ROLE": "local",
        "AIE_VAULT": str(vault_path),
        "AIE_ODOO_URL": "https://odoo.example.com",
        "AIE_ODOO_DB": "acme",
        "AIE_ODOO_USER": "admin",
        "AIE_ODOO_PASSWORD": "s3cret-value",
    }
    env = {k: v for k, v in (base | env).items() if v != ""}
    proc = subprocess.run(
        [str(BIN / "odoo-mcp")],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 2, proc.stderr
    assert line in proc.stderr
    assert "Traceback" not in proc.stderr and "s3cret-value" not in proc.stderr
