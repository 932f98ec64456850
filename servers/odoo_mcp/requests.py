"""Asking a person to approve posting an invoice or registering a payment.

The request records the invoice as it is now (partner, every line, totals, dates), which
the laptop renders for the person, and the local machine refuses to execute it if any of
these changed in Odoo.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from servers.odoo_mcp.approval_params import (
    PostInvoiceParams,
    RegisterPaymentParams,
    line_params,
)
from servers.odoo_mcp.books import OdooBooks
from servers.odoo_mcp.invoices import describe
from servers.odoo_mcp.models import ApprovalRequested, Invoice
from shared.actions import lines_digest
from shared.approvals import headline
from shared.errors import InvalidInput, WrongState

__all__ = ["request_payment", "request_post"]


async def request_post(books: OdooBooks, invoice_id: int, task_id: str | None) -> ApprovalRequested:
    invoice = await books.invoice(invoice_id)
    if invoice.state != "draft":
        raise WrongState(
            f"invoice {invoice_id} is {invoice.state}"
            + (f" as {invoice.name}" if invoice.name else "")
            + "; only a draft can be posted"
        )
    problems = []
    if invoice.partner_id is None:
        problems.append("it has no partner")
    if not invoice.lines:
        problems.append("it has no lines")
    if invoice.amount_total < 0:
        problems.append("its total is negative (make a credit note instead)")
    if invoice.move_type.startswith("in_") and invoice.invoice_date is None:
        problems.append("a vendor bill needs its bill date (invoice_date)")
    if problems:
        raise InvalidInput(
            f"Odoo would refuse to post invoice {invoice_id}: " + "; ".join(problems)
        )
    lines = line_params(invoice)
    params = PostInvoiceParams(
        **_invoice_params(books, invoice),
        amount_untaxed=invoice.amount_untaxed,
        invoice_date=_iso(invoice.invoice_date),
        due_date=_iso(invoice.due_date),
        lines=lines,
        lines_digest=lines_digest(lines),
    )
    summary = f"Post {describe(invoice)}"
    return await _request(books, task_id, "post_invoice", invoice, params, summary)


async def request_payment(
    books: OdooBooks,
    invoice_id: int,
    amount: float | None,
    payment_date: dt.date | None,
    journal: str | None,
    task_id: str | None,
) -> ApprovalRequested:
    invoice = await books.invoice(invoice_id)
    if invoice.state != "posted":
        raise WrongState(
            f"invoice {invoice_id} is {invoice.state}; a payment is registered on a posted "
            "invoice: ask for posting first (invoice_request_post)"
        )
    if invoice.amount_residual <= 0:
        raise WrongState(f"invoice {invoice.name} is {invoice.payment_state}: nothing left to pay")
    if invoice.payment_state not in ("not_paid", "partial"):
        raise WrongState(
            f"Odoo marks invoice {invoice.name} {invoice.payment_state} but "
            f"{invoice.amount_residual:.2f} {invoice.currency} is still due on it: an earlier "
            "payment made no journal entry (the journal's payment method has no outstanding "
            "account). Fix that and reconcile it in Odoo before asking for another payment"
        )
    pay = round(invoice.amount_residual if amount is None else amount, 2)
    if pay <= 0:
        raise InvalidInput("amount must be more than 0")
    if pay > invoice.amount_residual:
        raise InvalidInput(
            f"amount {pay:.2f} is more than the {invoice.amount_residual:.2f} "
            f"{invoice.currency} still due on {invoice.name}"
        )
    if journal:
        await journal_id(books, journal)  # refuse an unknown journal now, not at execution
    params = RegisterPaymentParams(
        **_invoice_params(books, invoice),
        invoice_name=invoice.name,
        amount=pay,
        residual_at_request=invoice.amount_residual,
        payment_date=_iso(payment_date),
        journal=journal,
    )
    verb = (
        "Register a payment received"
        if invoice.move_type.startswith("out_")
        else "Register a payment made"
    )
    summary = f"{verb}: {pay:.2f} {invoice.currency} on {invoice.name} ({invoice.partner_name})"
    return await _request(books, task_id, "register_payment", invoice, params, summary)


def _invoice_params(books: OdooBooks, invoice: Invoice) -> dict[str, Any]:
    """What every Odoo approval records of its invoice (``_InvoiceParams``' fields)."""
    return {
        "db": books.settings.db,
        "invoice_id": invoice.invoice_id,
        "move_type": invoice.move_type,
        "partner_id": invoice.partner_id,
        "partner_name": invoice.partner_name,
        "amount_total": invoice.amount_total,
        "currency": invoice.currency,
    }


async def journal_id(books: OdooBooks, code: str) -> int:
    rows = await books.odoo.call(
        "account.journal",
        "search_read",
        [["code", "=", code], ["type", "in", ["bank", "cash"]]],
        fields=["code"],
    )
    if not rows:
        known = await books.odoo.call(
            "account.journal", "search_read", [["type", "in", ["bank", "cash"]]], fields=["code"]
        )
        raise InvalidInput(
            f"no bank or cash journal with code {code!r}; Odoo has: "
            + ", ".join(r["code"] for r in known)
        )
    return int(rows[0]["id"])


async def _request(
    books: OdooBooks,
    task_id: str | None,
    action: str,
    invoice: Invoice,
    params: PostInvoiceParams | RegisterPaymentParams,
    summary: str,
) -> ApprovalRequested:
    vault = books.vault
    if task_id is None:
        due = f"{invoice.amount_residual:.2f}"
        source = f"odoo:{books.settings.db}:{action}:{invoice.invoice_id}:{due}"
        about = headline({"action": action, "params": params.to_params()})
        task, _ = vault.tasks.create("accounting", summary[:200], about, source_id=source)
        task_id = task.id
        vault.claims.claim(task_id)
    approval, created = vault.request_approval(task_id, action, params.to_params(), summary)
    return ApprovalRequested(
        approval_id=approval.id,
        path=approval.path,
        created=created,
        task_id=task_id,
        summary=summary,
    )


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None
