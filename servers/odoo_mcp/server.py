"""``odoo-mcp``: partners, draft invoices and bills, listings and the account summary on
any role; posting and payments only on the local machine in live mode, after a person
approved them (in draft mode those two tools do not exist)."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Annotated, Any

from mcp.server import MCPServer
from pydantic import Field

from servers.odoo_mcp.invoices import DraftSpec, InvoiceFilter
from servers.odoo_mcp.models import (
    AccountSummary,
    ApprovalRequested,
    Invoice,
    InvoiceLineIn,
    InvoiceListResult,
    MoveType,
    PartnerCreateResult,
    PartnerFindResult,
    PaymentResult,
    PostResult,
)
from servers.odoo_mcp.service import OdooService
from shared.audit import register_secret
from shared.clock import Clock, system_clock
from shared.errors import AIEError
from shared.ids import ApprovalId, TaskId
from shared.serving import parse_transport, run, setup_logging, tool
from shared.settings import CoreSettings, OdooSettings, load
from shared.tool_hints import ToolHints

__all__ = ["build_server", "main"]

HINTS = ToolHints(open_world=True)
READ = HINTS.read
WRITE = HINTS.write
EXECUTE = HINTS.irreversible_once


InvoiceId = Annotated[int, Field(ge=1, description="The invoice's id in Odoo (invoice_id)")]
PartnerRef = Annotated[
    int | Annotated[str, Field(min_length=1, max_length=200)],
    Field(description="A partner id, or an exact name or email"),
]
EMAIL = r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$"
ShortText = Annotated[str, Field(min_length=1, max_length=200)]

INSTRUCTIONS = """Odoo accounting. Find or create partners, draft customer invoices and vendor
bills in one call (invoice_create_draft), list them, and summarise the books
(account_summary). Posting and payments need a person's approval: ask with
invoice_request_post / payment_request; only the local machine in live mode executes them."""


def build_server(
    core: CoreSettings, odoo: OdooSettings, clock: Clock = system_clock
) -> MCPServer[Any]:
    service = OdooService(core, odoo, clock)
    mcp: MCPServer[Any] = MCPServer("odoo", version="0.1.0", instructions=INSTRUCTIONS)

    @tool(mcp, READ)
    async def partner_find(
        query: Annotated[
            str, Field(min_length=1, max_length=200, description="Name, email or VAT")
        ],
        limit: Annotated[int, Field(ge=1, le=100)] = 10,
    ) -> PartnerFindResult:
        """Find partners by name, email or VAT, best match first; names are matched even
        with typos. Each result has a score from 0 to 1."""
        return await service.find_partners(query, limit)

    @tool(mcp, WRITE)
    async def partner_create(
        name: ShortText,
        email: Annotated[str | None, Field(max_length=254, pattern=EMAIL)] = None,
        vat: Annotated[str | None, Field(max_length=32)] = None,
        phone: Annotated[str | None, Field(max_length=32)] = None,
        is_company: bool = True,
        street: Annotated[str | None, Field(max_length=200)] = None,
        city: Annotated[str | None, Field(max_length=100)] = None,
        zip: Annotated[str | None, Field(max_length=20)] = None,
    ) -> PartnerCreateResult:
        """Create a customer or vendor. If a partner with that email (or, without an email,
        that exact name) exists, it is returned with created=false instead."""
        return await service.create_partner(name, email, vat, phone, is_company, street, city, zip)

    @tool(mcp, WRITE)
    async def invoice_create_draft(
        partner: PartnerRef,
        lines: Annotated[list[InvoiceLineIn], Field(min_length=1, max_length=200)],
        move_type: MoveType = "out_invoice",
        invoice_date: dt.date | None = None,
        due_date: dt.date | None = None,
        payment_term: Annotated[str | None, Field(max_length=100)] = None,
        reference: Annotated[str | None, Field(max_length=200)] = None,
        note: Annotated[str | None, Field(max_length=5000)] = None,
    ) -> Invoice:
        """Create a draft customer invoice (out_invoice), vendor bill (in_invoice) or credit
        note, with its lines, in one step; returns it with the amounts Odoo computed. A
        draft is never posted here: ask with invoice_request_post. With a reference, calling
        again returns the same draft (created=false) instead of a second one."""
        spec = DraftSpec(
            partner, lines, move_type, invoice_date, due_date, payment_term, reference, note
        )
        return await service.create_draft(spec)

    @tool(mcp, READ)
    async def invoice_list(
        state: Annotated[str | None, Field(pattern="^(draft|posted|cancel)$")] = None,
        move_type: MoveType | None = None,
        partner: PartnerRef | None = None,
        date_from: dt.date | None = None,
        date_to: dt.date | None = None,
        overdue_only: bool = False,
        limit: Annotated[int, Field(ge=1, le=500)] = 50,
        offset: Annotated[int, Field(ge=0)] = 0,
    ) -> InvoiceListResult:
        """List invoices and bills, newest first, a page at a time (next_offset pages on):
        by state, type, partner, invoice date range, or only the overdue ones."""
        flt = InvoiceFilter(state, move_type, partner, date_from, date_to, overdue_only)
        return await service.list_invoices(flt, limit, offset)

    @tool(mcp, READ)
    async def invoice_get(invoice_id: InvoiceId) -> Invoice:
        """One invoice or bill with its lines, taxes and amounts as Odoo has them."""
        return await service.get_invoice(invoice_id)

    @tool(mcp, READ)
    async def account_summary() -> AccountSummary:
        """The figures of a weekly briefing: open receivables and payables (overdue apart),
        invoiced and billed this month and last (untaxed), drafts waiting."""
        return await service.account_summary()

    @tool(mcp, WRITE)
    async def invoice_request_post(
        invoice_id: InvoiceId, task_id: TaskId | None = None
    ) -> ApprovalRequested:
        """Ask a person to approve posting a draft: writes an approval request showing the
        partner, lines, totals and due date. Without task_id an accounting task is created
        for it. Nothing is posted until the local machine executes the approval."""
        return await service.request_post(invoice_id, task_id)

    @tool(mcp, WRITE)
    async def payment_request(
        invoice_id: InvoiceId,
        amount: Annotated[float | None, Field(gt=0, le=1e12, allow_inf_nan=False)] = None,
        payment_date: dt.date | None = None,
        journal: Annotated[
            str | None, Field(max_length=16, description="Bank or cash journal code")
        ] = None,
        task_id: TaskId | None = None,
    ) -> ApprovalRequested:
        """Ask a person to approve registering a payment on a posted invoice or bill
        (default: the whole amount still due). Nothing is registered until the local
        machine executes the approval."""
        return await service.request_payment(invoice_id, amount, payment_date, journal, task_id)

    async def invoice_post_approved(approval_id: ApprovalId) -> PostResult:
        """Post an invoice a person approved (local machine, live mode). Refused if the
        approval is not in Approved/, expired, altered or done, or if the invoice changed in
        Odoo since; returns the posted number."""
        return await service.post_approved(approval_id)

    async def payment_register_approved(approval_id: ApprovalId) -> PaymentResult:
        """Register a payment a person approved (local machine, live mode), exactly once.
        Refused if the approval is not valid or the invoice changed since."""
        return await service.register_payment_approved(approval_id)

    if service.mode == "live":
        tool(mcp, EXECUTE)(invoice_post_approved)
        tool(mcp, EXECUTE)(payment_register_approved)
    return mcp


def main() -> None:
    args = parse_transport("odoo-mcp")
    core = load(CoreSettings, "odoo-mcp")
    odoo = load(OdooSettings, "odoo-mcp")
    register_secret(odoo.password)
    setup_logging()
    try:
        server = build_server(core, odoo)
    except AIEError as error:
        print(f"odoo-mcp: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    run(server, args)
