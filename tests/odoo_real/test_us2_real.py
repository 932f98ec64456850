"""US2 on a real Odoo 18 server: the cloud drafts through odoo-mcp, a person approves by
moving the file, the laptop posts; plain odoorpc reads every figure back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from tests.support.approving import approve
from tests.support.real_odoo import RealOdoo, read_move, servers
from tests.support.tool_calls import error_text, ok

pytestmark = [pytest.mark.anyio, pytest.mark.real_odoo]


@pytest.mark.parametrize(
    ("move_type", "extra", "prefix"),
    [("out_invoice", {}, "INV/"), ("in_invoice", {"invoice_date": "2026-11-30"}, "BILL/")],
)
async def test_an_invoice_drafted_approved_and_posted_once(
    real_odoo: RealOdoo,
    real_db: str,
    make_settings: Any,
    clock: Any,
    vault_path: Path,
    move_type: str,
    extra: dict[str, str],
    prefix: str,
) -> None:
    lines = [
        {
            "description": "Consulting, November",
            "quantity": 10,
            "price_unit": 100,
            "taxes": ["15%"],
        },
        {"description": "Travel", "quantity": 1, "price_unit": 150, "taxes": []},
    ]
    cloud_server = servers(real_odoo, real_db, make_settings, clock, "cloud")
    local_server = servers(real_odoo, real_db, make_settings, clock, "local")
    async with Client(cloud_server) as cloud, Client(local_server) as local:
        partner = await ok(
            cloud, "partner_create", name="Azure Interior", email="azure@example.test"
        )
        invoice = {"partner": partner["id"], "lines": lines, "move_type": move_type}
        invoice |= {"reference": "PO-REAL-1", **extra}
        draft = await ok(cloud, "invoice_create_draft", **invoice)
        assert draft["state"] == "draft"
        assert (draft["amount_untaxed"], draft["amount_tax"], draft["amount_total"]) == (
            1150.0,
            150.0,
            1300.0,
        )
        again = await ok(cloud, "invoice_create_draft", **invoice)
        assert again["invoice_id"] == draft["invoice_id"] and not again["created"]

        request = await ok(cloud, "invoice_request_post", invoice_id=draft["invoice_id"])
        assert read_move(real_odoo, real_db, draft["invoice_id"])["state"] == "draft"
        approve(vault_path, vault_path / request["path"])
        posted = await ok(local, "invoice_post_approved", approval_id=request["approval_id"])
        assert posted["state"] == "posted" and posted["name"].startswith(prefix)
        twice = await error_text(local, "invoice_post_approved", approval_id=request["approval_id"])
        assert "already executed" in twice

    in_odoo = read_move(real_odoo, real_db, draft["invoice_id"])
    assert in_odoo["state"] == "posted" and in_odoo["name"] == posted["name"]
    assert in_odoo["move_type"] == move_type and in_odoo["ref"] == "PO-REAL-1"
    assert (in_odoo["amount_untaxed"], in_odoo["amount_tax"], in_odoo["amount_total"]) == (
        1150.0,
        150.0,
        1300.0,
    )
    assert in_odoo["amount_residual"] == 1300.0 and in_odoo["payment_state"] == "not_paid"
    rpc = real_odoo.rpc(real_db)
    assert rpc.execute_kw("account.move", "search_count", [[["state", "=", "posted"]]]) == 1
