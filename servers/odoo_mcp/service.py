"""The Odoo service: the one object the ``odoo-mcp`` tools call, one method per tool.

The shape: the tools (:mod:`.server`) validate their arguments and call one method here;
each method is a domain operation, done by its concern's module (:mod:`.partners`,
:mod:`.invoices`, :mod:`.requests`, :mod:`.execute`) on the :class:`~.books.OdooBooks`
this service is (the Odoo session, the vault replica, the mode, the shared lookups); the
adapter to Odoo is :mod:`.rpc` (with :mod:`.json2`). Results are :mod:`.models`.
"""

from __future__ import annotations

import datetime as dt

from servers.odoo_mcp import execute, invoices, partners, requests
from servers.odoo_mcp.books import INVOICE_TYPES, MOVE_FIELDS, OdooBooks, effective_mode
from servers.odoo_mcp.invoices import DraftSpec, InvoiceFilter
from servers.odoo_mcp.models import (
    AccountSummary,
    ApprovalRequested,
    Invoice,
    InvoiceListResult,
    PartnerCreateResult,
    PartnerFindResult,
    PaymentResult,
    PostResult,
)

__all__ = ["INVOICE_TYPES", "MOVE_FIELDS", "OdooService", "effective_mode"]


class OdooService(OdooBooks):
    """Partners, invoices, approval requests and approved execution, on one Odoo."""

    # -- partners -------------------------------------------------------------------------
    async def find_partners(self, query: str, limit: int, offset: int = 0) -> PartnerFindResult:
        return await partners.find_partners(self, query, limit, offset)

    async def create_partner(
        self,
        name: str,
        email: str | None = None,
        vat: str | None = None,
        phone: str | None = None,
        is_company: bool = True,
        street: str | None = None,
        city: str | None = None,
        zip: str | None = None,
    ) -> PartnerCreateResult:
        values = {
            "name": name.strip(),
            "email": email,
            "vat": vat,
            "phone": phone,
            "is_company": is_company,
        }
        values |= {"street": street, "city": city, "zip": zip}
        return await partners.create_partner(self, values)

    # -- invoices and bills ---------------------------------------------------------------
    async def create_draft(self, spec: DraftSpec) -> Invoice:
        return invoices.shown(await invoices.create_draft(self, spec))

    async def list_invoices(self, flt: InvoiceFilter, limit: int, offset: int) -> InvoiceListResult:
        return await invoices.list_invoices(self, flt, limit, offset)

    async def get_invoice(self, invoice_id: int) -> Invoice:
        return invoices.shown(await self.invoice(invoice_id))

    async def account_summary(self) -> AccountSummary:
        return await invoices.account_summary(self)

    # -- asking a person ------------------------------------------------------------------
    async def request_post(self, invoice_id: int, task_id: str | None) -> ApprovalRequested:
        return await requests.request_post(self, invoice_id, task_id)

    async def request_payment(
        self,
        invoice_id: int,
        amount: float | None,
        payment_date: dt.date | None,
        journal: str | None,
        task_id: str | None,
    ) -> ApprovalRequested:
        return await requests.request_payment(
            self, invoice_id, amount, payment_date, journal, task_id
        )

    # -- executing what a person approved (local machine, live mode) ----------------------
    async def post_approved(self, approval_id: str) -> PostResult:
        return await execute.post_approved(self, approval_id)

    async def register_payment_approved(self, approval_id: str) -> PaymentResult:
        return await execute.register_payment_approved(self, approval_id)
