"""``account.move.line``: product defaults, company default taxes, per-line tax rounding.

Every change recomputes the line's subtotal/total and its move's amounts; lines of a posted
move cannot change amounts, taxes or be deleted.
"""

from __future__ import annotations

from typing import Any

from .accounting import (
    AMOUNT_FIELDS,
    INVOICES,
    MSG_DELETE_POSTED,
    MSG_POSTED_LINES,
    MSG_POSTED_TAXES,
    NOTE_TYPES,
    SALE,
    moves,
    round2,
)
from .errors import UserError
from .orm import BaseModel, register
from .store import Row


@register("account.move.line")
class AccountMoveLine(BaseModel):
    """Invoice lines: product defaults, company default taxes, per-line tax rounding."""

    DEFAULTS = {"quantity": 1.0, "discount": 0.0, "display_type": "product", "sequence": 10}

    def _move(self, move_id: Any) -> Row | None:
        return self.env.store.get("account.move", move_id) if isinstance(move_id, int) else None

    def _prepare_create(self, vals: dict[str, Any]) -> dict[str, Any]:
        move = self._move(vals.get("move_id"))
        if not move:
            return vals
        if move["state"] == "posted":
            raise UserError(MSG_POSTED_LINES)
        if vals.get("display_type") in NOTE_TYPES:
            return vals
        sale = move["move_type"] in SALE
        product = (
            self.env.store.get("product.product", vals["product_id"])
            if vals.get("product_id")
            else None
        )
        if product and not vals.get("name"):
            vals["name"] = product["name"]
        if vals.get("price_unit") is None:
            key = "list_price" if sale else "standard_price"
            vals["price_unit"] = float((product or {}).get(key) or 0.0)
        journal = self.env.store.get("account.journal", move["journal_id"]) or {}
        if not vals.get("account_id"):
            vals["account_id"] = journal.get("default_account_id") or False
        if "tax_ids" not in vals and move["move_type"] in INVOICES:
            vals["tax_ids"] = self._default_taxes(sale, product, vals.get("account_id"))
        return vals

    def _default_taxes(self, sale: bool, product: Row | None, account_id: Any) -> list[int]:
        taxes = (product or {}).get("taxes_id" if sale else "supplier_taxes_id") or []
        if not taxes and account_id:
            taxes = (self.env.store.get("account.account", account_id) or {}).get("tax_ids") or []
        if not taxes:
            company = self.env.company()
            default = company.get("account_sale_tax_id" if sale else "account_purchase_tax_id")
            taxes = [default] if default else []
        return list(taxes)

    def _amounts(self, row: Row) -> dict[str, float]:
        if row.get("display_type") in NOTE_TYPES:
            return {"price_subtotal": 0.0, "price_total": 0.0}
        base = float(row.get("quantity") or 0) * float(row.get("price_unit") or 0)
        subtotal = round2(base * (1 - float(row.get("discount") or 0) / 100))
        tax = 0.0
        for tid in row.get("tax_ids") or []:
            tax_row = self.env.store.get("account.tax", tid) or {}
            amount = float(tax_row.get("amount") or 0)
            if tax_row.get("amount_type") == "fixed":
                tax += round2(amount * float(row.get("quantity") or 0))
            else:
                tax += round2(subtotal * amount / 100)
        return {"price_subtotal": subtotal, "price_total": round2(subtotal + tax)}

    def _refresh(self, ids: list[int]) -> set[int]:
        moves: set[int] = set()
        for row in self._rows_for(ids):
            self.env.store.update(self.name, row["id"], self._amounts(row))
            moves.add(row["move_id"])
        return moves

    def _after_create(self, rid: int) -> None:
        for move_id in self._refresh([rid]):
            moves(self.env)._recompute(move_id)

    def _before_write(self, rows: list[Row], vals: dict[str, Any]) -> None:
        for row in rows:
            move = self._move(row.get("move_id"))
            if move and move["state"] == "posted":
                if "tax_ids" in vals:
                    raise UserError(MSG_POSTED_TAXES)
                if any(k in vals for k in AMOUNT_FIELDS):
                    raise UserError(MSG_POSTED_LINES)

    def _after_write(self, ids: list[int], vals: dict[str, Any]) -> None:
        for move_id in self._refresh(ids):
            moves(self.env)._recompute(move_id)

    def _before_unlink(self, rows: list[Row]) -> None:
        for row in rows:
            move = self._move(row.get("move_id"))
            if move and move["state"] == "posted":
                raise UserError(MSG_DELETE_POSTED)

    def _after_unlink(self, rows: list[Row]) -> None:
        for move_id in {r.get("move_id") for r in rows}:
            if isinstance(move_id, int) and self._move(move_id):
                moves(self.env)._recompute(move_id)
