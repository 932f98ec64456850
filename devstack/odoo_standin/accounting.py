"""``account.move``: amounts, numbering, posting, reset and cancel (lines: :mod:`.invoice_lines`).

Rules and texts follow Odoo 17/18 (see ``/work/shared/notes/odoo-wire.md`` sections 5-6).
Payments are stored on ``account.payment`` rows as a hidden ``_allocations`` map
``{move_id: amount}``; this module only reads it (and clears it on reset to draft).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .api import api_records
from .base import GROUP_INVOICE
from .errors import AccessError, UserError
from .models import SPECS
from .orm import BaseModel, Env, register
from .store import Row

SALE = ("out_invoice", "out_refund", "out_receipt")
PURCHASE = ("in_invoice", "in_refund", "in_receipt")
INVOICES = SALE + PURCHASE
REFUNDS = ("out_refund", "in_refund")
NEGATIVE_SIGN = ("in_invoice", "out_refund", "in_receipt")
NOTE_TYPES = ("line_section", "line_note")
AMOUNT_FIELDS = (
    "quantity",
    "price_unit",
    "discount",
    "tax_ids",
    "account_id",
    "product_id",
    "move_id",
    "display_type",
)
DRAFT_LABELS = {
    "out_invoice": "Draft Invoice",
    "out_refund": "Draft Credit Note",
    "in_invoice": "Draft Bill",
    "in_refund": "Draft Vendor Credit Note",
    "out_receipt": "Draft Sales Receipt",
    "in_receipt": "Draft Purchase Receipt",
    "entry": "Draft Entry",
}
MSG_NO_POST_RIGHT = "You don't have the access rights to post an invoice."
MSG_NEGATIVE = (
    "You cannot validate an invoice with a negative total amount. You should create a credit "
    "note instead. Use the action menu to transform it into a credit note or refund."
)
MSG_NO_CUSTOMER = (
    "The field 'Customer' is required, please complete it to validate the Customer Invoice."
)
MSG_NO_VENDOR = "The field 'Vendor' is required, please complete it to validate the Vendor Bill."
MSG_NO_BILL_DATE = "The Bill/Refund date is required to validate this document."
MSG_NO_LINE = "You need to add a line before posting."
MSG_RESET = "Only posted/cancelled journal entries can be reset to draft."
MSG_CANCEL = "Only draft journal entries can be cancelled."
MSG_DELETE_POSTED = "You cannot delete an item linked to a posted entry."
MSG_POSTED_TAXES = (
    "You cannot modify the taxes related to a posted journal item, you should reset the "
    "journal entry to draft to do so."
)
# Stand-in wording: real Odoo fails later (unbalanced entry) with a less direct message.
MSG_POSTED_LINES = "You cannot modify the lines of a posted entry. Reset it to draft first."
MSG_JOURNAL = (
    "You cannot edit the journal of an account move if it has been posted once, unless the name "
    'is removed or set to "/". This might create a gap in the sequence.'
)


def round2(value: float) -> float:
    """Round half-up to the currency's 2 decimals, as ``float_round`` does."""
    return float(Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def paid_amount(env: Env, move_id: int) -> float:
    """What live payments have allocated to ``move_id``."""
    total = 0.0
    for pay in env.store.rows("account.payment"):
        if pay.get("state") in ("posted", "in_process", "paid"):
            total += float((pay.get("_allocations") or {}).get(str(move_id), 0.0))
    return round2(total)


def detach_payments(env: Env, move_id: int) -> None:
    """Unreconcile ``move_id`` from every payment (Odoo's ``remove_move_reconcile``)."""
    for pay in env.store.rows("account.payment"):
        allocations = dict(pay.get("_allocations") or {})
        if str(move_id) in allocations:
            allocations.pop(str(move_id))
            env.store.update(
                "account.payment",
                pay["id"],
                {
                    "_allocations": allocations,
                    "reconciled_invoice_ids": [
                        i for i in pay.get("reconciled_invoice_ids") or [] if i != move_id
                    ],
                    "reconciled_bill_ids": [
                        i for i in pay.get("reconciled_bill_ids") or [] if i != move_id
                    ],
                },
            )


def moves(env: Env) -> AccountMove:
    """The ``account.move`` model with its accounting methods, for ``env``."""
    return AccountMove(env, SPECS["account.move"])


@register("account.move")
class AccountMove(BaseModel):
    """Journal entries and invoices."""

    DEFAULTS = {
        "move_type": "entry",
        "state": "draft",
        "posted_before": False,
        "is_move_sent": False,
    }

    # -- numbering -----------------------------------------------------------------------
    def _prefix(self, row: Row) -> tuple[str, int]:
        journal = self.env.store.get("account.journal", row["journal_id"]) or {}
        code = journal.get("code") or "MISC"
        if row.get("move_type") in REFUNDS and journal.get("refund_sequence"):
            code = f"R{code}"
        day = row.get("date") or self.env.today()
        if journal.get("type") in ("sale", "bank", "cash"):
            return f"{code}/{day[:4]}/", 5
        return f"{code}/{day[:4]}/{day[5:7]}/", 4

    def _period_numbers(self, row: Row, prefix: str) -> list[int]:
        found = []
        for other in self.env.store.rows(self.name):
            name = other.get("name") or ""
            if other["id"] == row["id"] or other.get("journal_id") != row.get("journal_id"):
                continue
            if name.startswith(prefix) and name[len(prefix) :].isdigit():
                found.append(int(name[len(prefix) :]))
        return found

    def _next_name(self, row: Row) -> str:
        prefix, width = self._prefix(row)
        return f"{prefix}{max(self._period_numbers(row, prefix), default=0) + 1:0{width}d}"

    def _draft_name(self, row: Row) -> Any:
        """The name a non-posted move should carry now (Odoo 17 ``_compute_name`` / 18)."""
        name = row.get("name")
        named = isinstance(name, str) and name not in ("", "/")
        if row.get("posted_before") and named:
            return name
        prefix, _ = self._prefix(row)
        if self.env.major >= 18:
            return name if isinstance(name, str) and named and name.startswith(prefix) else None
        if isinstance(name, str) and named and name.startswith(prefix):
            return name
        return "/" if self._period_numbers(row, prefix) else self._next_name(row)

    # -- computed values -----------------------------------------------------------------
    def _display_name(self, row: Row) -> Any:
        name = row.get("name") or ""
        named = name not in ("", "/")
        label = (
            DRAFT_LABELS.get(row.get("move_type") or "entry", "")
            if row.get("state") == "draft"
            else ""
        )
        if self.env.major >= 18:
            text = " ".join(p for p in (label, name if named else "") if p) or f"(* {row['id']})"
        else:
            text = f"{label} " if label else ""
            text += name if named else f"(* {row['id']})"
        if row.get("ref"):
            ref = row["ref"]
            text += f" ({ref[:50]}{'...' if len(ref) > 50 else ''})"
        return text

    def _compute(self, row: Row, name: str) -> Any:
        if name == "name_placeholder":
            if row.get("state") != "draft" or row.get("name"):
                return None
            prefix, _ = self._prefix(row)
            return None if self._period_numbers(row, prefix) else self._next_name(row)
        return super()._compute(row, name)

    def _recompute(self, rid: int, rename: bool = False) -> None:
        row = self.env.store.get(self.name, rid)
        if row is None:
            return
        lines = [ln for ln in self.env.store.rows("account.move.line") if ln.get("move_id") == rid]
        untaxed = round2(sum(float(ln.get("price_subtotal") or 0) for ln in lines))
        total = round2(sum(float(ln.get("price_total") or 0) for ln in lines))
        posted = row["state"] == "posted"
        paid = paid_amount(self.env, rid) if posted else 0.0
        residual = max(round2(total - paid), 0.0)
        sign = -1 if row["move_type"] in NEGATIVE_SIGN else 1
        state = "not_paid"
        if posted and row["move_type"] in INVOICES:
            if residual == 0:
                state = "in_payment" if self.env.knobs.in_payment and paid else "paid"
            elif paid:
                state = "partial"
        changes: dict[str, Any] = {
            "amount_untaxed": untaxed,
            "amount_tax": round2(total - untaxed),
            "amount_total": total,
            "amount_residual": residual,
            "amount_untaxed_signed": sign * untaxed,
            "amount_tax_signed": sign * round2(total - untaxed),
            "amount_total_signed": sign * total,
            "amount_residual_signed": sign * residual,
            "payment_state": state,
        }
        if rename and not posted:
            changes["name"] = self._draft_name(row)
        self.env.store.update(self.name, rid, changes)

    # -- ORM hooks -----------------------------------------------------------------------
    def _prepare_create(self, vals: dict[str, Any]) -> dict[str, Any]:
        move_type = vals.get("move_type") or "entry"
        if not vals.get("journal_id"):
            kind = (
                "sale" if move_type in SALE else "purchase" if move_type in PURCHASE else "general"
            )
            journals = self.env["account.journal"]._search_rows([["type", "=", kind]])
            vals["journal_id"] = journals[0]["id"] if journals else False
        vals.setdefault("company_id", self.env.company_id())
        vals.setdefault("currency_id", self.env.company().get("currency_id") or False)
        if not vals.get("date"):
            vals["date"] = vals.get("invoice_date") or self.env.today()
        if move_type in INVOICES and not vals.get("invoice_date_due"):
            vals["invoice_date_due"] = self._due(vals)
        return vals

    def _due(self, vals: dict[str, Any]) -> Any:
        start = vals.get("invoice_date") or vals.get("date")
        term = (
            self.env.store.get("account.payment.term", vals["invoice_payment_term_id"])
            if vals.get("invoice_payment_term_id")
            else None
        )
        if term and start:
            due = date.fromisoformat(str(start)[:10]) + timedelta(days=int(term.get("days") or 0))
            return due.isoformat()
        return start

    def _after_create(self, rid: int) -> None:
        self._recompute(rid, rename=True)

    def _before_write(self, rows: list[Row], vals: dict[str, Any]) -> None:
        for row in rows:
            if (
                row.get("posted_before")
                and vals.get("journal_id", row["journal_id"]) != row["journal_id"]
            ):
                raise UserError(MSG_JOURNAL)

    def _after_write(self, ids: list[int], vals: dict[str, Any]) -> None:
        for rid in ids:
            row = self.env.store.get(self.name, rid) or {}
            changes: dict[str, Any] = {}
            if (
                "invoice_date" in vals
                and "date" not in vals
                and row.get("invoice_date")
                and row.get("state") == "draft"
            ):
                changes["date"] = row["invoice_date"]
            if row.get("invoice_payment_term_id") and "invoice_date_due" not in vals:
                changes["invoice_date_due"] = self._due(row)
            if changes:
                self.env.store.update(self.name, rid, changes)
            rename = any(k in vals for k in ("date", "invoice_date", "journal_id", "move_type"))
            self._recompute(rid, rename=rename)

    def _before_unlink(self, rows: list[Row]) -> None:
        for row in rows:
            if row["state"] == "posted":
                raise UserError(MSG_DELETE_POSTED)

    def _after_unlink(self, rows: list[Row]) -> None:
        for row in rows:
            detach_payments(self.env, row["id"])

    # -- buttons -------------------------------------------------------------------------
    def _post_errors(self, rows: list[Row]) -> list[str]:
        errors: list[str] = []
        for row in rows:
            if row["move_type"] not in INVOICES:
                continue
            if float(row.get("amount_total") or 0) < 0:
                errors.append(MSG_NEGATIVE)
            if not row.get("partner_id"):
                if row["move_type"] in ("out_invoice", "out_refund"):
                    errors.append(MSG_NO_CUSTOMER)
                elif row["move_type"] in ("in_invoice", "in_refund"):
                    errors.append(MSG_NO_VENDOR)
            if row["move_type"] in PURCHASE and not row.get("invoice_date"):
                errors.append(MSG_NO_BILL_DATE)
        for row in rows:
            if row["state"] in ("posted", "cancel"):
                errors.append(f"The entry {row.get('name')} (id {row['id']}) must be in draft.")
            lines = [
                ln
                for ln in self.env.store.rows("account.move.line")
                if ln.get("move_id") == row["id"] and ln.get("display_type") not in NOTE_TYPES
            ]
            if not lines:
                errors.append(MSG_NO_LINE)
        return errors

    @api_records
    def action_post(self, ids: list[int]) -> bool:
        if not self.env.has_group(GROUP_INVOICE):
            raise AccessError(MSG_NO_POST_RIGHT)
        rows = self._ensure(ids)
        errors = self._post_errors(rows)
        if errors:
            raise UserError(errors[0] if self.env.major < 18 else "\n".join(dict.fromkeys(errors)))
        for row in rows:
            changes: dict[str, Any] = {"state": "posted", "posted_before": True}
            if row["move_type"] in SALE and not row.get("invoice_date"):
                changes["invoice_date"] = self.env.today()
            if row["move_type"] in INVOICES:
                changes["date"] = changes.get("invoice_date") or row["invoice_date"]
                if not row.get("invoice_date_due"):
                    changes["invoice_date_due"] = changes["date"]
            merged = {**row, **changes}
            name = row.get("name")
            prefix, _ = self._prefix(merged)
            if (
                not name
                or name == "/"
                or (not row.get("posted_before") and not name.startswith(prefix))
            ):
                changes["name"] = self._next_name(merged)
            self.env.store.update(self.name, row["id"], changes)
            self._recompute(row["id"])
        return False

    @api_records
    def button_draft(self, ids: list[int]) -> None:
        rows = self._ensure(ids)
        if any(r["state"] not in ("posted", "cancel") for r in rows):
            raise UserError(MSG_RESET)
        for row in rows:
            detach_payments(self.env, row["id"])
            self.env.store.update(self.name, row["id"], {"state": "draft"})
            self._recompute(row["id"])

    @api_records
    def button_cancel(self, ids: list[int]) -> None:
        rows = self._ensure(ids)
        posted = [r["id"] for r in rows if r["state"] == "posted"]
        if posted:
            self.button_draft(posted)
        if any(r["state"] != "draft" for r in self._ensure(ids)):
            raise UserError(MSG_CANCEL)
        for rid in ids:
            self.env.store.update(self.name, rid, {"state": "cancel"})
            self._recompute(rid)

    @api_records
    def action_register_payment(self, ids: list[int]) -> dict[str, Any]:
        return {
            "name": "Pay",
            "type": "ir.actions.act_window",
            "res_model": "account.payment.register",
            "view_mode": "form",
            "views": [[False, "form"]],
            "target": "new",
            "context": {"active_model": "account.move", "active_ids": list(ids)},
        }
