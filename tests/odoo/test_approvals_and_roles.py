"""What the local machine refuses to execute, and what the cloud cannot do at all."""

from __future__ import annotations

import pytest
from mcp import Client

from servers.odoo_mcp import execute
from servers.odoo_mcp.service import OdooService
from shared.errors import RoleForbidden
from shared.vault import Vault
from shared.vault_files import read_doc, write_doc
from tests.support.approving import approve_request as approve
from tests.support.odoo_fixtures import (
    CONSULTING,
    count,
    first_invoice_name,
    odoo_settings,
    raw_odoo,
    read_move,
)
from tests.support.tool_calls import error_text, ok, snapshot

pytestmark = [pytest.mark.anyio, pytest.mark.clock]

LOCAL_ONLY = {"invoice_post_approved", "payment_register_approved"}


async def _requested(cloud: Client, **draft: object) -> tuple[dict, dict]:
    args = {"partner": "Azure Interior", "lines": [CONSULTING]} | draft
    invoice = await ok(cloud, "invoice_create_draft", **args)
    request = await ok(cloud, "invoice_request_post", invoice_id=invoice["invoice_id"])
    return invoice, request


async def test_cloud_has_no_posting_or_payment_tools(odoo_servers) -> None:
    async with Client(odoo_servers("cloud")) as cloud, Client(odoo_servers("local")) as local:
        cloud_tools = {t.name for t in (await cloud.list_tools()).tools}
        local_tools = {t.name for t in (await local.list_tools()).tools}
    assert not cloud_tools & LOCAL_ONLY
    assert LOCAL_ONLY <= local_tools
    assert cloud_tools == local_tools - LOCAL_ONLY


async def test_draft_mode_on_the_laptop_registers_no_post_tools(odoo_servers) -> None:
    async with Client(odoo_servers("local", mode="draft")) as local:
        tools = {t.name for t in (await local.list_tools()).tools}
    assert not tools & LOCAL_ONLY


async def test_the_service_refuses_even_when_called_directly(odoo, make_settings, clock) -> None:
    settings = odoo_settings(odoo.url)
    for core, extra in ((make_settings("cloud"), {}), (make_settings("local"), {"mode": "draft"})):
        service = OdooService(core, settings.model_copy(update=extra), clock)
        with pytest.raises(RoleForbidden):
            await execute.post_approved(service, "appr-0000000000000000")
        with pytest.raises(RoleForbidden):
            await execute.register_payment_approved(service, "appr-0000000000000000")
    with pytest.raises(RoleForbidden, match="AIE_ODOO_MODE=live needs AIE_ROLE=local"):
        OdooService(make_settings("cloud"), settings.model_copy(update={"mode": "live"}), clock)


async def test_a_draft_only_odoo_user_is_refused_by_odoo(odoo, odoo_servers, vault_path) -> None:
    async with (
        Client(odoo_servers("cloud", user="drafter", password="drafter")) as cloud,
        Client(odoo_servers("local", user="drafter", password="acme-drafter-api-key")) as local,
    ):
        invoice, request = await _requested(cloud)
        approve(vault_path, request)
        refused = await error_text(
            local, "invoice_post_approved", approval_id=request["approval_id"]
        )
    assert refused.endswith(
        "Odoo refused (AccessError): You don't have the access rights to post an invoice."
    )
    assert read_move(odoo, invoice["invoice_id"])["state"] == "draft"
    # still approved: the person fixes the Odoo user and it runs then
    assert (vault_path / "Approved" / f"{request['approval_id']}.md").is_file()
    async with Client(odoo_servers("local")) as local:
        posted = await ok(local, "invoice_post_approved", approval_id=request["approval_id"])
    assert posted["state"] == "posted"


async def test_expired_approval_is_refused(odoo, odoo_servers, vault_path, clock) -> None:
    async with Client(odoo_servers("cloud")) as cloud, Client(odoo_servers("local")) as local:
        invoice, request = await _requested(cloud)
        approve(vault_path, request)
        clock.advance(hours=73)
        before = snapshot(vault_path)
        refused = await error_text(
            local, "invoice_post_approved", approval_id=request["approval_id"]
        )
    assert "expired" in refused
    assert snapshot(vault_path) == before
    assert read_move(odoo, invoice["invoice_id"])["state"] == "draft"


async def test_tampered_approval_is_refused(odoo, odoo_servers, vault_path) -> None:
    async with Client(odoo_servers("cloud")) as cloud, Client(odoo_servers("local")) as local:
        invoice, request = await _requested(cloud)
        approve(vault_path, request)
        path = vault_path / "Approved" / f"{request['approval_id']}.md"
        doc = read_doc(path)
        doc.meta["params"]["invoice_id"] = 999  # point the approval at another invoice
        write_doc(path, doc)
        refused = await error_text(
            local, "invoice_post_approved", approval_id=request["approval_id"]
        )
    assert "altered" in refused
    assert read_move(odoo, invoice["invoice_id"])["state"] == "draft"


@pytest.mark.parametrize("change", ["amount", "partner", "lines"])
async def test_invoice_changed_in_odoo_after_approval_is_not_posted(
    odoo, odoo_servers, vault_path, change
) -> None:
    async with Client(odoo_servers("cloud")) as cloud, Client(odoo_servers("local")) as local:
        invoice, request = await _requested(cloud)
        approve(vault_path, request)
        client = raw_odoo(odoo)
        move_id = invoice["invoice_id"]
        (line_id,) = client.execute_kw(
            "account.move.line",
            "search",
            [[["move_id", "=", move_id], ["display_type", "=", "product"]]],
        )
        if change == "amount":
            client.execute_kw("account.move.line", "write", [[line_id], {"price_unit": 900}])
        elif change == "partner":
            client.execute_kw("account.move", "write", [[move_id], {"partner_id": 6}])
        else:  # same total, different text: still not what the person read
            client.execute_kw("account.move.line", "write", [[line_id], {"name": "Something else"}])
        refused = await error_text(
            local, "invoice_post_approved", approval_id=request["approval_id"]
        )
    assert "changed in Odoo since it was approved" in refused
    assert {
        "amount": "total 1150.00 → 10350.00",
        "partner": "partner Azure Interior →",
        "lines": "lines",
    }[change] in refused
    assert read_move(odoo, move_id)["state"] == "draft"
    refusals = [e for e in _audit(vault_path) if e["action"] == "post_invoice_refused"]
    assert refusals and "changed in Odoo" in refusals[-1]["detail"]


async def test_an_already_posted_invoice_is_not_put_to_a_person_again(
    odoo, odoo_servers, vault_path
) -> None:
    async with Client(odoo_servers("cloud")) as cloud:
        invoice = await ok(cloud, "invoice_create_draft", partner=5, lines=[CONSULTING])
        raw_odoo(odoo).execute_kw("account.move", "action_post", [[invoice["invoice_id"]]])
        before = snapshot(vault_path)
        text = await error_text(cloud, "invoice_request_post", invoice_id=invoice["invoice_id"])
    assert f"is posted as {first_invoice_name(odoo)}; only a draft can be posted" in text
    assert snapshot(vault_path) == before


def _audit(vault) -> list[dict]:  # type: ignore[no-untyped-def]
    import json

    return [
        json.loads(x)
        for log in sorted((vault / "Logs").glob("*.jsonl"))
        for x in log.read_text().splitlines()
    ]


async def test_invoice_posted_by_hand_is_reported_not_posted_again(
    odoo, odoo_servers, vault_path
) -> None:
    async with Client(odoo_servers("cloud")) as cloud, Client(odoo_servers("local")) as local:
        invoice, request = await _requested(cloud)
        approve(vault_path, request)
        raw_odoo(odoo).execute_kw("account.move", "action_post", [[invoice["invoice_id"]]])
        odoo.reset_stats()
        result = await ok(local, "invoice_post_approved", approval_id=request["approval_id"])
    assert result["already_posted"] and result["name"] == first_invoice_name(odoo)
    assert "account.move.action_post" not in odoo.stats()["calls"]


async def test_payment_refused_when_someone_paid_meanwhile(odoo, odoo_servers, vault_path) -> None:
    async with Client(odoo_servers("cloud")) as cloud, Client(odoo_servers("local")) as local:
        invoice, request = await _requested(cloud)
        approve(vault_path, request)
        await ok(local, "invoice_post_approved", approval_id=request["approval_id"])
        pay = await ok(cloud, "payment_request", invoice_id=invoice["invoice_id"])
        approve(vault_path, pay)
        client = raw_odoo(odoo)
        ctx = {"active_model": "account.move", "active_ids": [invoice["invoice_id"]]}
        wizard = client.execute_kw(
            "account.payment.register", "create", [{"amount": 100}], {"context": ctx}
        )
        client.execute_kw(
            "account.payment.register", "action_create_payments", [[wizard]], {"context": ctx}
        )
        refused = await error_text(
            local, "payment_register_approved", approval_id=pay["approval_id"]
        )
    assert "amount due went from 1150.00 to 1050.00" in refused
    assert count(odoo, "account.payment") == 1


async def test_an_approval_that_lacks_what_its_action_needs_is_refused(
    odoo, odoo_servers, vault_path, make_settings
) -> None:
    """Parameters the executing side cannot read (an older version wrote them without the
    lines' digest) are refused by name, with an audit line, and nothing is posted."""
    async with Client(odoo_servers("cloud")) as cloud, Client(odoo_servers("local")) as local:
        invoice, request = await _requested(cloud)
        cloud_vault = Vault(make_settings("cloud"))
        written = read_doc(vault_path / request["path"]).meta["params"]
        old = {k: v for k, v in written.items() if k != "lines_digest"}
        task, _ = cloud_vault.tasks.create("accounting", "Post it (old)", "b", source_id="old")
        cloud_vault.claims.claim(task.id)
        approval, _ = cloud_vault.request_approval(task.id, "post_invoice", old, "Post it")
        approve(vault_path, {"path": approval.path})
        refused = await error_text(local, "invoice_post_approved", approval_id=approval.id)
    assert "does not hold what post_invoice needs" in refused and "lines_digest" in refused
    assert read_move(odoo, invoice["invoice_id"])["state"] == "draft"
    refusals = [e for e in _audit(vault_path) if e["action"] == "post_invoice_refused"]
    assert refusals and "lines_digest" in refusals[-1]["detail"]
