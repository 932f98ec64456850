"""Odoo's own security on a real Odoo 18: the draft-only group of our addon
(``deployment/odoo_addons/aie_draft_only``), and API keys that work, are revoked, expire.

The cloud's odoo-mcp has no posting or payment tool; these tests show that the cloud's
Odoo *credentials* cannot post or pay either, whatever client holds them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import odoorpc
import pytest
from mcp import Client

from tests.support.approving import approve
from tests.support.real_odoo import RealOdoo, read_move, servers
from tests.support.tool_calls import error_text, ok

pytestmark = [pytest.mark.anyio, pytest.mark.real_odoo]

LINES = [{"description": "Consulting", "quantity": 10, "price_unit": 100, "taxes": ["15%"]}]
REFUSED_POST = "You don't have the access rights to post an invoice"


def odoo_as(real_odoo: RealOdoo, db: str, login: str, password: str) -> Any:
    odoo = odoorpc.ODOO("127.0.0.1", port=real_odoo.http_port, timeout=60)
    odoo.login(db, login, password)
    return odoo


@pytest.fixture
def rights_db(real_odoo: RealOdoo) -> str:
    """A database with our addon, a draft-only user ``drafts`` for the cloud and an
    Invoicing user ``accounts`` for the laptop (password = login)."""
    db = real_odoo.new_database("aie_draft_only")
    real_odoo.add_user(db, "drafts", "aie_draft_only.group_draft_only")
    real_odoo.add_user(db, "accounts", "account.group_account_invoice")
    return db


async def test_odoo_itself_refuses_to_post_or_pay_for_the_draft_only_user(
    real_odoo: RealOdoo, rights_db: str, make_settings: Any, clock: Any, vault_path: Path
) -> None:
    drafts_login = ("drafts", "drafts")
    cloud_server = servers(real_odoo, rights_db, make_settings, clock, "cloud", drafts_login)
    async with Client(cloud_server) as cloud:
        # everything the cloud does works with the draft-only user
        partner = await ok(cloud, "partner_create", name="Azure Interior", email="a@example.test")
        assert (await ok(cloud, "partner_find", query="Azure"))["partners"][0]["id"] == partner[
            "id"
        ]
        draft = await ok(cloud, "invoice_create_draft", partner=partner["id"], lines=LINES)
        assert (draft["state"], draft["amount_total"]) == ("draft", 1150.0)
        listed = await ok(cloud, "invoice_list", state="draft")
        assert [row["invoice_id"] for row in listed["invoices"]] == [draft["invoice_id"]]
        await ok(cloud, "account_summary")
        request = await ok(cloud, "invoice_request_post", invoice_id=draft["invoice_id"])
    invoice_id = draft["invoice_id"]

    # ...but Odoo itself refuses to post for it, through any client
    raw = odoo_as(real_odoo, rights_db, *drafts_login)
    with pytest.raises(odoorpc.error.RPCError, match=REFUSED_POST):
        raw.execute_kw("account.move", "action_post", [[invoice_id]])
    # a laptop wrongly configured with the cloud's user gets Odoo's refusal as a tool error
    approve(vault_path, vault_path / request["path"])
    misconfigured = servers(real_odoo, rights_db, make_settings, clock, "local", drafts_login)
    async with Client(misconfigured) as local:
        refused = await error_text(
            local, "invoice_post_approved", approval_id=request["approval_id"]
        )
    assert REFUSED_POST in refused
    assert read_move(real_odoo, rights_db, invoice_id)["state"] == "draft"

    # the laptop's Invoicing user posts it (the refusal did not use up the approval)
    local_server = servers(
        real_odoo, rights_db, make_settings, clock, "local", ("accounts", "accounts")
    )
    async with Client(local_server) as local:
        posted = await ok(local, "invoice_post_approved", approval_id=request["approval_id"])
    assert posted["state"] == "posted"

    # a posted entry is out of the draft-only user's reach, and so is the payment wizard
    with pytest.raises(odoorpc.error.RPCError):
        raw.execute_kw("account.move", "write", [[invoice_id], {"ref": "changed"}])
    with pytest.raises(odoorpc.error.RPCError):
        raw.execute_kw("account.move", "button_draft", [[invoice_id]])
    context = {"active_model": "account.move", "active_ids": [invoice_id]}
    with pytest.raises(odoorpc.error.RPCError):
        wizard = raw.execute_kw(
            "account.payment.register", "create", [{"amount": 100}], {"context": context}
        )
        raw.execute_kw(
            "account.payment.register", "action_create_payments", [[wizard]], {"context": context}
        )
    in_odoo = read_move(real_odoo, rights_db, invoice_id)
    assert (in_odoo["state"], in_odoo["ref"], in_odoo["amount_residual"]) == (
        "posted",
        False,
        1150.0,
    )
    admin = real_odoo.rpc(rights_db)
    assert admin.execute_kw("account.payment", "search_count", [[]]) == 0


async def test_a_restart_mid_run_is_survived_and_ends_revoked_and_expired_keys(
    real_odoo: RealOdoo, rights_db: str, make_settings: Any, clock: Any, vault_path: Path
) -> None:
    """Odoo 18 caches a good (uid, key) pair per process (``res.users.check`` is an
    ormcache), and removing a key does not clear that cache: a revoked or expired key keeps
    working on a running server until its caches are cleared, which a restart does. After
    it, odoo-mcp's one retry of the login fails and it says why, without the key; a server
    whose credentials still hold goes on with the approval it had before the restart."""
    (drafts,) = real_odoo.rpc(rights_db).execute_kw(
        "res.users", "search", [[["login", "=", "drafts"]]]
    )
    # a user that signs in with API keys only (each failed login then costs no
    # 600,000-round password check)
    real_odoo.psql(rights_db, f"UPDATE res_users SET password = NULL WHERE id = {drafts}")
    revoked_key = real_odoo.api_key(rights_db, drafts, name="revoked")
    expired_key = real_odoo.api_key(rights_db, drafts, name="short-lived")

    def cloud_with(key: str) -> Any:
        return servers(real_odoo, rights_db, make_settings, clock, "cloud", ("drafts", key))

    local_server = servers(real_odoo, rights_db, make_settings, clock, "local")
    async with (
        Client(cloud_with(revoked_key)) as revoked,
        Client(cloud_with(expired_key)) as expired,
        Client(local_server) as local,
    ):
        partner = await ok(revoked, "partner_create", name="Azure Interior", email="a@example.test")
        draft = await ok(revoked, "invoice_create_draft", partner=partner["id"], lines=LINES)
        request = await ok(expired, "invoice_request_post", invoice_id=draft["invoice_id"])
        approve(vault_path, vault_path / request["path"])

        # Remove in Preferences deletes the row, and nothing else; expiry is a date
        real_odoo.psql(rights_db, "DELETE FROM res_users_apikeys WHERE name = 'revoked'")
        real_odoo.psql(
            rights_db,
            "UPDATE res_users_apikeys SET expiration_date = now() at time zone 'utc' "
            "- interval '1 minute' WHERE name = 'short-lived'",
        )
        for cloud in (revoked, expired):  # Odoo's cache still holds both
            assert (await ok(cloud, "invoice_list"))["total"] == 1

        real_odoo.restart()
        for cloud, key in ((revoked, revoked_key), (expired, expired_key)):
            text = await error_text(cloud, "invoice_list")
            assert "refused the login of 'drafts'" in text and "API key" in text
            assert key not in text
        refused = await error_text(
            revoked, "invoice_create_draft", partner=partner["id"], lines=LINES
        )
        assert "refused the login" in refused
        posted = await ok(local, "invoice_post_approved", approval_id=request["approval_id"])

    assert posted["state"] == "posted"
    admin = real_odoo.rpc(rights_db)
    assert admin.execute_kw("account.move", "search_count", [[]]) == 1
    assert read_move(real_odoo, rights_db, draft["invoice_id"])["state"] == "posted"
