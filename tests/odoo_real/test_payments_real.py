"""Payments on a real Odoo 18 in a fresh database, where the bank journal's payment
methods have no outstanding account: Odoo then registers a payment with no journal entry,
leaves the whole amount due, and still sets ``payment_state`` to ``paid`` (see
../shared/odoo18/README.md). odoo-mcp reports what the ledger says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from tests.support.approving import approve
from tests.support.real_odoo import RealOdoo, read_move, servers
from tests.vault.helpers import error_text, ok

pytestmark = [pytest.mark.anyio, pytest.mark.real_odoo]


async def test_a_payment_without_a_journal_entry_is_reported_not_hidden(
    real_odoo: RealOdoo, real_db: str, make_settings: Any, clock: Any, vault_path: Path
) -> None:
    lines = [{"description": "Consulting", "quantity": 10, "price_unit": 115, "taxes": []}]
    cloud_server = servers(real_odoo, real_db, make_settings, clock, "cloud")
    local_server = servers(real_odoo, real_db, make_settings, clock, "local")
    async with Client(cloud_server) as cloud, Client(local_server) as local:
        partner = await ok(cloud, "partner_create", name="Azure Interior", email="a@example.test")
        draft = await ok(cloud, "invoice_create_draft", partner=partner["id"], lines=lines)
        assert draft["amount_total"] == 1150.0
        post = await ok(cloud, "invoice_request_post", invoice_id=draft["invoice_id"])
        approve(vault_path, vault_path / post["path"])
        await ok(local, "invoice_post_approved", approval_id=post["approval_id"])

        pay = await ok(cloud, "payment_request", invoice_id=draft["invoice_id"], amount=150)
        approve(vault_path, vault_path / pay["path"])
        paid = await ok(local, "payment_register_approved", approval_id=pay["approval_id"])
        # what Odoo did: a payment, no entry, everything still due, and "paid"
        assert paid["payment_state"] == "paid" and paid["amount_residual"] == 1150.0
        assert paid["warning"] and "no outstanding account" in paid["warning"]
        assert "1150.00 USD is still due" in paid["warning"]

        summary = await ok(cloud, "account_summary")
        assert summary["receivable"] == 1150.0 and summary["receivable_count"] == 1
        again = await error_text(cloud, "payment_request", invoice_id=draft["invoice_id"])
        assert "still due on it" in again and "outstanding account" in again

    in_odoo = read_move(real_odoo, real_db, draft["invoice_id"])
    assert in_odoo["payment_state"] == "paid" and in_odoo["amount_residual"] == 1150.0
    payments = real_odoo.rpc(real_db).execute_kw(
        "account.payment", "search_read", [[]], {"fields": ["amount", "move_id"]}
    )
    assert [(p["amount"], p["move_id"]) for p in payments] == [(150.0, False)]
    done = (vault_path / "Done" / Path(pay["path"]).name).read_text()
    assert "WARNING" in done or "warning" in done
