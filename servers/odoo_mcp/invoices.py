"""Invoices and bills: draft one in one Odoo call, list them, and the CEO's summary."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from servers.odoo_mcp.books import INVOICE_SPEC, INVOICE_TYPES, WEB_SAVE_SINCE, OdooBooks
from servers.odoo_mcp.models import (
    MOVE_LABELS,
    AccountSummary,
    Invoice,
    InvoiceLineIn,
    InvoiceListResult,
    InvoiceState,
    MoveType,
)
from servers.odoo_mcp.partners import resolve_partner
from servers.odoo_mcp.rpc import OdooRefused
from shared.budget import cap_lists, fitting
from shared.errors import InvalidInput

__all__ = [
    "DraftSpec",
    "InvoiceFilter",
    "account_summary",
    "create_draft",
    "list_invoices",
    "shown",
]


@dataclass
class DraftSpec:
    partner: int | str
    lines: list[InvoiceLineIn]
    move_type: MoveType = "out_invoice"
    invoice_date: dt.date | None = None
    due_date: dt.date | None = None
    payment_term: str | None = None
    reference: str | None = None
    note: str | None = None


async def create_draft(books: OdooBooks, spec: DraftSpec) -> Invoice:
    """Create the draft with all its lines in one ``create``; read back Odoo's amounts.
    With a ``reference``, a live draft or invoice of the same type, partner and reference
    is returned instead of a second one (an agent retrying after a timeout)."""
    if not spec.lines:
        raise InvalidInput("an invoice needs at least one line")
    if spec.due_date and spec.payment_term:
        raise InvalidInput("give due_date or payment_term, not both")
    if spec.due_date and spec.invoice_date and spec.due_date < spec.invoice_date:
        raise InvalidInput(f"due_date {spec.due_date} is before invoice_date {spec.invoice_date}")
    # an id goes to Odoo as is (one request less); Odoo refuses a dangling one
    partner_id = spec.partner if isinstance(spec.partner, int) else None
    if partner_id is None:
        partner_id = (await resolve_partner(books, spec.partner)).id
    if spec.reference:
        same = [
            ["move_type", "=", spec.move_type],
            ["partner_id", "=", partner_id],
            ["ref", "=", spec.reference],
            ["state", "!=", "cancel"],
        ]
        existing = await books.move_rows(same, limit=1)
        if existing:
            found = await books.invoice(existing[0]["id"], existing[0])
            return found.model_copy(update={"created": False})
    vals: dict[str, Any] = {
        "move_type": spec.move_type,
        "partner_id": partner_id,
        "invoice_line_ids": [
            [0, 0, await _line_values(books, line, spec.move_type)] for line in spec.lines
        ],
    }
    if spec.invoice_date:
        vals["invoice_date"] = spec.invoice_date.isoformat()
    if spec.due_date:
        vals["invoice_date_due"] = spec.due_date.isoformat()
    if spec.payment_term:
        vals["invoice_payment_term_id"] = await _payment_term_id(books, spec.payment_term)
    if spec.reference:
        vals["ref"] = spec.reference
    if spec.note:
        vals["narration"] = spec.note
    context = {"default_move_type": spec.move_type}
    try:
        if (await books.odoo.connect()).major >= WEB_SAVE_SINCE:  # create and read back
            (saved,) = await books.odoo.call(
                "account.move", "web_save", [], vals, specification=INVOICE_SPEC,
                write=True, context=context,
            )  # fmt: skip
            invoice = books.invoice_from_web(saved)
        else:
            move_id = await books.odoo.call(
                "account.move", "create", vals, write=True, context=context
            )
            invoice = await books.invoice(int(move_id))
    except OdooRefused:
        await resolve_partner(books, partner_id)  # a clear "no partner with id N" if that was it
        raise
    move_id = invoice.invoice_id
    books.vault.audit.record(
        "odoo_invoice_create_draft",
        f"account.move/{move_id}",
        params={
            "move_type": spec.move_type,
            "partner": invoice.partner_name,
            "lines": len(spec.lines),
            "amount_total": invoice.amount_total,
            "reference": spec.reference,
        },
    )
    return invoice.model_copy(update={"created": True})


async def _line_values(books: OdooBooks, line: InvoiceLineIn, move_type: str) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": line.description,
        "quantity": line.quantity,
        "price_unit": line.price_unit,
    }
    if line.taxes is not None:
        values["tax_ids"] = [[6, 0, await books.tax_ids(line.taxes, move_type)]]
    if line.account:
        values["account_id"] = await books.account_id(line.account)
    return values


async def _payment_term_id(books: OdooBooks, name: str) -> int:
    rows = await books.odoo.call(
        "account.payment.term", "search_read", [["name", "=ilike", name]], fields=["name"], limit=2
    )
    if len(rows) != 1:
        known = await books.odoo.call("account.payment.term", "search_read", [], fields=["name"])
        raise InvalidInput(
            f"payment term {name!r} not found; Odoo has: " + ", ".join(r["name"] for r in known)
        )
    return int(rows[0]["id"])


@dataclass
class InvoiceFilter:
    state: InvoiceState | None = None
    move_type: MoveType | None = None
    partner: int | str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    overdue_only: bool = False


async def list_invoices(
    books: OdooBooks, flt: InvoiceFilter, limit: int, offset: int
) -> InvoiceListResult:
    domain: list[Any] = [
        ["move_type", "in", [flt.move_type] if flt.move_type else list(INVOICE_TYPES)]
    ]
    if flt.state:
        domain.append(["state", "=", flt.state])
    if flt.partner is not None:
        domain.append(["partner_id", "=", (await resolve_partner(books, flt.partner)).id])
    if flt.date_from:
        domain.append(["invoice_date", ">=", flt.date_from.isoformat()])
    if flt.date_to:
        domain.append(["invoice_date", "<=", flt.date_to.isoformat()])
    if flt.overdue_only:
        domain += [
            ["state", "=", "posted"],
            ["amount_residual", "!=", 0],  # by the ledger, as in account_summary
            ["invoice_date_due", "<", books.today().isoformat()],
        ]
    total = await books.odoo.call("account.move", "search_count", domain)
    rows = await books.move_rows(
        domain, limit=limit, offset=offset, order="invoice_date desc, id desc"
    )
    found = [books.row(r) for r in rows]
    found = found[: fitting(found)]  # a page too long for one reply is cut shorter
    next_offset = offset + len(found) if offset + len(found) < total else None
    return InvoiceListResult(total=total, invoices=found, next_offset=next_offset)


async def account_summary(books: OdooBooks) -> AccountSummary:
    """Open receivables and payables (overdue apart), this and last month's invoicing."""
    today = books.today()
    this_month = today.replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    # what is still due by the ledger (the amount due), not by payment_state: real Odoo
    # says "paid" for a payment that made no journal entry, with all of it still due
    open_rows = await books.move_rows(
        [
            ["state", "=", "posted"],
            ["move_type", "in", list(INVOICE_TYPES)],
            ["amount_residual", "!=", 0],
        ]
    )
    recent = await books.move_rows(
        [
            ["state", "=", "posted"],
            ["move_type", "in", list(INVOICE_TYPES)],
            ["invoice_date", ">=", last_month.isoformat()],
        ]
    )
    drafts = await books.odoo.call(
        "account.move",
        "search_count",
        [["state", "=", "draft"], ["move_type", "in", list(INVOICE_TYPES)]],
    )
    figures: dict[str, float] = {}
    counts: dict[str, int] = {}

    def add(key: str, amount: float) -> None:
        figures[key] = round(figures.get(key, 0.0) + amount, 2)
        counts[key] = counts.get(key, 0) + 1

    currency = ""
    for raw in open_rows:
        row = books.row(raw)
        currency = currency or row.currency
        side = "receivable" if row.move_type.startswith("out_") else "payable"
        sign = -1.0 if row.move_type.endswith("_refund") else 1.0
        add(side, sign * row.amount_residual)
        if row.days_overdue > 0:
            add(f"overdue_{side}", sign * row.amount_residual)
    for raw in recent:
        row = books.row(raw)
        currency = currency or row.currency
        when = row.invoice_date
        if when is None or when > today:
            continue
        side = "invoiced" if row.move_type.startswith("out_") else "billed"
        month = "this_month" if when >= this_month else "last_month"
        sign = -1.0 if row.move_type.endswith("_refund") else 1.0
        add(f"{side}_{month}", sign * row.amount_untaxed)
    return AccountSummary(
        as_of=today,
        currency=currency or await _company_currency(books),
        receivable=figures.get("receivable", 0.0),
        receivable_count=counts.get("receivable", 0),
        overdue_receivable=figures.get("overdue_receivable", 0.0),
        overdue_receivable_count=counts.get("overdue_receivable", 0),
        payable=figures.get("payable", 0.0),
        payable_count=counts.get("payable", 0),
        overdue_payable=figures.get("overdue_payable", 0.0),
        overdue_payable_count=counts.get("overdue_payable", 0),
        invoiced_this_month=figures.get("invoiced_this_month", 0.0),
        invoiced_last_month=figures.get("invoiced_last_month", 0.0),
        billed_this_month=figures.get("billed_this_month", 0.0),
        billed_last_month=figures.get("billed_last_month", 0.0),
        draft_count=drafts,
    )


async def _company_currency(books: OdooBooks) -> str:
    rows = await books.odoo.call("res.company", "search_read", [], fields=["currency_id"], limit=1)
    currency = rows[0]["currency_id"] if rows else None
    return str(currency[1]) if currency else ""


def describe(invoice: Invoice) -> str:
    """One line for summaries and approval titles."""
    label = MOVE_LABELS.get(invoice.move_type, invoice.move_type)
    amount = f"{invoice.amount_total:.2f} {invoice.currency}"
    return f"{label} {invoice.name or '(draft)'} for {invoice.partner_name}: {amount}"


def shown(invoice: Invoice) -> Invoice:
    """An invoice as one reply shows it: when its lines are too long for one reply, the
    last ones left out, saying how many (its amounts still count them all)."""
    cut, left_out = cap_lists(invoice, ["lines"])
    return cut.model_copy(update={"lines_not_shown": left_out["lines"]}) if left_out else invoice
