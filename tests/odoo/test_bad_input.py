"""Bad input gets a clear error that names the problem, and Odoo and the vault stay as
they were (no stray draft, no half-made approval)."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from tests.support.odoo_fixtures import CONSULTING, count, raw_odoo
from tests.support.tool_calls import error_text, ok, snapshot

pytestmark = pytest.mark.anyio


def line(**changes: Any) -> dict[str, Any]:
    return CONSULTING | changes


BAD_DRAFTS: list[tuple[str, dict[str, Any], str]] = [
    (
        "unknown partner",
        {"partner": "Nobody Inc"},
        "no partner named or with the email 'Nobody Inc'",
    ),
    ("typo suggests", {"partner": "Azure Interiro"}, "did you mean 'Azure Interior' (id 5)"),
    ("unknown partner id", {"partner": 4242}, "no partner with id 4242"),
    ("negative price", {"lines": [line(price_unit=-5)]}, "greater than or equal to 0"),
    ("non-numeric price", {"lines": [line(price_unit="ten")]}, "price_unit"),
    ("zero quantity", {"lines": [line(quantity=0)]}, "greater than 0"),
    ("infinite quantity", {"lines": [line(quantity="inf")]}, "quantity"),
    ("no lines", {"lines": []}, "lines"),
    ("unknown tax", {"lines": [line(taxes=["VAT 99%"])]}, "unknown sale tax 'VAT 99%'"),
    ("purchase tax on a sale", {"lines": [line(taxes=["Purchase Tax 15%"])]}, "Tax 0%, Tax 15%"),
    ("unknown account", {"lines": [line(account="999999")]}, "no account with code '999999'"),
    ("control characters", {"lines": [line(description="a\x00b")]}, "control characters"),
    ("oversize description", {"lines": [line(description="x" * 1001)]}, "at most 1000 characters"),
    ("unknown field", {"lines": [line(discount=50)]}, "discount"),
    ("bad move type", {"move_type": "entry"}, "move_type"),
    (
        "due before date",
        {"invoice_date": "2026-11-20", "due_date": "2026-11-01"},
        "is before invoice_date",
    ),
    ("bad date", {"invoice_date": "2026-02-30"}, "invoice_date"),
    ("unknown payment term", {"payment_term": "90 Days"}, "payment term '90 Days' not found"),
]


@pytest.mark.parametrize("case, changes, expected", BAD_DRAFTS, ids=[c[0] for c in BAD_DRAFTS])
async def test_bad_draft_is_refused_and_changes_nothing(
    odoo, odoo_servers, vault_path, case, changes, expected
) -> None:
    args = {"partner": "Azure Interior", "lines": [CONSULTING]} | changes
    before = snapshot(vault_path)
    async with Client(odoo_servers("cloud")) as cloud:
        text = await error_text(cloud, "invoice_create_draft", **args)
    assert expected in text
    assert "Traceback" not in text
    assert count(odoo, "account.move") == 0
    assert snapshot(vault_path) == before


async def test_ambiguous_partner_name_lists_the_candidates(odoo, odoo_servers) -> None:
    client = raw_odoo(odoo)
    first = client.execute_kw(
        "res.partner", "create", [{"name": "Jordan Lee", "email": "j1@example.com"}]
    )
    second = client.execute_kw(
        "res.partner", "create", [{"name": "Jordan Lee", "email": "j2@example.com"}]
    )
    async with Client(odoo_servers("cloud")) as cloud:
        text = await error_text(
            cloud, "invoice_create_draft", partner="jordan lee", lines=[CONSULTING]
        )
        by_email = await ok(
            cloud, "invoice_create_draft", partner="j2@example.com", lines=[CONSULTING]
        )
    assert "ambiguous: 2 partners match" in text
    assert f"{first}: Jordan Lee <j1@example.com>" in text and f"{second}:" in text
    assert by_email["partner_id"] == second
    assert count(odoo, "account.move") == 1


async def test_requests_odoo_would_refuse_are_not_put_to_a_person(
    odoo, odoo_servers, vault_path
) -> None:
    async with Client(odoo_servers("cloud")) as cloud:
        bill = await ok(
            cloud,
            "invoice_create_draft",
            partner="Gemini Furniture",
            move_type="in_invoice",
            lines=[CONSULTING],
        )
        before = snapshot(vault_path)
        no_date = await error_text(cloud, "invoice_request_post", invoice_id=bill["invoice_id"])
        unknown = await error_text(cloud, "invoice_request_post", invoice_id=777)
        unposted = await error_text(cloud, "payment_request", invoice_id=bill["invoice_id"])
        negative = await error_text(
            cloud, "payment_request", invoice_id=bill["invoice_id"], amount=-3
        )
        assert snapshot(vault_path) == before
    assert "a vendor bill needs its bill date" in no_date
    assert "no invoice or bill with id 777" in unknown
    assert "ask for posting first" in unposted
    assert "greater than 0" in negative


async def test_payment_over_the_amount_due_is_refused(odoo, odoo_servers, vault_path) -> None:
    async with Client(odoo_servers("cloud")) as cloud:
        invoice = await ok(
            cloud, "invoice_create_draft", partner="Azure Interior", lines=[CONSULTING]
        )
        raw_odoo(odoo).execute_kw("account.move", "action_post", [[invoice["invoice_id"]]])
        before = snapshot(vault_path)
        too_much = await error_text(
            cloud, "payment_request", invoice_id=invoice["invoice_id"], amount=5000
        )
        bad_journal = await error_text(
            cloud, "payment_request", invoice_id=invoice["invoice_id"], journal="XYZ"
        )
        assert snapshot(vault_path) == before
    assert "5000.00 is more than the 1150.00 USD still due" in too_much
    assert "no bank or cash journal with code 'XYZ'; Odoo has: BNK1, CSH1" in bad_journal


@pytest.mark.parametrize(
    "tool, args, expected",
    [
        ("invoice_post_approved", {"approval_id": "../../etc/passwd"}, "approval_id"),
        ("invoice_post_approved", {"approval_id": "appr-0123456789abcdef"}, "no approval"),
        ("payment_register_approved", {"approval_id": "appr-0123456789abcdef"}, "no approval"),
        ("invoice_request_post", {"invoice_id": 1, "task_id": "../Done/x"}, "task_id"),
        ("partner_create", {"name": "X", "email": "not an email"}, "email"),
        ("partner_find", {"query": ""}, "query"),
    ],
)
async def test_bad_ids_and_fields(odoo, odoo_servers, vault_path, tool, args, expected) -> None:
    before = snapshot(vault_path)
    async with Client(odoo_servers("local")) as local:
        text = await error_text(local, tool, **args)
    assert expected in text.lower() or expected in text
    assert snapshot(vault_path) == before
    assert count(odoo, "res.partner", [["name", "=", "X"]]) == 0
