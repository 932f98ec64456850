"""``account.payment.register`` (the wizard) and ``account.payment``.

The wizard reads its invoices from ``context['active_model'/'active_ids']`` when it is created,
as Odoo's ``default_get`` does, and refuses with Odoo's texts. A payment is posted and
"reconciled" at once: its hidden ``_allocations`` map lowers the invoices' residual. There are
no journal items, so nothing is matched line by line.
"""

from __future__ import annotations

from typing import Any

from .accounting import INVOICES, PURCHASE, SALE, moves, round2
from .api import api_model, api_records, to_ids
from .base import GROUP_INVOICE
from .errors import UserError
from .orm import BaseModel, Env, register
from .store import Row

MSG_WRONG_MODEL = (
    "The register payment wizard should only be called on account.move or account.move.line "
    "records."
)
MSG_NOT_POSTED = "You can only register payment for posted journal entries."
MSG_NOTHING_LEFT = (
    "You can't register a payment because there is nothing left to pay on the selected journal "
    "items."
)
MSG_MIXED = "You can't register payments for both inbound and outbound moves at the same time."
INBOUND = ("out_invoice", "in_refund", "out_receipt")
LIVE = ("posted", "in_process", "paid")


def _payment_name(env: Env, journal: Row, day: str) -> str:
    code = f"P{journal['code']}" if journal.get("payment_sequence") else journal["code"]
    yearly = journal.get("type") in ("sale", "bank", "cash")
    prefix = f"{code}/{day[:4]}/" if yearly else f"{code}/{day[:4]}/{day[5:7]}/"
    width = 5 if yearly else 4
    numbers = [
        int(name[len(prefix) :])
        for p in env.store.rows("account.payment")
        if (name := p.get("name") or "").startswith(prefix) and name[len(prefix) :].isdigit()
    ]
    return f"{prefix}{max(numbers, default=0) + 1:0{width}d}"


def _open_moves(env: Env, rows: list[Row]) -> list[Row]:
    """The moves a payment can still go to, checked as Odoo's wizard ``default_get`` does."""
    found = []
    for row in rows:
        if row["state"] != "posted" and (env.major < 18 or row["state"] != "draft"):
            raise UserError(MSG_NOT_POSTED)
        if row["move_type"] in INVOICES and float(row.get("amount_residual") or 0) > 0:
            found.append(row)
    if not found:
        raise UserError(MSG_NOTHING_LEFT)
    if len({r["move_type"] in INBOUND for r in found}) > 1:
        raise UserError(MSG_MIXED)
    return found


@register("account.payment.register")
class PaymentRegister(BaseModel):
    """The "Register Payment" wizard."""

    ACCESS = {"create": GROUP_INVOICE, "write": GROUP_INVOICE}
    HIDDEN = frozenset({"_move_ids"})

    def _context_moves(self) -> list[Row]:
        ctx = self.env.context
        ids = to_ids(ctx.get("active_ids") or [])
        if ctx.get("active_model") == "account.move":
            rows = self.env["account.move"]._rows_for(ids)
        elif ctx.get("active_model") == "account.move.line":
            lines = self.env["account.move.line"]._rows_for(ids)
            rows = self.env["account.move"]._rows_for([ln["move_id"] for ln in lines])
        else:
            raise UserError(MSG_WRONG_MODEL)
        return _open_moves(self.env, rows)

    def _wizard_defaults(self, rows: list[Row]) -> dict[str, Any]:
        first = rows[0]
        residual = round2(sum(float(r["amount_residual"]) for r in rows))
        banks = self.env["account.journal"]._search_rows([["type", "in", ["bank", "cash"]]])
        partners = {r.get("partner_id") for r in rows}
        refs = [r.get("payment_reference") or r.get("ref") or r.get("name") or "" for r in rows]
        return {
            "payment_date": self.env.today(),
            "amount": residual,
            "source_amount": residual,
            "journal_id": banks[0]["id"] if banks else False,
            "currency_id": first.get("currency_id") or False,
            "partner_id": first.get("partner_id") if len(partners) == 1 else False,
            "payment_type": "inbound" if first["move_type"] in INBOUND else "outbound",
            "partner_type": "customer" if first["move_type"] in SALE else "supplier",
            "communication": " ".join(r for r in refs if r) or False,
            "can_edit_wizard": len(rows) == 1,
            "group_payment": False,
            "payment_difference_handling": "open",
        }

    @api_model
    def default_get(self, fields_list: list[str]) -> dict[str, Any]:
        out = super().default_get(fields_list)
        if self.env.context.get("active_model"):
            extra = self._wizard_defaults(self._context_moves())
            out.update({k: v for k, v in extra.items() if k in fields_list and k not in out})
        return out

    def _prepare_create(self, vals: dict[str, Any]) -> dict[str, Any]:
        rows = self._context_moves()
        for key, value in self._wizard_defaults(rows).items():
            if key not in vals or key in ("source_amount", "can_edit_wizard"):
                vals[key] = value
        vals["_move_ids"] = [r["id"] for r in rows]
        return vals

    def _compute(self, row: Row, name: str) -> Any:
        if name == "payment_difference":
            return round2(float(row.get("source_amount") or 0) - float(row.get("amount") or 0))
        return super()._compute(row, name)

    @api_records
    def action_create_payments(self, ids: list[int]) -> Any:
        self._check_access("create")
        created: list[int] = []
        for wiz in self._ensure(ids):
            rows = _open_moves(self.env, self.env["account.move"]._rows_for(wiz["_move_ids"]))
            if len(rows) == 1:
                plan = [(rows[0], float(wiz.get("amount") or 0))]
            else:
                plan = [(r, float(r["amount_residual"])) for r in rows]
            for move, amount in plan:
                created.append(self._pay(wiz, move, amount))
        if self.env.context.get("dont_redirect_to_payments"):
            return True
        action: dict[str, Any] = {
            "name": "Payments",
            "type": "ir.actions.act_window",
            "res_model": "account.payment",
            "context": {"create": False},
        }
        if len(created) == 1:
            action.update(view_mode="form", res_id=created[0])
        else:
            action.update(
                view_mode="tree,form" if self.env.major < 18 else "list,form",
                domain=[["id", "in", created]],
            )
        return action

    def _pay(self, wiz: Row, move: Row, amount: float) -> int:
        journal = self.env.store.get("account.journal", wiz["journal_id"]) or {}
        day = wiz.get("payment_date") or self.env.today()
        allocated = round2(min(amount, float(move["amount_residual"])))
        side = "reconciled_bill_ids" if move["move_type"] in PURCHASE else "reconciled_invoice_ids"
        vals: dict[str, Any] = {
            "name": _payment_name(self.env, journal, day),
            "amount": amount,
            "payment_type": "inbound" if move["move_type"] in INBOUND else "outbound",
            "partner_type": "supplier" if move["move_type"] in PURCHASE else "customer",
            "partner_id": move.get("partner_id") or False,
            "date": day,
            "journal_id": journal.get("id") or False,
            "currency_id": wiz.get("currency_id") or move.get("currency_id"),
            "state": "posted" if self.env.major < 18 else "in_process",
            "memo" if self.env.major >= 18 else "ref": wiz.get("communication") or False,
            side: [move["id"]],
            "_allocations": {str(move["id"]): allocated},
        }
        pid = self.env["account.payment"]._create_one(vals)
        moves(self.env)._recompute(move["id"])
        return pid


@register("account.payment")
class AccountPayment(BaseModel):
    """Payments; created posted by the wizard, or as drafts over RPC."""

    ACCESS = {"create": GROUP_INVOICE, "write": GROUP_INVOICE, "unlink": GROUP_INVOICE}
    HIDDEN = frozenset({"_allocations"})
    DEFAULTS = {"state": "draft", "payment_type": "inbound", "partner_type": "customer"}

    def _prepare_create(self, vals: dict[str, Any]) -> dict[str, Any]:
        vals.setdefault("date", self.env.today())
        vals.setdefault("company_id", self.env.company_id())
        vals.setdefault("currency_id", self.env.company().get("currency_id") or False)
        return vals

    def _compute(self, row: Row, name: str) -> Any:
        if name == "is_reconciled":
            return bool(row.get("_allocations"))
        return super()._compute(row, name)

    def _set_state(self, ids: list[int], state: str) -> None:
        for row in self._ensure(ids):
            changes: dict[str, Any] = {"state": state}
            if state in LIVE and not row.get("name"):
                journal = self.env.store.get("account.journal", row["journal_id"]) or {}
                changes["name"] = _payment_name(self.env, journal, row["date"])
            if state not in LIVE:
                changes.update(_allocations={}, reconciled_invoice_ids=[], reconciled_bill_ids=[])
            self.env.store.update(self.name, row["id"], changes)
            for move_id in row.get("_allocations") or {}:
                moves(self.env)._recompute(int(move_id))

    @api_records
    def action_post(self, ids: list[int]) -> None:
        self._check_access("write")
        self._set_state(ids, "posted" if self.env.major < 18 else "in_process")

    @api_records
    def action_draft(self, ids: list[int]) -> None:
        self._check_access("write")
        self._set_state(ids, "draft")

    @api_records
    def action_cancel(self, ids: list[int]) -> None:
        self._check_access("write")
        self._set_state(ids, "cancel" if self.env.major < 18 else "canceled")
