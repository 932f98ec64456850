"""The Odoo stand-in, driven as a real Odoo 17/18 would be: plain odoorpc and xmlrpc.client."""

from __future__ import annotations

import http.client
import json
import urllib.request
import xmlrpc.client
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import odoorpc
import pytest
from odoorpc.error import RPCError

from devstack.odoo_standin import StandinProcess, StandinThread

TODAY = "2026-03-15"


@pytest.fixture(scope="module")
def standin() -> Iterator[StandinThread]:
    with StandinThread(today=TODAY) as server:
        yield server


@pytest.fixture(autouse=True)
def fresh(standin: StandinThread) -> None:
    standin.control(version="17.0", delay_s=0, stall=False, drop_next=0, in_payment=False)
    standin.reset()
    standin.reset_stats()


def connect(
    standin: StandinThread, login: str = "admin", password: str = "admin", **kw: Any
) -> odoorpc.ODOO:
    odoo = odoorpc.ODOO("127.0.0.1", port=standin.port, **kw)
    odoo.login("acme", login, password)
    return odoo


@pytest.fixture
def odoo(standin: StandinThread) -> odoorpc.ODOO:
    return connect(standin)


def raw(standin: StandinThread, path: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """One JSON-RPC POST as odoorpc sends it; returns (HTTP status, decoded body)."""
    body = json.dumps({"jsonrpc": "2.0", "method": "call", "params": params, "id": 7}).encode()
    req = urllib.request.Request(standin.url + path, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        return resp.status, json.loads(resp.read())


def obj(standin: StandinThread, *args: Any, password: str = "admin") -> dict[str, Any]:
    params = {"service": "object", "method": "execute_kw", "args": ["acme", 2, password, *args]}
    return raw(standin, "/jsonrpc", params)[1]


def tax(odoo: odoorpc.ODOO, name: str) -> int:
    return odoo.env["account.tax"].search([("name", "=", name)])[0]


def partner(odoo: odoorpc.ODOO, name: str) -> int:
    return odoo.env["res.partner"].search([("name", "=", name)])[0]


def invoice(
    odoo: odoorpc.ODOO,
    lines: list[tuple[float, float, str]] | None = None,
    move_type: str = "out_invoice",
    partner_name: str | None = "Azure Interior",
    **vals: Any,
) -> int:
    """Create a draft through ``execute_kw`` as product code does; lines are (qty, price, tax)."""
    lines = [(1, 100.0, "Tax 15%")] if lines is None else lines
    vals.update(
        move_type=move_type,
        invoice_line_ids=[
            [
                0,
                0,
                {
                    "name": f"Line {i}",
                    "quantity": q,
                    "price_unit": p,
                    "tax_ids": [[6, 0, [tax(odoo, t)] if t else []]],
                },
            ]
            for i, (q, p, t) in enumerate(lines)
        ],
    )
    if partner_name:
        vals["partner_id"] = partner(odoo, partner_name)
    return odoo.execute_kw("account.move", "create", [vals], {})


def read_move(odoo: odoorpc.ODOO, mid: int, *names: str) -> dict[str, Any]:
    return odoo.execute_kw("account.move", "read", [[mid], list(names)], {})[0]


def rpc_error(call: Any, *args: Any) -> RPCError:
    with pytest.raises(RPCError) as info:
        call(*args)
    return info.value


def pay(odoo: odoorpc.ODOO, mid: int, **vals: Any) -> Any:
    ctx = {"active_model": "account.move", "active_ids": [mid]}
    wiz = odoo.execute_kw("account.payment.register", "create", [vals], {"context": ctx})
    return odoo.execute_kw(
        "account.payment.register", "action_create_payments", [[wiz]], {"context": ctx}
    )


# -- connection, login, envelope ------------------------------------------------------------
def test_version_login_context_and_db_list(odoo: odoorpc.ODOO) -> None:
    assert odoo.version == "17.0"
    assert odoo.env.uid == 2
    assert odoo.env.context == {"lang": "en_US", "tz": "Europe/Brussels", "uid": 2}
    assert odoo.db.list() == ["acme"]
    assert odoo.env.user.name == "Mitchell Admin"
    assert "res.partner" in odoo.env and "no.such.model" not in odoo.env
    assert odoo.env.ref("base.main_company").name == "Acme Corp"


def test_wrong_password_is_a_failed_login(standin: StandinThread) -> None:
    with pytest.raises(RPCError, match="Wrong login ID or password"):
        connect(standin, password="nope")
    status, body = raw(
        standin,
        "/jsonrpc",
        {"service": "common", "method": "login", "args": ["acme", "admin", "nope"]},
    )
    assert status == 200 and body["result"] is False and "error" not in body


def test_api_key_replaces_the_password(standin: StandinThread) -> None:
    odoo = connect(standin, password="acme-admin-api-key")
    assert odoo.env.uid == 2
    assert odoo.env["res.partner"].search_count([("is_company", "=", True)]) == 5


def test_wrong_password_on_object_call_is_access_denied(standin: StandinThread) -> None:
    body = obj(standin, "res.partner", "search", [[]], {}, password="stolen")
    assert "result" not in body
    error = body["error"]
    assert error["code"] == 200 and error["message"] == "Odoo Server Error"
    assert set(error["data"]) == {"name", "debug", "message", "arguments", "context"}
    assert error["data"]["name"] == "odoo.exceptions.AccessDenied"
    assert error["data"]["message"] == "Access Denied"
    assert error["data"]["arguments"] == ["Access Denied"]


@pytest.mark.parametrize(
    ("model", "method", "name", "message"),
    [
        ("no.model", "search", "odoo.exceptions.UserError", "Object no.model doesn't exist"),
        (
            "res.partner",
            "frobnicate",
            "builtins.AttributeError",
            "The method 'frobnicate' does not exist on the model 'res.partner'",
        ),
        (
            "res.partner",
            "_secret",
            "odoo.exceptions.AccessError",
            "Private methods (such as _secret) cannot be called remotely.",
        ),
        (
            "res.partner",
            "name_get",
            "builtins.AttributeError",
            "The method 'name_get' does not exist on the model 'res.partner'",
        ),
    ],
)
def test_error_envelope_classification(
    odoo: odoorpc.ODOO, model: str, method: str, name: str, message: str
) -> None:
    err = rpc_error(odoo.execute_kw, model, method, [[1]], {})
    assert err.info["data"]["name"] == name
    assert str(err) == message


# -- generic ORM -----------------------------------------------------------------------------
def test_search_browse_create_through_the_odoorpc_model_api(odoo: odoorpc.ODOO) -> None:
    Partner = odoo.env["res.partner"]
    ids = Partner.search([("customer_rank", ">", 0)], order="name")
    assert [p.name for p in Partner.browse(ids)] == [
        "Azure Interior",
        "Brandon Freeman",
        "Deco Addict",
        "Wood Corner",
    ]
    new_id = Partner.create({"name": "Acme Client", "email": "c@example.com", "is_company": True})
    assert isinstance(new_id, int)
    rec = Partner.browse(new_id)
    assert (rec.name, rec.email, rec.is_company, rec.display_name) == (
        "Acme Client",
        "c@example.com",
        True,
        "Acme Client",
    )
    rec.email = "new@example.com"
    assert Partner.read([new_id], ["email"])[0]["email"] == "new@example.com"
    brandon = Partner.browse(partner(odoo, "Brandon Freeman"))
    assert brandon.display_name == "Azure Interior, Brandon Freeman"
    assert brandon.parent_id.name == "Azure Interior"


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ([("name", "ilike", "wood")], {"Wood Corner"}),
        ([("name", "like", "wood")], set()),
        ([("name", "=ilike", "deco%")], {"Deco Addict"}),
        (
            ["|", ("supplier_rank", ">", 0), ("name", "=", "Deco Addict")],
            {"Gemini Furniture", "Wood Corner", "Deco Addict"},
        ),
        (["!", ("is_company", "=", True)], {"Brandon Freeman", "Mitchell Admin", "Dana Drafter"}),
        ([("customer_rank", ">=", 1), ("supplier_rank", "!=", 0)], {"Wood Corner"}),
        ([("parent_id", "=", False), ("vat", "!=", False)], {"Acme Corp", "Azure Interior"}),
        ([("parent_id.name", "=", "Azure Interior")], {"Brandon Freeman"}),
        ([("parent_id", "ilike", "azure")], {"Brandon Freeman"}),
        ([("name", "in", ["Wood Corner", "Nobody"])], {"Wood Corner"}),
        ([("name", "not in", ["Wood Corner"]), ("supplier_rank", ">", 0)], {"Gemini Furniture"}),
        ([("child_ids", "!=", False)], {"Azure Interior"}),
    ],
)
def test_domain_operators(odoo: odoorpc.ODOO, domain: list[Any], expected: set[str]) -> None:
    rows = odoo.execute_kw("res.partner", "search_read", [domain], {"fields": ["name"]})
    assert {r["name"] for r in rows} == expected


def test_read_semantics(odoo: odoorpc.ODOO) -> None:
    pid = partner(odoo, "Brandon Freeman")
    rows = odoo.execute_kw("res.partner", "read", [[pid, 99999], ["parent_id", "vat", "phone"]], {})
    assert rows == [
        {
            "id": pid,
            "parent_id": [partner(odoo, "Azure Interior"), "Azure Interior"],
            "vat": False,
            "phone": False,
        }
    ]
    rows = odoo.execute_kw(
        "res.partner", "read", [[pid], ["parent_id"]], {"load": "_classic_write"}
    )
    assert rows[0]["parent_id"] == partner(odoo, "Azure Interior")
    err = rpc_error(odoo.execute_kw, "res.partner", "read", [[pid], ["nope"]], {})
    assert err.info["data"]["name"] == "builtins.ValueError"
    # partner 2 is OdooBot, archived as in Odoo, so the active_test filter skips it
    assert odoo.execute_kw(
        "res.partner", "search", [[]], {"limit": 2, "offset": 1, "order": "id"}
    ) == [3, 4]
    assert odoo.execute_kw("res.partner", "name_search", ["deco"], {}) == [
        [partner(odoo, "Deco Addict"), "Deco Addict"]
    ]


def test_fields_get_types_and_relations(odoo: odoorpc.ODOO) -> None:
    for model in (
        "res.partner",
        "account.move",
        "account.move.line",
        "account.payment",
        "account.payment.register",
        "account.tax",
        "account.journal",
    ):
        fields = odoo.execute(model, "fields_get")
        assert all("type" in f for f in fields.values()), model
        for f in fields.values():
            assert ("relation" in f) == (f["type"] in ("many2one", "one2many", "many2many"))
    move = odoo.execute("account.move", "fields_get")
    assert move["invoice_line_ids"]["relation"] == "account.move.line"
    assert ["partial", "Partially Paid"] in move["payment_state"]["selection"]


def test_create_many_and_x2many_commands(odoo: odoorpc.ODOO) -> None:
    ids = odoo.execute_kw("res.partner", "create", [[{"name": "A"}, {"name": "B"}]], {})
    assert isinstance(ids, list) and len(ids) == 2
    mid = invoice(odoo, [(1, 10.0, "Tax 0%"), (1, 20.0, "Tax 0%")])
    lines = read_move(odoo, mid, "invoice_line_ids")["invoice_line_ids"]
    assert (
        odoo.execute_kw(
            "account.move", "write", [[mid], {"invoice_line_ids": [[6, 0, lines[:1]]]}], {}
        )
        is True
    )
    assert read_move(odoo, mid, "amount_total")["amount_total"] == 10.0
    odoo.execute_kw(
        "account.move",
        "write",
        [
            [mid],
            {
                "invoice_line_ids": [
                    [1, lines[0], {"quantity": 3}],
                    [0, 0, {"name": "X", "price_unit": 5.0, "tax_ids": [[6, 0, []]]}],
                ]
            },
        ],
        {},
    )
    assert read_move(odoo, mid, "amount_total")["amount_total"] == 35.0
    odoo.execute_kw("account.move", "write", [[mid], {"invoice_line_ids": [[5]]}], {})
    assert read_move(odoo, mid, "invoice_line_ids", "amount_total") == {
        "id": mid,
        "invoice_line_ids": [],
        "amount_total": 0.0,
    }


# -- invoices ----------------------------------------------------------------------------
def test_invoice_amounts_round_per_line(odoo: odoorpc.ODOO) -> None:
    mid = invoice(
        odoo, [(3, 33.33, "Tax 15%"), (1, 0.10, "Tax 15%")], invoice_date="2026-02-10", ref="PO-77"
    )
    move = read_move(
        odoo,
        mid,
        "amount_untaxed",
        "amount_tax",
        "amount_total",
        "amount_residual",
        "amount_total_signed",
        "state",
        "payment_state",
        "invoice_date_due",
        "date",
        "journal_id",
        "display_name",
    )
    assert (move["amount_untaxed"], move["amount_tax"], move["amount_total"]) == (
        100.09,
        15.02,
        115.11,
    )
    assert move["amount_residual"] == move["amount_total_signed"] == 115.11
    assert (move["state"], move["payment_state"]) == ("draft", "not_paid")
    assert move["invoice_date_due"] == move["date"] == "2026-02-10"
    assert move["journal_id"][1] == "Customer Invoices"
    assert move["display_name"] == "Draft Invoice INV/2026/00001 (PO-77)"
    bill = invoice(
        odoo,
        [(1, 50.0, "")],
        move_type="in_invoice",
        partner_name="Gemini Furniture",
        invoice_date="2026-03-02",
    )
    assert read_move(odoo, bill, "amount_total_signed")["amount_total_signed"] == -50.0
    no_tax_given = odoo.execute_kw(
        "account.move",
        "create",
        [
            {
                "move_type": "out_invoice",
                "partner_id": partner(odoo, "Deco Addict"),
                "invoice_line_ids": [[0, 0, {"name": "default tax", "price_unit": 10.0}]],
            }
        ],
        {},
    )
    assert read_move(odoo, no_tax_given, "amount_tax")["amount_tax"] == 1.5


def test_numbering_17(odoo: odoorpc.ODOO) -> None:
    first = invoice(odoo, invoice_date="2026-01-05")
    second = invoice(odoo, invoice_date="2026-01-06")
    assert read_move(odoo, first, "name")["name"] == "INV/2026/00001"  # first of its period
    assert read_move(odoo, second, "name")["name"] == "/"
    assert read_move(odoo, second, "display_name")["display_name"] == f"Draft Invoice (* {second})"
    assert odoo.execute_kw("account.move", "action_post", [[second]], {}) is False
    assert odoo.env["account.move"].browse(second).name == "INV/2026/00002"
    odoo.env["account.move"].action_post([first])
    assert read_move(odoo, first, "name", "state", "posted_before") == {
        "id": first,
        "name": "INV/2026/00001",
        "state": "posted",
        "posted_before": True,
    }
    no_date = invoice(odoo)
    odoo.env["account.move"].action_post([no_date])
    assert read_move(odoo, no_date, "name", "invoice_date") == {
        "id": no_date,
        "name": "INV/2026/00003",
        "invoice_date": TODAY,
    }
    refund = invoice(odoo, move_type="out_refund", invoice_date="2026-03-01")
    bill = invoice(
        odoo,
        [(1, 10.0, "Purchase Tax 15%")],
        move_type="in_invoice",
        partner_name="Gemini Furniture",
        invoice_date="2026-03-01",
    )
    odoo.env["account.move"].action_post([refund, bill])
    assert odoo.execute_kw("account.move", "read", [[refund, bill], ["name"]], {}) == [
        {"id": refund, "name": "RINV/2026/00001"},
        {"id": bill, "name": "BILL/2026/03/0001"},
    ]


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        (
            "no_partner",
            "The field 'Customer' is required, please complete it to validate the "
            "Customer Invoice.",
        ),
        (
            "no_vendor",
            "The field 'Vendor' is required, please complete it to validate the Vendor Bill.",
        ),
        ("no_bill_date", "The Bill/Refund date is required to validate this document."),
        ("no_lines", "You need to add a line before posting."),
        (
            "negative",
            "You cannot validate an invoice with a negative total amount. You should create "
            "a credit note instead. Use the action menu to transform it into a credit note "
            "or refund.",
        ),
        ("posted", "The entry INV/2026/00001 (id {id}) must be in draft."),
    ],
)
def test_action_post_refusals_17(odoo: odoorpc.ODOO, kind: str, message: str) -> None:
    mid = {
        "no_partner": lambda: invoice(odoo, partner_name=None),
        "no_vendor": lambda: invoice(
            odoo, move_type="in_invoice", partner_name=None, invoice_date="2026-03-01"
        ),
        "no_bill_date": lambda: invoice(odoo, move_type="in_invoice"),
        "no_lines": lambda: invoice(odoo, []),
        "negative": lambda: invoice(odoo, [(1, -5.0, "")]),
        "posted": lambda: invoice(odoo, invoice_date="2026-03-01"),
    }[kind]()
    if kind == "posted":
        odoo.execute_kw("account.move", "action_post", [[mid]], {})
    err = rpc_error(odoo.execute_kw, "account.move", "action_post", [[mid]], {})
    assert err.info["data"]["name"] == "odoo.exceptions.UserError"
    assert str(err) == message.format(id=mid)
    # the whole call rolled back
    assert read_move(odoo, mid, "state")["state"] == ("posted" if kind == "posted" else "draft")


def test_first_failure_in_17_all_failures_in_18(standin: StandinThread, odoo: odoorpc.ODOO) -> None:
    mid = invoice(odoo, [], partner_name=None)
    err = rpc_error(odoo.execute_kw, "account.move", "action_post", [[mid]], {})
    assert str(err).startswith("The field 'Customer' is required") and "\n" not in str(err)
    standin.control(version="18.0")
    odoo18 = connect(standin)
    assert odoo18.version == "18.0"
    err = rpc_error(odoo18.execute_kw, "account.move", "action_post", [[mid]], {})
    assert set(str(err).split("\n")) == {
        "The field 'Customer' is required, please complete it to validate the Customer Invoice.",
        "You need to add a line before posting.",
    }


def test_odoo_18_drafts_and_messages(standin: StandinThread) -> None:
    standin.control(version="18.0")
    odoo = connect(standin)
    mid = invoice(odoo, invoice_date="2026-01-05")
    move = read_move(odoo, mid, "name", "display_name", "name_placeholder")
    assert move == {
        "id": mid,
        "name": False,
        "display_name": "Draft Invoice",
        "name_placeholder": "INV/2026/00001",
    }
    err = rpc_error(odoo.execute_kw, "res.partner", "frobnicate", [[]], {})
    assert str(err) == "The method 'res.partner.frobnicate' does not exist"
    err = rpc_error(odoo.execute_kw, "res.partner", "_x", [[]], {})
    assert str(err) == "Private methods (such as res.partner._x) cannot be called remotely."
    action = pay(odoo, mid, amount=40.0)  # 18 accepts a draft: linked, nothing reconciled
    payment = odoo.execute_kw(
        "account.payment", "read", [[action["res_id"]], ["state", "memo"]], {}
    )[0]
    assert payment["state"] == "in_process"
    assert read_move(odoo, mid, "amount_residual")["amount_residual"] == 115.0
    odoo.execute_kw("account.move", "action_post", [[mid]], {})
    assert read_move(odoo, mid, "name", "amount_residual", "payment_state") == {
        "id": mid,
        "name": "INV/2026/00001",
        "amount_residual": 75.0,
        "payment_state": "partial",
    }


def test_reset_to_draft_and_cancel(standin: StandinThread, odoo: odoorpc.ODOO) -> None:
    mid = invoice(odoo, invoice_date="2026-03-01")
    err = rpc_error(odoo.execute_kw, "account.move", "button_draft", [[mid]], {})
    assert str(err) == "Only posted/cancelled journal entries can be reset to draft."
    odoo.execute_kw("account.move", "action_post", [[mid]], {})
    body = obj(standin, "account.move", "button_draft", [[mid]], {})
    assert body == {"jsonrpc": "2.0", "id": 7}  # None: Odoo leaves "result" out
    assert read_move(odoo, mid, "state", "name") == {
        "id": mid,
        "state": "draft",
        "name": "INV/2026/00001",
    }
    odoo.execute_kw("account.move", "action_post", [[mid]], {})
    assert odoo.execute_kw("account.move", "button_cancel", [[mid]], {}) is None
    assert read_move(odoo, mid, "state")["state"] == "cancel"
    err = rpc_error(odoo.execute_kw, "account.move", "button_cancel", [[mid]], {})
    assert str(err) == "Only draft journal entries can be cancelled."


def test_posted_moves_are_locked(odoo: odoorpc.ODOO) -> None:
    mid = invoice(odoo, invoice_date="2026-03-01")
    line = read_move(odoo, mid, "invoice_line_ids")["invoice_line_ids"][0]
    odoo.execute_kw("account.move", "action_post", [[mid]], {})
    for vals in (
        {"invoice_line_ids": [[1, line, {"price_unit": 1.0}]]},
        {"invoice_line_ids": [[0, 0, {"name": "more", "price_unit": 1.0}]]},
        {"invoice_line_ids": [[2, line]]},
    ):
        err = rpc_error(odoo.execute_kw, "account.move", "write", [[mid], vals], {})
        assert err.info["data"]["name"] == "odoo.exceptions.UserError"
    err = rpc_error(
        odoo.execute_kw, "account.move.line", "write", [[line], {"tax_ids": [[6, 0, []]]}], {}
    )
    assert "You cannot modify the taxes related to a posted journal item" in str(err)
    err = rpc_error(odoo.execute_kw, "account.move", "unlink", [[mid]], {})
    assert str(err) == "You cannot delete an item linked to a posted entry."
    assert read_move(odoo, mid, "amount_total")["amount_total"] == 115.0
    draft = invoice(odoo)
    assert odoo.execute_kw("account.move", "unlink", [[draft]], {}) is True
    assert (
        odoo.execute_kw("account.move.line", "search_count", [[("move_id", "=", draft)]], {}) == 0
    )


# -- payments ------------------------------------------------------------------------------
def test_partial_then_full_payment(odoo: odoorpc.ODOO) -> None:
    mid = invoice(odoo, [(2, 100.0, "Tax 15%")], invoice_date="2026-03-01")
    odoo.execute_kw("account.move", "action_post", [[mid]], {})
    ctx = {"active_model": "account.move", "active_ids": [mid]}
    defaults = odoo.execute_kw(
        "account.payment.register",
        "default_get",
        [["amount", "journal_id", "communication"]],
        {"context": ctx},
    )
    assert defaults["amount"] == 230.0 and defaults["communication"] == "INV/2026/00001"
    action = pay(odoo, mid, amount=100.0, payment_date="2026-03-10")
    assert action == {
        "name": "Payments",
        "type": "ir.actions.act_window",
        "res_model": "account.payment",
        "context": {"create": False},
        "view_mode": "form",
        "res_id": action["res_id"],
    }
    assert read_move(odoo, mid, "amount_residual", "payment_state") == {
        "id": mid,
        "amount_residual": 130.0,
        "payment_state": "partial",
    }
    payment = odoo.execute_kw(
        "account.payment",
        "read",
        [
            [action["res_id"]],
            [
                "name",
                "amount",
                "payment_type",
                "partner_type",
                "state",
                "date",
                "journal_id",
                "reconciled_invoice_ids",
                "is_reconciled",
            ],
        ],
        {"load": "_classic_write"},
    )[0]
    assert payment["name"] == "PBNK1/2026/00001"
    assert (payment["amount"], payment["payment_type"], payment["partner_type"]) == (
        100.0,
        "inbound",
        "customer",
    )
    assert (payment["state"], payment["date"], payment["is_reconciled"]) == (
        "posted",
        "2026-03-10",
        True,
    )
    assert payment["reconciled_invoice_ids"] == [mid]
    pay(odoo, mid)  # default amount: the residual
    assert read_move(odoo, mid, "amount_residual", "payment_state") == {
        "id": mid,
        "amount_residual": 0.0,
        "payment_state": "paid",
    }
    err = rpc_error(pay, odoo, mid)
    assert str(err) == (
        "You can't register a payment because there is nothing left to pay on "
        "the selected journal items."
    )
    odoo.execute_kw("account.move", "button_draft", [[mid]], {})  # unreconciles
    assert read_move(odoo, mid, "amount_residual")["amount_residual"] == 230.0


def test_payment_refusals_17(odoo: odoorpc.ODOO) -> None:
    draft = invoice(odoo)
    err = rpc_error(pay, odoo, draft)
    assert str(err) == "You can only register payment for posted journal entries."
    err = rpc_error(
        odoo.execute_kw,
        "account.payment.register",
        "create",
        [{}],
        {"context": {"active_model": "res.partner", "active_ids": [1]}},
    )
    assert str(err) == (
        "The register payment wizard should only be called on account.move or "
        "account.move.line records."
    )


def test_in_payment_knob(standin: StandinThread, odoo: odoorpc.ODOO) -> None:
    standin.control(in_payment=True)
    mid = invoice(odoo, invoice_date="2026-03-01")
    odoo.execute_kw("account.move", "action_post", [[mid]], {})
    pay(odoo, mid)
    assert read_move(odoo, mid, "payment_state")["payment_state"] == "in_payment"


def test_draft_only_user(standin: StandinThread, odoo: odoorpc.ODOO) -> None:
    drafter = connect(standin, "drafter", "drafter")
    mid = invoice(drafter, invoice_date="2026-03-01")
    assert read_move(drafter, mid, "state")["state"] == "draft"
    err = rpc_error(drafter.execute_kw, "account.move", "action_post", [[mid]], {})
    assert err.info["data"]["name"] == "odoo.exceptions.AccessError"
    assert str(err) == "You don't have the access rights to post an invoice."
    odoo.execute_kw("account.move", "action_post", [[mid]], {})
    err = rpc_error(pay, drafter, mid)
    assert err.info["data"]["name"] == "odoo.exceptions.AccessError"
    assert "(account.payment.register)" in str(err)
    assert read_move(odoo, mid, "payment_state")["payment_state"] == "not_paid"


# -- XML-RPC -------------------------------------------------------------------------------
def test_xmlrpc_like_mcp_server_odoo(standin: StandinThread, odoo: odoorpc.ODOO) -> None:
    common = xmlrpc.client.ServerProxy(f"{standin.url}/xmlrpc/2/common")
    models = xmlrpc.client.ServerProxy(f"{standin.url}/xmlrpc/2/object")
    assert common.version()["server_version"] == "17.0"
    assert common.authenticate("acme", "admin", "bad", {}) is False
    uid = common.authenticate("acme", "admin", "acme-admin-api-key", {})
    assert uid == 2
    rows = models.execute_kw(
        "acme",
        uid,
        "admin",
        "res.partner",
        "search_read",
        [[["supplier_rank", ">", 0]]],
        {"fields": ["name"], "order": "name"},
    )
    assert [r["name"] for r in rows] == ["Gemini Furniture", "Wood Corner"]
    with pytest.raises(xmlrpc.client.Fault) as denied:
        models.execute_kw("acme", uid, "wrong", "res.partner", "search", [[]])
    assert (denied.value.faultCode, denied.value.faultString) == (3, "Access Denied")
    mid = invoice(odoo, partner_name=None)
    with pytest.raises(xmlrpc.client.Fault) as refused:
        models.execute_kw("acme", uid, "admin", "account.move", "action_post", [[mid]])
    assert refused.value.faultCode == 2
    assert refused.value.faultString.startswith("The field 'Customer' is required")
    with pytest.raises(xmlrpc.client.Fault) as none_result:  # as real Odoo: None can't marshal
        models.execute_kw("acme", uid, "admin", "account.move", "button_cancel", [[mid]])
    assert "cannot marshal None" in none_result.value.faultString
    assert read_move(odoo, mid, "state")["state"] == "cancel"


# -- test knobs ----------------------------------------------------------------------------
def test_stats_count_round_trips(standin: StandinThread) -> None:
    odoo = connect(standin)
    odoo.execute_kw("res.partner", "search_read", [[]], {"fields": ["name"]})
    stats = standin.stats()
    assert stats["calls"] == {
        "version_info": 1,
        "common.login": 1,
        "res.users.context_get": 1,
        "res.partner.search_read": 1,
    }
    assert stats["total"] == 4 and stats["endpoints"]["/jsonrpc"] == 3
    with urllib.request.urlopen(f"{standin.url}/standin/stats", timeout=5) as resp:
        assert json.loads(resp.read()) == stats
    req = urllib.request.Request(f"{standin.url}/standin/stats/reset", b"{}", method="POST")
    urllib.request.urlopen(req, timeout=5).close()
    assert standin.stats()["total"] == 0


def test_delay_causes_client_timeout_and_drop_disconnects(standin: StandinThread) -> None:
    odoo = connect(standin, timeout=0.3)
    standin.control(delay_s=1.0)
    with pytest.raises(TimeoutError):
        odoo.execute_kw("res.partner", "search", [[]], {})
    standin.control(delay_s=0, drop_next=1)
    with pytest.raises(http.client.RemoteDisconnected):
        odoo.execute_kw("res.partner", "search", [[]], {})
    assert odoo.execute_kw("res.partner", "search_count", [[]], {}) == 8


def test_subprocess_survives_restart_with_a_file(tmp_path: Path) -> None:
    db_file = tmp_path / "standin.sqlite"
    with StandinProcess(db_path=db_file, version="18.0") as proc:
        odoo = odoorpc.ODOO("127.0.0.1", port=proc.port)
        assert odoo.version == "18.0"
        odoo.login("acme", "admin", "admin")
        pid = odoo.env["res.partner"].create({"name": "Kept Across Restarts"})
        assert proc.stats()["calls"]["res.partner.create"] == 1
    with StandinProcess(db_path=db_file) as proc:
        odoo = odoorpc.ODOO("127.0.0.1", port=proc.port)
        odoo.login("acme", "admin", "admin")
        assert odoo.env["res.partner"].browse(pid).name == "Kept Across Restarts"
        proc.reset()
        assert odoo.env["res.partner"].search([("id", "=", pid)]) == []
