"""Payments and credit notes on a real Odoo 18, in both configurations a fresh database
can have (see ../shared/odoo18/README.md):

- the bank journal's payment methods have no outstanding account (the default): Odoo then
  registers a payment with no journal entry, leaves the whole amount due, and still sets
  ``payment_state`` to ``paid``. odoo-mcp reports what the ledger says;
- an outstanding receipts account is set: a partial payment leaves the rest due, a second
  one pays it off, each reconciled against the invoice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from tests.support.approving import approve
from tests.support.real_odoo import RealOdoo, read_move, servers
from tests.support.tool_calls import error_text, ok

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


async def pay(cloud: Client, local: Client, vault: Path, invoice_id: int, **amount: Any) -> Any:
    request = await ok(cloud, "payment_request", invoice_id=invoice_id, **amount)
    approve(vault, vault / request["path"])
    return await ok(local, "payment_register_approved", approval_id=request["approval_id"])


async def test_a_partial_then_a_full_payment_with_an_outstanding_account(
    real_odoo: RealOdoo, real_db: str, make_settings: Any, clock: Any, vault_path: Path
) -> None:
    outstanding = real_odoo.outstanding_receipts(real_db)
    lines = [{"description": "Consulting", "quantity": 10, "price_unit": 100, "taxes": ["15%"]}]
    cloud_server = servers(real_odoo, real_db, make_settings, clock, "cloud")
    local_server = servers(real_odoo, real_db, make_settings, clock, "local")
    async with Client(cloud_server) as cloud, Client(local_server) as local:
        partner = await ok(cloud, "partner_create", name="Azure Interior", email="a@example.test")
        draft = await ok(cloud, "invoice_create_draft", partner=partner["id"], lines=lines)
        post = await ok(cloud, "invoice_request_post", invoice_id=draft["invoice_id"])
        approve(vault_path, vault_path / post["path"])
        await ok(local, "invoice_post_approved", approval_id=post["approval_id"])
        invoice_id = draft["invoice_id"]

        first = await pay(cloud, local, vault_path, invoice_id, amount=150)
        assert (first["payment_state"], first["amount_residual"]) == ("partial", 1000.0)
        assert not first["warning"]
        summary = await ok(cloud, "account_summary")
        assert (summary["receivable"], summary["receivable_count"]) == (1000.0, 1)

        rest = await pay(cloud, local, vault_path, invoice_id)  # the amount still due
        assert rest["amount"] == 1000.0 and rest["amount_residual"] == 0.0
        assert rest["payment_state"] in ("in_payment", "paid") and not rest["warning"]
        assert (await ok(cloud, "account_summary"))["receivable"] == 0.0
        nothing_left = await error_text(cloud, "payment_request", invoice_id=invoice_id)
        assert "nothing left to pay" in nothing_left

    in_odoo = read_move(real_odoo, real_db, invoice_id)
    assert in_odoo["amount_residual"] == 0.0
    assert in_odoo["payment_state"] in ("in_payment", "paid")
    admin = real_odoo.rpc(real_db)
    payments = admin.execute_kw(
        "account.payment", "search_read", [[]], {"fields": ["amount", "move_id", "state"]}
    )
    assert sorted(p["amount"] for p in payments) == [150.0, 1000.0]
    assert all(p["move_id"] for p in payments)  # each one has its journal entry
    reconciled = admin.execute_kw(
        "account.move.line",
        "search_read",
        [[["account_id", "=", outstanding]]],
        {"fields": ["debit", "credit"]},
    )
    assert sum(row["debit"] for row in reconciled) == 1150.0


async def test_a_credit_note_is_drafted_posted_and_reduces_what_is_owed(
    real_odoo: RealOdoo, real_db: str, make_settings: Any, clock: Any, vault_path: Path
) -> None:
    invoice_lines = [{"description": "Consulting", "quantity": 10, "price_unit": 100, "taxes": []}]
    refund_lines = [
        {"description": "Discount agreed", "quantity": 1, "price_unit": 200, "taxes": []}
    ]
    cloud_server = servers(real_odoo, real_db, make_settings, clock, "cloud")
    local_server = servers(real_odoo, real_db, make_settings, clock, "local")
    async with Client(cloud_server) as cloud, Client(local_server) as local:
        partner = await ok(cloud, "partner_create", name="Azure Interior", email="a@example.test")
        posted = []
        for move_type, lines in (("out_invoice", invoice_lines), ("out_refund", refund_lines)):
            draft = await ok(
                cloud,
                "invoice_create_draft",
                partner=partner["id"],
                lines=lines,
                move_type=move_type,
            )
            request = await ok(cloud, "invoice_request_post", invoice_id=draft["invoice_id"])
            approve(vault_path, vault_path / request["path"])
            done = await ok(local, "invoice_post_approved", approval_id=request["approval_id"])
            posted.append(done)
        invoice, refund = posted
        assert invoice["name"].startswith("INV/") and refund["name"].startswith("RINV/")
        summary = await ok(cloud, "account_summary")
        listed = await ok(cloud, "invoice_list", move_type="out_refund")
    assert [row["name"] for row in listed["invoices"]] == [refund["name"]]
    in_odoo = read_move(real_odoo, real_db, refund["invoice_id"])
    assert (in_odoo["move_type"], in_odoo["state"], in_odoo["amount_total"]) == (
        "out_refund",
        "posted",
        200.0,
    )
    # what the customer owes, as Odoo's own receivable balance has it
    admin = real_odoo.rpc(real_db)
    (row,) = admin.execute_kw("res.partner", "read", [[partner["id"]]], {"fields": ["credit"]})
    assert row["credit"] == 800.0
    assert summary["receivable"] == 800.0
