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
    InvoiceState,
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


InvoiceId = Annotated[
    int, Field(ge=1, description="The invoice's or bill's id in Odoo (invoice_id), e.g. 42")
]
PartnerRef = Annotated[
    int | Annotated[str, Field(min_length=1, max_length=200)],
    Field(description="A partner id (e.g. 7), or an exact name or email as partner_find shows"),
]
Offset = Annotated[
    int,
    Field(ge=0, description="Skip this many (paging): pass the next_offset of the page before"),
]
EMAIL = r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$"
TaskLink = Annotated[
    TaskId | None,
    Field(
        description="The task this is for (e.g. accounting-3f9a0c1d2b4e), held by you; omit "
        "to have an accounting task created for it"
    ),
]


def _text(max_length: int, description: str) -> Any:
    return Field(max_length=max_length, description=description)


INSTRUCTIONS = """Odoo accounting. Find or create partners, draft customer invoices and vendor
bills in one call (invoice_create_draft), list them, and summarise the books
(account_summary). Posting and payments need a person's approval: ask with
invoice_request_post / payment_request; only the local machine in live mode executes them."""


def build_server(
    core: CoreSettings, odoo: OdooSettings, clock: Clock = system_clock
) -> MCPServer[Any]:
    service = OdooService(core, odoo, clock)
    mcp: MCPServer[Any] = MCPServer("odoo", version="0.1.0", instructions=INSTRUCTIONS)

    @tool(mcp, READ, title="Find partners")
    async def partner_find(
        query: Annotated[
            str,
            Field(
                min_length=1,
                max_length=200,
                description="Name, email or VAT number to look for, e.g. 'Acme' or "
                "billing@acme.example",
            ),
        ],
        limit: Annotated[
            int,
            Field(
                ge=1,
                le=100,
                description="At most this many matches (default 10); a page of long entries "
                "is cut shorter, and next_offset continues",
            ),
        ] = 10,
        offset: Offset = 0,
    ) -> PartnerFindResult:
        """Find partners by name, email or VAT, best match first; names are matched even
        with typos. Each result has a score from 0 to 1."""
        return await service.find_partners(query, limit, offset)

    @tool(mcp, WRITE, title="Create a partner")
    async def partner_create(
        name: Annotated[
            str,
            Field(
                min_length=1,
                max_length=200,
                description="The customer's or vendor's name, e.g. 'Acme Ltd'",
            ),
        ],
        email: Annotated[
            str | None,
            Field(max_length=254, pattern=EMAIL, description="Email address, e.g. ap@acme.example"),
        ] = None,
        vat: Annotated[str | None, _text(32, "VAT or tax number, e.g. BE0477472701")] = None,
        phone: Annotated[str | None, _text(32, "Phone number, e.g. +32 2 555 01 23")] = None,
        is_company: Annotated[
            bool, Field(description="true (default) for a company, false for a person")
        ] = True,
        street: Annotated[str | None, _text(200, "Street and number")] = None,
        city: Annotated[str | None, _text(100, "City")] = None,
        zip: Annotated[str | None, _text(20, "Postal code")] = None,
    ) -> PartnerCreateResult:
        """Create a customer or vendor. If a partner with that email (or, without an email,
        that exact name) exists, it is returned with created=false instead."""
        return await service.create_partner(name, email, vat, phone, is_company, street, city, zip)

    @tool(mcp, WRITE, title="Draft an invoice or bill")
    async def invoice_create_draft(
        partner: PartnerRef,
        lines: Annotated[
            list[InvoiceLineIn],
            Field(min_length=1, max_length=200, description="The lines, 1 to 200"),
        ],
        move_type: Annotated[
            MoveType,
            Field(
                description="out_invoice: customer invoice (default); in_invoice: vendor "
                "bill; out_refund / in_refund: their credit notes"
            ),
        ] = "out_invoice",
        invoice_date: Annotated[
            dt.date | None,
            Field(
                description="Invoice or bill date, e.g. 2026-11-25; a vendor bill needs it; "
                "a customer invoice without one gets the day it is posted"
            ),
        ] = None,
        due_date: Annotated[
            dt.date | None,
            Field(description="Due date, e.g. 2026-12-25; or give payment_term, not both"),
        ] = None,
        payment_term: Annotated[
            str | None,
            _text(100, "A payment term's name as in Odoo, e.g. '30 Days'; or give due_date"),
        ] = None,
        reference: Annotated[
            str | None,
            _text(
                200,
                "Your reference (a vendor's bill number, an order number): with it, "
                "calling again returns the same draft",
            ),
        ] = None,
        note: Annotated[str | None, _text(5000, "Terms or a note printed on it")] = None,
    ) -> Invoice:
        """Create a draft customer invoice (out_invoice), vendor bill (in_invoice) or credit
        note, with its lines, in one step; returns it with the amounts Odoo computed. A
        draft is never posted here: ask with invoice_request_post. With a reference, calling
        again returns the same draft (created=false) instead of a second one."""
        spec = DraftSpec(
            partner, lines, move_type, invoice_date, due_date, payment_term, reference, note
        )
        return await service.create_draft(spec)

    @tool(mcp, READ, title="List invoices and bills")
    async def invoice_list(
        state: Annotated[
            InvoiceState | None,
            Field(description="Only this state: draft, posted or cancel; omit for all"),
        ] = None,
        move_type: Annotated[
            MoveType | None,
            Field(
                description="Only this type: out_invoice (customer invoice), in_invoice "
                "(vendor bill), out_refund, in_refund; omit for all"
            ),
        ] = None,
        partner: Annotated[
            PartnerRef | None,
            Field(description="Only this partner: an id, or an exact name or email"),
        ] = None,
        date_from: Annotated[
            dt.date | None, Field(description="Invoice date on or after, e.g. 2026-11-01")
        ] = None,
        date_to: Annotated[
            dt.date | None, Field(description="Invoice date on or before, e.g. 2026-11-30")
        ] = None,
        overdue_only: Annotated[
            bool, Field(description="Only posted ones still due after their due date")
        ] = False,
        limit: Annotated[
            int,
            Field(
                ge=1,
                le=500,
                description="At most this many per page; a page of long rows is cut "
                "shorter to keep the reply readable, and next_offset continues",
            ),
        ] = 50,
        offset: Offset = 0,
    ) -> InvoiceListResult:
        """List invoices and bills, newest first, a page at a time (next_offset pages on):
        by state, type, partner, invoice date range, or only the overdue ones."""
        flt = InvoiceFilter(state, move_type, partner, date_from, date_to, overdue_only)
        return await service.list_invoices(flt, limit, offset)

    @tool(mcp, READ, title="Read an invoice or bill")
    async def invoice_get(invoice_id: InvoiceId) -> Invoice:
        """One invoice or bill with its lines, taxes and amounts as Odoo has them."""
        return await service.get_invoice(invoice_id)

    @tool(mcp, READ, title="Account summary")
    async def account_summary() -> AccountSummary:
        """The figures of a weekly briefing: open receivables and payables (overdue apart),
        invoiced and billed this month and last (untaxed), drafts waiting."""
        return await service.account_summary()

    @tool(mcp, WRITE, title="Ask to post an invoice")
    async def invoice_request_post(
        invoice_id: InvoiceId, task_id: TaskLink = None
    ) -> ApprovalRequested:
        """Ask a person to approve posting a draft: writes an approval request showing the
        partner, lines, totals and due date. Without task_id an accounting task is created
        for it. Nothing is posted until the local machine executes the approval."""
        return await service.request_post(invoice_id, task_id)

    @tool(mcp, WRITE, title="Ask to register a payment")
    async def payment_request(
        invoice_id: InvoiceId,
        amount: Annotated[
            float | None,
            Field(
                gt=0,
                le=1e12,
                allow_inf_nan=False,
                description="Amount paid, in the invoice's currency, e.g. 1150.0; omit for "
                "the whole amount still due",
            ),
        ] = None,
        payment_date: Annotated[
            dt.date | None,
            Field(description="Payment date, e.g. 2026-11-25; default: the day it is registered"),
        ] = None,
        journal: Annotated[
            str | None,
            Field(
                max_length=16,
                description="Bank or cash journal code, e.g. BNK1; default: Odoo's own choice",
            ),
        ] = None,
        task_id: TaskLink = None,
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
        tool(mcp, EXECUTE, title="Post an approved invoice")(invoice_post_approved)
        tool(mcp, EXECUTE, title="Register an approved payment")(payment_register_approved)
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
