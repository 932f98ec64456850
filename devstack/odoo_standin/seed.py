"""Seed data: a company, users with roles, partners, a minimal chart, taxes, journals, products.

A seed is a dict (or a JSON file) with any of the top-level keys of :data:`DEFAULT_SEED`; each
key given replaces the default list or dict as a whole. Users take a ``role``:

- ``accountant``: Internal User + ``account.group_account_invoice`` (may post, may pay) +
  ``account.group_account_manager``;
- ``draft-only``: Internal User + our addon's ``aie_draft_only.group_draft_only`` (which
  implies ``account.group_account_readonly``, as in Odoo): reads, creates and edits drafts;
  posting and payment registration raise ``AccessError``;

plus optional extra ``groups`` (external ids) and ``api_keys`` (accepted as passwords).
Record ids follow Odoo's usual layout: company 1, ``__system__`` uid 1, the first seeded user
uid 2 (``base.user_admin``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .base import (
    GROUP_DRAFT_ONLY,
    GROUP_INVOICE,
    GROUP_MANAGER,
    GROUP_READONLY,
    GROUP_SYSTEM,
    GROUP_USER,
)
from .models import SPECS
from .orm import Env, Knobs
from .store import Store

DEFAULT_SEED: dict[str, Any] = {
    "company": {
        "name": "Acme Corp",
        "currency": "USD",
        "email": "accounts@acme.example",
        "vat": "US123456789",
    },
    "users": [
        {
            "login": "admin",
            "password": "admin",
            "name": "Mitchell Admin",
            "role": "accountant",
            "groups": [GROUP_SYSTEM],
            "api_keys": ["acme-admin-api-key"],
            "tz": "Europe/Brussels",
            "email": "admin@acme.example",
        },
        {
            "login": "drafter",
            "password": "drafter",
            "name": "Dana Drafter",
            "role": "draft-only",
            "api_keys": ["acme-drafter-api-key"],
            "tz": "Europe/Brussels",
            "email": "drafter@acme.example",
        },
    ],
    "partners": [
        {
            "name": "Azure Interior",
            "email": "azure.interior@example.com",
            "is_company": True,
            "customer_rank": 1,
            "vat": "BE0477472701",
        },
        {
            "name": "Deco Addict",
            "email": "deco.addict@example.com",
            "is_company": True,
            "customer_rank": 1,
        },
        {
            "name": "Gemini Furniture",
            "email": "gemini.furniture@example.com",
            "is_company": True,
            "supplier_rank": 1,
        },
        {
            "name": "Wood Corner",
            "email": "wood.corner@example.com",
            "is_company": True,
            "supplier_rank": 1,
            "customer_rank": 1,
        },
        {
            "name": "Brandon Freeman",
            "email": "brandon.freeman@example.com",
            "parent": "Azure Interior",
            "customer_rank": 1,
        },
    ],
    "accounts": [
        {
            "code": "121000",
            "name": "Account Receivable",
            "account_type": "asset_receivable",
            "reconcile": True,
        },
        {
            "code": "211000",
            "name": "Account Payable",
            "account_type": "liability_payable",
            "reconcile": True,
        },
        {"code": "400000", "name": "Product Sales", "account_type": "income"},
        {"code": "600000", "name": "Expenses", "account_type": "expense"},
        {"code": "251000", "name": "Tax Received", "account_type": "liability_current"},
        {"code": "131000", "name": "Tax Paid", "account_type": "asset_current"},
        {"code": "101401", "name": "Bank", "account_type": "asset_cash"},
        {"code": "101501", "name": "Cash", "account_type": "asset_cash"},
    ],
    "taxes": [
        {"name": "Tax 15%", "amount": 15.0, "type_tax_use": "sale", "company_default": True},
        {
            "name": "Purchase Tax 15%",
            "amount": 15.0,
            "type_tax_use": "purchase",
            "company_default": True,
        },
        {"name": "Tax 0%", "amount": 0.0, "type_tax_use": "sale"},
        {"name": "Purchase Tax 0%", "amount": 0.0, "type_tax_use": "purchase"},
    ],
    "journals": [
        {
            "code": "INV",
            "name": "Customer Invoices",
            "type": "sale",
            "account": "400000",
            "refund_sequence": True,
        },
        {
            "code": "BILL",
            "name": "Vendor Bills",
            "type": "purchase",
            "account": "600000",
            "refund_sequence": True,
        },
        {"code": "MISC", "name": "Miscellaneous Operations", "type": "general"},
        {
            "code": "BNK1",
            "name": "Bank",
            "type": "bank",
            "account": "101401",
            "payment_sequence": True,
        },
        {
            "code": "CSH1",
            "name": "Cash",
            "type": "cash",
            "account": "101501",
            "payment_sequence": True,
        },
    ],
    "products": [
        {
            "name": "Consulting Hour",
            "default_code": "CONS",
            "list_price": 100.0,
            "standard_price": 60.0,
            "type": "service",
            "taxes": ["Tax 15%"],
            "supplier_taxes": ["Purchase Tax 15%"],
        },
        {
            "name": "Office Chair",
            "default_code": "CHAIR",
            "list_price": 250.0,
            "standard_price": 150.0,
            "type": "consu",
            "taxes": ["Tax 15%"],
            "supplier_taxes": ["Purchase Tax 15%"],
        },
    ],
    "payment_terms": [
        {"name": "Immediate Payment", "days": 0},
        {"name": "15 Days", "days": 15},
        {"name": "30 Days", "days": 30},
    ],
}
ROLES = {
    "accountant": [GROUP_USER, GROUP_INVOICE, GROUP_MANAGER],
    "draft-only": [GROUP_USER, GROUP_READONLY, GROUP_DRAFT_ONLY],
}
GROUPS = {
    GROUP_USER: ("Internal User", "User types / Internal User"),
    GROUP_SYSTEM: ("Settings", "Administration / Settings"),
    GROUP_INVOICE: ("Billing", "Invoicing / Billing"),
    GROUP_MANAGER: ("Administrator", "Invoicing / Administrator"),
    # names as a real Odoo 18 with our addon gives them
    GROUP_READONLY: (
        "Show Accounting Features - Readonly",
        "Technical / Show Accounting Features - Readonly",
    ),
    GROUP_DRAFT_ONLY: (
        "AI Employee: draft invoices only",
        "Technical / AI Employee: draft invoices only",
    ),
}
# what each group implies, as Odoo 18's account and our addon declare it
IMPLIED = {
    GROUP_INVOICE: (GROUP_USER,),
    GROUP_MANAGER: (GROUP_INVOICE,),
    GROUP_READONLY: (GROUP_USER,),
    GROUP_DRAFT_ONLY: (GROUP_READONLY,),
}
CURRENCIES = {"USD": "$", "EUR": "€"}


def load_seed(source: dict[str, Any] | str | Path | None) -> dict[str, Any]:
    """The default seed with the keys of ``source`` (a dict or a JSON file path) replaced."""
    if source is None:
        return dict(DEFAULT_SEED)
    data = source if isinstance(source, dict) else json.loads(Path(source).read_text("utf-8"))
    return {**DEFAULT_SEED, **data}


def _xmlid(env: Env, xmlid: str, model: str, res_id: int) -> None:
    module, _, name = xmlid.partition(".")
    env.store.insert(
        "ir.model.data", {"module": module, "name": name, "model": model, "res_id": res_id}
    )


def apply_seed(store: Store, knobs: Knobs, source: dict[str, Any] | str | Path | None) -> None:
    """Wipe ``store`` and fill it with ``source`` (see :func:`load_seed`)."""
    data = load_seed(source)
    env = Env(store, knobs, uid=1, su=True)
    with store.transaction():
        store.wipe()
        for model, spec in SPECS.items():
            store.insert(
                "ir.model",
                {
                    "model": model,
                    "name": spec.description,
                    "transient": spec.transient,
                    "state": "base",
                },
            )
        groups = {}
        for xmlid, (name, full_name) in GROUPS.items():
            groups[xmlid] = env["res.groups"]._create_one({"name": name, "full_name": full_name})
            _xmlid(env, xmlid, "res.groups", groups[xmlid])
        for xmlid, implied in IMPLIED.items():
            store.update("res.groups", groups[xmlid], {"implied_ids": [groups[i] for i in implied]})
        company = data["company"]
        currencies = {}
        for code, symbol in CURRENCIES.items():
            currencies[code] = env["res.currency"]._create_one(
                {
                    "name": code,
                    "symbol": symbol,
                    "rounding": 0.01,
                    "decimal_places": 2,
                    "active": code == company.get("currency", "USD"),
                }
            )
            _xmlid(env, f"base.{code}", "res.currency", currencies[code])
        partner_id = env["res.partner"]._create_one(
            {
                "name": company["name"],
                "is_company": True,
                "email": company.get("email") or False,
                "vat": company.get("vat") or False,
            }
        )
        company_id = env["res.company"]._create_one(
            {
                "name": company["name"],
                "partner_id": partner_id,
                "currency_id": currencies[company.get("currency", "USD")],
                "email": company.get("email") or False,
                "vat": company.get("vat") or False,
            }
        )
        store.update("res.partner", partner_id, {"company_id": company_id})
        _xmlid(env, "base.main_company", "res.company", company_id)
        _xmlid(env, "base.main_partner", "res.partner", partner_id)
        root = env["res.users"]._create_one(
            {
                "login": "__system__",
                "name": "OdooBot",
                "active": False,
                "groups_id": [groups[GROUP_USER]],
            }
        )
        _xmlid(env, "base.user_root", "res.users", root)
        root_partner = (store.get("res.users", root) or {})["partner_id"]
        store.update("res.partner", root_partner, {"active": False})  # archived, as in Odoo
        _xmlid(env, "base.partner_root", "res.partner", root_partner)
        for i, user in enumerate(data["users"]):
            group_ids = [groups[g] for g in ROLES[user.get("role", "accountant")]]
            group_ids += [groups[g] for g in user.get("groups", []) if groups[g] not in group_ids]
            uid = env["res.users"]._create_one(
                {
                    "login": user["login"],
                    "password": user["password"],
                    "api_keys": list(user.get("api_keys", [])),
                    "name": user.get("name"),
                    "email": user.get("email"),
                    "tz": user.get("tz") or False,
                    "lang": user.get("lang", "en_US"),
                    "groups_id": group_ids,
                }
            )
            if i == 0:
                _xmlid(env, "base.user_admin", "res.users", uid)
        _seed_accounting(env, data, company_id)
        store.set_meta("seeded", True)


def _seed_accounting(env: Env, data: dict[str, Any], company_id: int) -> None:
    accounts = {a["code"]: env["account.account"]._create_one(dict(a)) for a in data["accounts"]}
    taxes: dict[str, int] = {}
    for tax in data["taxes"]:
        vals = {k: v for k, v in tax.items() if k != "company_default"}
        vals.setdefault("amount_type", "percent")
        vals.setdefault("price_include", False)
        vals.setdefault("company_id", company_id)
        taxes[tax["name"]] = env["account.tax"]._create_one(vals)
        if tax.get("company_default"):
            key = (
                "account_sale_tax_id"
                if tax["type_tax_use"] == "sale"
                else "account_purchase_tax_id"
            )
            env.store.update("res.company", company_id, {key: taxes[tax["name"]]})
    for seq, journal in enumerate(data["journals"], start=1):
        vals = {k: v for k, v in journal.items() if k != "account"}
        vals.update(company_id=company_id, sequence=seq * 5)
        if journal.get("account"):
            vals["default_account_id"] = accounts[journal["account"]]
        env["account.journal"]._create_one(vals)
    for product in data["products"]:
        vals = {k: v for k, v in product.items() if k not in ("taxes", "supplier_taxes")}
        vals["taxes_id"] = [taxes[t] for t in product.get("taxes", [])]
        vals["supplier_taxes_id"] = [taxes[t] for t in product.get("supplier_taxes", [])]
        env["product.product"]._create_one(vals)
    for term in data["payment_terms"]:
        env.store.insert(
            "account.payment.term",
            {"name": term["name"], "active": True, "days": int(term.get("days", 0))},
        )
    names = {p["name"]: 0 for p in data["partners"]}
    for partner in data["partners"]:
        vals = {k: v for k, v in partner.items() if k != "parent"}
        if partner.get("parent"):
            vals["parent_id"] = names[partner["parent"]]
        names[partner["name"]] = env["res.partner"]._create_one(vals)
