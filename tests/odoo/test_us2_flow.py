"""US2 through the MCP client against the Odoo stand-in: the cloud drafts, a person
approves by moving the file, the local machine posts or pays; plain odoorpc reads the
result back, and the audit log holds every step. On Odoo 17 and 18 wire behaviour."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from mcp import Client

from tests.support.approving import approve_request as approve
from tests.support.odoo_fixtures import CHAIR, CONSULTING, count, first_invoice_name, read_move
from tests.support.tool_calls import error_text, ok

pytestmark = [pytest.mark.anyio, pytest.mark.clock]


def audit_actions(vault: Path) -> list[str]:
    return [
        json.loads(line)["action"]
        for log in sorted((vault / "Logs").glob("*.jsonl"))
        for line in log.read_text().splitlines()
    ]


@pytest.mark.parametrize(
    ("version", "protocol"),
    [("17.0", "jsonrpc"), ("18.0", "auto"), ("19.0", "json2"), ("19.0", "auto")],
)
async def test_customer_invoice_drafted_on_cloud_posted_on_local(
    odoo, odoo_servers, vault_path, version, protocol
) -> None:
    odoo.control(version=version)
    key = "acme-admin-api-key"  # JSON-2 takes an API key; JSON-RPC takes it as the password
    cloud_server = odoo_servers("cloud", password=key, protocol=protocol)
    local_server = odoo_servers("local", password=key, protocol=protocol)
    odoo.reset_stats()
    async with Client(cloud_server) as cloud, Client(local_server) as local:
        draft = await ok(
            cloud, "invoice_create_draft", partner="Azure Interior", lines=[CONSULTING, CHAIR]
        )
        assert draft["state"] == "draft" and draft["created"]
        # 10 x 100 with the default 15% tax, 2 x 250 with no tax
        assert draft["amount_untaxed"] == 1500.0
        assert draft["amount_tax"] == 150.0
        assert draft["amount_total"] == 1650.0
        assert [line["taxes"] for line in draft["lines"]] == [["Tax 15%"], ["Tax 0%"]]

        request = await ok(cloud, "invoice_request_post", invoice_id=draft["invoice_id"])
        text = (vault_path / request["path"]).read_text()
        for shown in ("Azure Interior", "Consulting, November", "Office chair", "1,650.00", "Due"):
            assert shown in text
        assert read_move(odoo, draft["invoice_id"])["state"] == "draft"  # nothing posted yet

        refused = await error_text(
            local, "invoice_post_approved", approval_id=request["approval_id"]
        )
        assert "Pending_Approval" in refused or "human decision" in refused

        approve(vault_path, request)
        posted = await ok(local, "invoice_post_approved", approval_id=request["approval_id"])
        assert posted["state"] == "posted" and posted["name"] == first_invoice_name(odoo)

        in_odoo = read_move(odoo, draft["invoice_id"])
        assert in_odoo["state"] == "posted" and in_odoo["name"] == first_invoice_name(odoo)
        assert in_odoo["amount_total"] == 1650.0

        again = await error_text(local, "invoice_post_approved", approval_id=request["approval_id"])
        assert "already executed" in again
        assert count(odoo, "account.move", [["state", "=", "posted"]]) == 1
    stats = odoo.stats()  # the test's own reads back go over /jsonrpc (plain odoorpc)
    json2_calls = stats["endpoints"].get("/json/2", 0)
    if version == "19.0":  # auto takes JSON-2 from Odoo 19 on
        assert json2_calls > 0
        # created and read back in one request (web_save), never a plain create
        assert stats["calls"].get("account.move.web_save") == 1
        assert "account.move.create" not in stats["calls"]
        assert stats["calls"].get("account.move.action_post") == 1
    else:
        assert json2_calls == 0

    assert (vault_path / "Done" / Path(request["path"]).name).is_file()
    assert (vault_path / "Done" / f"{request['task_id']}.md").is_file()
    actions = audit_actions(vault_path)
    for step in ("odoo_invoice_create_draft", "approval_request", "odoo_post_start", "odoo_post"):
        assert step in actions, f"no {step} in the audit log"
    assert "post_invoice_refused" in actions


async def test_vendor_bill_and_its_payment(odoo, odoo_servers, vault_path) -> None:
    async with Client(odoo_servers("cloud")) as cloud, Client(odoo_servers("local")) as local:
        bill = await ok(
            cloud,
            "invoice_create_draft",
            partner="Gemini Furniture",
            move_type="in_invoice",
            invoice_date="2026-11-20",
            reference="GF-2026-311",
            lines=[{"description": "Desks", "quantity": 4, "price_unit": 300}],
        )
        assert bill["move_type"] == "in_invoice"
        assert bill["lines"][0]["taxes"] == ["Purchase Tax 15%"]  # the purchase default
        assert bill["amount_total"] == 1380.0
        post = await ok(cloud, "invoice_request_post", invoice_id=bill["invoice_id"])
        approve(vault_path, post)
        posted = await ok(local, "invoice_post_approved", approval_id=post["approval_id"])
        assert posted["name"] == "BILL/2026/11/0001"

        pay = await ok(cloud, "payment_request", invoice_id=bill["invoice_id"], amount=380)
        assert "380.00" in (vault_path / pay["path"]).read_text()
        approve(vault_path, pay)
        paid = await ok(local, "payment_register_approved", approval_id=pay["approval_id"])
        assert paid["payment_state"] == "partial" and paid["amount_residual"] == 1000.0

        rest = await ok(cloud, "payment_request", invoice_id=bill["invoice_id"])
        approve(vault_path, rest)
        paid = await ok(local, "payment_register_approved", approval_id=rest["approval_id"])
        assert paid["amount"] == 1000.0 and paid["payment_state"] == "paid"
        again = await error_text(
            local, "payment_register_approved", approval_id=rest["approval_id"]
        )
        assert "already executed" in again

    in_odoo = read_move(odoo, bill["invoice_id"])
    assert in_odoo["payment_state"] == "paid" and in_odoo["amount_residual"] == 0
    assert count(odoo, "account.payment") == 2
    assert audit_actions(vault_path).count("odoo_payment") == 2


async def test_reference_makes_drafting_idempotent(odoo, odoo_servers) -> None:
    async with Client(odoo_servers("cloud")) as cloud:
        args = {"partner": "deco.addict@example.com", "lines": [CONSULTING], "reference": "PO-77"}
        first = await ok(cloud, "invoice_create_draft", **args)
        second = await ok(cloud, "invoice_create_draft", **args)
    assert first["created"] and not second["created"]
    assert first["invoice_id"] == second["invoice_id"]
    assert count(odoo, "account.move") == 1


async def test_listing_and_the_account_summary(odoo, odoo_servers, vault_path, clock) -> None:
    today = clock().date()
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    async with Client(odoo_servers("cloud")) as cloud, Client(odoo_servers("local")) as local:
        overdue = await ok(
            cloud,
            "invoice_create_draft",
            partner="Azure Interior",
            invoice_date=last_month.isoformat(),
            due_date=(today - timedelta(days=25)).isoformat(),
            lines=[{"description": "October work", "quantity": 1, "price_unit": 1000, "taxes": []}],
        )
        current = await ok(
            cloud,
            "invoice_create_draft",
            partner="Deco Addict",
            invoice_date=this_month.isoformat(),
            due_date=(today + timedelta(days=30)).isoformat(),
            lines=[{"description": "November work", "quantity": 1, "price_unit": 400, "taxes": []}],
        )
        await ok(cloud, "invoice_create_draft", partner="Wood Corner", lines=[CONSULTING])
        for invoice in (overdue, current):
            request = await ok(cloud, "invoice_request_post", invoice_id=invoice["invoice_id"])
            approve(vault_path, request)
            await ok(local, "invoice_post_approved", approval_id=request["approval_id"])

        listed = await ok(cloud, "invoice_list", overdue_only=True)
        assert [i["invoice_id"] for i in listed["invoices"]] == [overdue["invoice_id"]]
        assert listed["invoices"][0]["days_overdue"] == 25
        drafts = await ok(cloud, "invoice_list", state="draft")
        assert drafts["total"] == 1
        page = await ok(cloud, "invoice_list", limit=2)
        assert page["total"] == 3 and page["next_offset"] == 2
        by_partner = await ok(cloud, "invoice_list", partner="Deco Addict")
        assert [i["invoice_id"] for i in by_partner["invoices"]] == [current["invoice_id"]]

        summary = await ok(cloud, "account_summary")
    assert summary["receivable"] == 1400.0 and summary["receivable_count"] == 2
    assert summary["overdue_receivable"] == 1000.0
    assert summary["invoiced_this_month"] == 400.0
    assert summary["invoiced_last_month"] == 1000.0
    assert summary["draft_count"] == 1 and summary["currency"] == "USD"


async def test_partners_found_with_typos_and_created_once(odoo, odoo_servers) -> None:
    async with Client(odoo_servers("cloud")) as cloud:
        found = await ok(cloud, "partner_find", query="Azure Interiro")
        assert found["partners"][0]["name"] == "Azure Interior"
        by_vat = await ok(cloud, "partner_find", query="BE0477472701")
        assert by_vat["partners"][0]["name"] == "Azure Interior"
        made = await ok(cloud, "partner_create", name="Nimbus Labs", email="ap@nimbus.example")
        same = await ok(cloud, "partner_create", name="Nimbus Labs Ltd", email="AP@nimbus.example")
        assert made["created"] and not same["created"] and same["id"] == made["id"]
        draft = await ok(cloud, "invoice_create_draft", partner=made["id"], lines=[CONSULTING])
        assert draft["partner_name"] == "Nimbus Labs"
    assert count(odoo, "res.partner", [["email", "=ilike", "ap@nimbus.example"]]) == 1
