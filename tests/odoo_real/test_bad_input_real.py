"""Bad input and a changed invoice on a real Odoo 18: each gets a clear error naming the
problem, and the ledger stays as it was (read back with plain odoorpc)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from tests.support.approving import approve
from tests.support.real_odoo import RealOdoo, read_move, servers
from tests.support.tool_calls import error_text, ok

pytestmark = [pytest.mark.anyio, pytest.mark.real_odoo]

LINE = {"description": "Consulting", "quantity": 10, "price_unit": 100, "taxes": ["15%"]}


async def test_bad_drafts_are_refused_by_name_and_leave_no_entry(
    real_odoo: RealOdoo, real_db: str, make_settings: Any, clock: Any
) -> None:
    cloud_server = servers(real_odoo, real_db, make_settings, clock, "cloud")
    async with Client(cloud_server) as cloud:
        for name in ("Azure Interior", "Azure Interior GmbH"):
            await ok(cloud, "partner_create", name=name, email=f"{len(name)}@example.test")
        untaxed = {**LINE, "taxes": ["VAT 7%"]}
        tax = await error_text(cloud, "invoice_create_draft", partner="Azure Interior GmbH",
                               lines=[untaxed])  # fmt: skip
        assert "unknown sale tax 'VAT 7%'" in tax and "15%" in tax  # the chart's own names
        dangling = await error_text(cloud, "invoice_create_draft", partner=9999, lines=[LINE])
        assert "no partner with id 9999" in dangling
        ambiguous = await error_text(cloud, "invoice_create_draft", partner="Azure", lines=[LINE])
        assert "Azure Interior" in ambiguous and "Azure Interior GmbH" in ambiguous
        empty = await error_text(cloud, "invoice_create_draft", partner=9999, lines=[])
        assert "lines" in empty and "at least 1 item" in empty  # pydantic, before Odoo
    assert real_odoo.rpc(real_db).execute_kw("account.move", "search_count", [[]]) == 0


async def test_an_invoice_changed_in_odoo_after_approval_is_not_posted(
    real_odoo: RealOdoo, real_db: str, make_settings: Any, clock: Any, vault_path: Path
) -> None:
    cloud_server = servers(real_odoo, real_db, make_settings, clock, "cloud")
    local_server = servers(real_odoo, real_db, make_settings, clock, "local")
    async with Client(cloud_server) as cloud, Client(local_server) as local:
        partner = await ok(cloud, "partner_create", name="Azure Interior", email="a@example.test")
        draft = await ok(cloud, "invoice_create_draft", partner=partner["id"], lines=[LINE])
        request = await ok(cloud, "invoice_request_post", invoice_id=draft["invoice_id"])
        approve(vault_path, vault_path / request["path"])
        # someone edits the draft in Odoo after the person approved what they read
        admin = real_odoo.rpc(real_db)
        (line_id,) = admin.execute_kw(
            "account.move.line",
            "search",
            [[["move_id", "=", draft["invoice_id"]], ["display_type", "=", "product"]]],
        )
        admin.execute_kw("account.move.line", "write", [[line_id], {"price_unit": 900}])
        refused = await error_text(
            local, "invoice_post_approved", approval_id=request["approval_id"]
        )
    assert "changed in Odoo since it was approved" in refused
    assert "total 1150.00 → 10350.00" in refused
    assert read_move(real_odoo, real_db, draft["invoice_id"])["state"] == "draft"
