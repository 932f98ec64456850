"""Faults on a real Odoo 18: odoo-mcp killed right after Odoo did the work, PostgreSQL
stopped and started (an Odoo restart mid-run is in ``test_odoo_rights_real.py``, with the
keys it ends). Each ends with nothing posted or paid twice, read
back from the real ledger with plain odoorpc."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

from tests.support.approving import approve
from tests.support.real_odoo import RealOdoo, read_move, servers
from tests.support.tool_calls import error_text, ok

pytestmark = [pytest.mark.anyio, pytest.mark.real_odoo]

BIN = Path(sys.executable).parent
LINES = [{"description": "Consulting", "quantity": 10, "price_unit": 100, "taxes": ["15%"]}]


def odoo_mcp(real_odoo: RealOdoo, db: str, vault: Path, **extra: str) -> StdioServerParameters:
    """odoo-mcp as a process on the laptop, against the real server."""
    env = {
        "AIE_ROLE": "local",
        "AIE_VAULT": str(vault),
        "AIE_ODOO_URL": real_odoo.url,
        "AIE_ODOO_DB": db,
        "AIE_ODOO_USER": "admin",
        "AIE_ODOO_PASSWORD": real_odoo.admin_key,
        "AIE_ODOO_TIMEOUT": "60",
    } | extra
    return StdioServerParameters(command=str(BIN / "odoo-mcp"), args=[], env=env)


async def drafted_and_requested(cloud: Client, vault: Path) -> dict[str, Any]:
    partner = await ok(cloud, "partner_create", name="Azure Interior", email="a@example.test")
    draft = await ok(cloud, "invoice_create_draft", partner=partner["id"], lines=LINES)
    request = await ok(cloud, "invoice_request_post", invoice_id=draft["invoice_id"])
    approve(vault, vault / request["path"])
    return request | {"invoice_id": draft["invoice_id"]}


@pytest.mark.parametrize("step", ["post", "payment"])
async def test_sigkill_right_after_odoo_did_it_never_does_it_twice(
    real_odoo: RealOdoo,
    real_db: str,
    make_settings: Any,
    clock: Any,
    vault_path: Path,
    step: str,
) -> None:
    real_odoo.outstanding_receipts(real_db)
    cloud_server = servers(real_odoo, real_db, make_settings, clock, "cloud")
    local_server = servers(real_odoo, real_db, make_settings, clock, "local")
    async with Client(cloud_server) as cloud, Client(local_server) as local:
        request = await drafted_and_requested(cloud, vault_path)
        invoice_id = request["invoice_id"]
        if step == "payment":
            await ok(local, "invoice_post_approved", approval_id=request["approval_id"])
            request = await ok(cloud, "payment_request", invoice_id=invoice_id, amount=150)
            approve(vault_path, vault_path / request["path"])
    tool = "invoice_post_approved" if step == "post" else "payment_register_approved"

    crashing = odoo_mcp(real_odoo, real_db, vault_path, AIE_FAULT_INJECT=f"after_odoo_{step}")
    with pytest.raises(Exception):  # noqa: B017 - the server process dies mid-call
        with anyio.fail_after(60):
            async with Client(crashing, mode="legacy") as client:
                await client.call_tool(tool, {"approval_id": request["approval_id"]})
    assert (vault_path / "Approved" / f"{request['approval_id']}.md").is_file()  # not filed

    with anyio.fail_after(60):
        async with Client(odoo_mcp(real_odoo, real_db, vault_path), mode="legacy") as client:
            done = await ok(client, tool, approval_id=request["approval_id"])
            again = await error_text(client, tool, approval_id=request["approval_id"])
    assert "already executed" in again
    assert (vault_path / "Done" / f"{request['approval_id']}.md").is_file()

    admin = real_odoo.rpc(real_db)
    in_odoo = read_move(real_odoo, real_db, invoice_id)
    if step == "post":
        assert done["state"] == "posted" and done["name"] == in_odoo["name"]
        assert admin.execute_kw("account.move", "search_count", [[["state", "=", "posted"]]]) == 1
    else:
        assert done["recovered"] and done["amount"] == 150.0
        assert admin.execute_kw("account.payment", "search_count", [[]]) == 1
        assert (in_odoo["amount_residual"], in_odoo["payment_state"]) == (1000.0, "partial")


async def test_postgres_stopped_then_started_loses_nothing_and_does_nothing_twice(
    real_odoo: RealOdoo, real_db: str, make_settings: Any, clock: Any, vault_path: Path
) -> None:
    cloud_server = servers(real_odoo, real_db, make_settings, clock, "cloud")
    local_server = servers(real_odoo, real_db, make_settings, clock, "local")
    async with Client(cloud_server) as cloud, Client(local_server) as local:
        request = await drafted_and_requested(cloud, vault_path)
        real_odoo.stop_postgres()
        try:
            read = await error_text(cloud, "invoice_list")
            post = await error_text(
                local, "invoice_post_approved", approval_id=request["approval_id"]
            )
        finally:
            real_odoo.start_postgres()
        for text in (read, post):
            assert "Odoo cannot reach its database" in text and "PostgreSQL is back" in text
        assert (vault_path / "Approved" / f"{request['approval_id']}.md").is_file()
        posted = await ok(local, "invoice_post_approved", approval_id=request["approval_id"])
        again = await error_text(local, "invoice_post_approved", approval_id=request["approval_id"])
    assert "already executed" in again
    assert posted["state"] == "posted"
    admin = real_odoo.rpc(real_db)
    assert admin.execute_kw("account.move", "search_count", [[["state", "=", "posted"]]]) == 1
