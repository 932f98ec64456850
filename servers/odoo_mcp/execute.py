"""Executing approved accounting work on the local machine, in live mode, exactly once.

Both steps check the approval (approved, not expired, not tampered, not done), then the
invoice as Odoo has it now against what the person approved (partner, total, lines; for a
payment also what was still due), record their intent in the execution ledger, and only
then touch Odoo. After a crash:

- posting is naturally idempotent: Odoo refuses to post a posted invoice, so an invoice
  found posted after our ``posting`` step is our post, reported, not posted again;
- a payment is not, so it carries a memo naming the approval, and a ``registering`` step
  found in the ledger is resolved by looking that memo up in Odoo first.
"""

from __future__ import annotations

from typing import Any, TypeVar

from servers.odoo_mcp.approval_params import PostInvoiceParams, RegisterPaymentParams, line_params
from servers.odoo_mcp.books import OdooBooks
from servers.odoo_mcp.invoices import describe
from servers.odoo_mcp.models import Invoice, PaymentResult, PostResult
from servers.odoo_mcp.requests import journal_id
from shared.actions import lines_digest
from shared.approvals import Executable
from shared.errors import ParamsChanged, WrongState
from shared.faults import crash_point

__all__ = ["post_approved", "register_payment_approved"]


def _refuse(books: OdooBooks, item: Executable, error: Exception) -> Exception:
    books.vault.audit.refusal(item.action, item.approval_id, error)
    return error


Params = TypeVar("Params", PostInvoiceParams, RegisterPaymentParams)


def _read_params(books: OdooBooks, item: Executable, model: type[Params]) -> Params:
    """The approval's parameters as its action's model, or an audited refusal."""
    with books.vault.audit.refusals(item.action, item.approval_id, ParamsChanged):
        return item.params_as(model, "nothing was done")


def _changes(
    params: PostInvoiceParams | RegisterPaymentParams, invoice: Invoice, with_lines: bool
) -> list[str]:
    found = []
    if invoice.partner_id != params.partner_id:
        found.append(f"partner {params.partner_name} → {invoice.partner_name}")
    if round(invoice.amount_total - params.amount_total, 2) != 0:
        found.append(f"total {params.amount_total:.2f} → {invoice.amount_total:.2f}")
    digest = params.lines_digest if isinstance(params, PostInvoiceParams) else None
    if with_lines and lines_digest(line_params(invoice)) != digest:
        found.append("lines")
    return found


def _check_target(
    books: OdooBooks,
    item: Executable,
    params: PostInvoiceParams | RegisterPaymentParams,
    invoice: Invoice,
    with_lines: bool,
) -> None:
    changes = []
    if params.db != books.settings.db:
        changes.append(f"database {params.db} → {books.settings.db}")
    changes += _changes(params, invoice, with_lines)
    if changes:
        raise _refuse(
            books,
            item,
            ParamsChanged(
                item.approval_id,
                f"invoice {invoice.invoice_id} changed in Odoo since it was approved "
                f"({'; '.join(changes)}); nothing was done: ask for a new approval",
            ),
        )


async def post_approved(books: OdooBooks, approval_id: str) -> PostResult:
    books.require_live("invoice_post_approved")
    vault = books.vault
    item = vault.approvals.load_for_execution(approval_id, "post_invoice")
    params = _read_params(books, item, PostInvoiceParams)
    invoice_id = params.invoice_id
    with vault.ledger.run(approval_id, {"invoice_id": invoice_id}) as entry:
        invoice = await books.invoice(invoice_id)
        ours = entry.interrupted and entry.status == "posting"
        if invoice.state == "posted" and not ours:
            _check_target(books, item, params, invoice, with_lines=True)
            return _finish_post(books, item, entry, invoice, already=True)
        if invoice.state == "cancel":
            raise _refuse(
                books,
                item,
                WrongState(f"invoice {invoice_id} was cancelled in Odoo; nothing was posted"),
            )
        _check_target(books, item, params, invoice, with_lines=True)
        if invoice.state == "draft":
            vault.ledger.mark(entry, "posting")
            vault.audit.record(
                "odoo_post_start",
                f"account.move/{invoice_id}",
                approval_id=approval_id,
                params={"amount_total": invoice.amount_total, "partner": invoice.partner_name},
            )
            try:
                await books.odoo.call("account.move", "action_post", [invoice_id], write=True)
            except Exception as error:
                vault.ledger.mark(entry, "started")
                vault.audit.record(
                    "odoo_post",
                    f"account.move/{invoice_id}",
                    approval_id=approval_id,
                    result="failed",
                    detail=str(error),
                )
                raise
            crash_point("after_odoo_post")  # the crash tests kill the server here
            invoice = await books.invoice(invoice_id)
        return _finish_post(books, item, entry, invoice, already=False)


def _finish_post(
    books: OdooBooks, item: Executable, entry: Any, invoice: Invoice, already: bool
) -> PostResult:
    vault = books.vault
    outcome = {"posted": invoice.name, "invoice_id": invoice.invoice_id, "already_posted": already}
    vault.ledger.finish(entry, outcome)
    note = " It had already been posted in Odoo; it was not posted again." if already else ""
    vault.finish_execution(item, outcome, f"Posted {describe(invoice)}.{note}")
    vault.audit.record(
        "odoo_post",
        f"account.move/{invoice.invoice_id}",
        approval_id=item.approval_id,
        params={"name": invoice.name, "amount_total": invoice.amount_total},
        detail="already posted in Odoo" if already else None,
    )
    return PostResult(
        approval_id=item.approval_id,
        invoice_id=invoice.invoice_id,
        name=invoice.name or "",
        state=invoice.state,
        amount_total=invoice.amount_total,
        task_id=item.task_id or None,
        already_posted=already,
    )


async def register_payment_approved(books: OdooBooks, approval_id: str) -> PaymentResult:
    books.require_live("payment_register_approved")
    vault = books.vault
    item = vault.approvals.load_for_execution(approval_id, "register_payment")
    p = _read_params(books, item, RegisterPaymentParams)
    invoice_id = p.invoice_id
    memo = f"{p.invoice_name} {approval_id}"
    with vault.ledger.run(
        approval_id, {"invoice_id": invoice_id, "amount": p.amount, "memo": memo}
    ) as entry:
        if entry.interrupted and entry.status == "registering":
            found = await _payment_by_memo(books, memo)
            if found is not None:
                return await _finish_payment(books, item, p, entry, found, recovered=True)
        invoice = await books.invoice(invoice_id)
        _check_target(books, item, p, invoice, with_lines=False)
        problems = []
        if invoice.state != "posted":
            problems.append(f"it is {invoice.state}, not posted")
        if round(invoice.amount_residual - p.residual_at_request, 2) != 0:
            problems.append(
                f"the amount due went from {p.residual_at_request:.2f} to "
                f"{invoice.amount_residual:.2f} (another payment?)"
            )
        if problems:
            raise _refuse(
                books,
                item,
                ParamsChanged(
                    approval_id,
                    f"invoice {invoice.name} changed since the payment was approved "
                    f"({'; '.join(problems)}); nothing was registered: ask for a new approval",
                ),
            )
        vals: dict[str, Any] = {"amount": p.amount, "communication": memo}
        vals["payment_date"] = p.payment_date or books.today().isoformat()
        if p.journal:
            vals["journal_id"] = await journal_id(books, p.journal)
        vault.ledger.mark(entry, "registering")
        vault.audit.record(
            "odoo_payment_start",
            f"account.move/{invoice_id}",
            approval_id=approval_id,
            params={"amount": p.amount, "invoice": invoice.name},
        )
        context = {"active_model": "account.move", "active_ids": [invoice_id]}
        try:
            wizard = await books.odoo.call(
                "account.payment.register", "create", vals, write=True, context=context
            )
            await books.odoo.call(
                "account.payment.register",
                "action_create_payments",
                [wizard],
                write=True,
                context=context,
            )
        except Exception as error:
            if await _payment_by_memo(books, memo) is None:
                vault.ledger.mark(entry, "started")  # Odoo rolled the call back: safe to retry
            vault.audit.record(
                "odoo_payment",
                f"account.move/{invoice_id}",
                approval_id=approval_id,
                result="failed",
                detail=str(error),
            )
            raise
        crash_point("after_odoo_payment")  # and here (tests/odoo)
        found = await _payment_by_memo(books, memo)
        if found is None:
            raise WrongState(
                f"Odoo registered no payment with memo {memo!r}; "
                f"check invoice {invoice.name} in Odoo"
            )
        return await _finish_payment(books, item, p, entry, found, recovered=False)


async def _payment_by_memo(books: OdooBooks, memo: str) -> dict[str, Any] | None:
    session = await books.odoo.connect()
    field = "memo" if session.major >= 18 else "ref"
    rows = await books.odoo.call(
        "account.payment", "search_read", [[field, "=", memo]], fields=["name", "amount"], limit=1
    )
    return rows[0] if rows else None


async def _finish_payment(
    books: OdooBooks,
    item: Executable,
    p: RegisterPaymentParams,
    entry: Any,
    payment: dict[str, Any],
    recovered: bool,
) -> PaymentResult:
    vault = books.vault
    invoice = await books.invoice(p.invoice_id)
    outcome = {
        "payment_id": payment["id"],
        "payment": payment.get("name") or None,
        "amount": payment["amount"],
        "payment_state": invoice.payment_state,
    }
    warning = no_entry_warning(invoice, p.residual_at_request, payment)
    if warning:
        outcome["warning"] = warning
    vault.ledger.finish(entry, outcome)
    summary = (
        f"Registered {float(payment['amount']):.2f} {invoice.currency} on {invoice.name} "
        f"({invoice.partner_name}); it is now {invoice.payment_state}, "
        f"{invoice.amount_residual:.2f} still due."
    ) + (f" WARNING: {warning}" if warning else "")
    vault.finish_execution(item, outcome, summary)
    vault.audit.record(
        "odoo_payment",
        f"account.move/{invoice.invoice_id}",
        approval_id=item.approval_id,
        params=outcome,
        detail="found after an interrupted run; not registered again" if recovered else None,
    )
    return PaymentResult(
        approval_id=item.approval_id,
        invoice_id=invoice.invoice_id,
        invoice_name=invoice.name or "",
        amount=float(payment["amount"]),
        payment_id=int(payment["id"]),
        payment_name=payment.get("name") or None,
        payment_state=invoice.payment_state,
        amount_residual=invoice.amount_residual,
        task_id=item.task_id or None,
        recovered=recovered,
        warning=warning,
    )


def no_entry_warning(
    invoice: Invoice, residual_before: float, payment: dict[str, Any]
) -> str | None:
    """Real Odoo 18, when the journal's payment method has no outstanding account: the
    payment gets no journal entry, the amount due stays, yet ``payment_state`` says paid."""
    if invoice.amount_residual < residual_before - 0.005:
        return None
    return (
        f"Odoo recorded payment {payment.get('name') or payment['id']} but "
        f"{invoice.amount_residual:.2f} {invoice.currency} is still due on {invoice.name} "
        f"(Odoo says {invoice.payment_state}): the journal's payment method has no "
        "outstanding account, so Odoo made no journal entry. Set one (Accounting > "
        "Configuration > Journals > the bank journal > Incoming/Outgoing Payments) and "
        "reconcile the payment in Odoo"
    )
