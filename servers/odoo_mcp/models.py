"""What the Odoo tools take and return."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = [
    "AccountSummary",
    "ApprovalRequested",
    "Invoice",
    "InvoiceLine",
    "InvoiceLineIn",
    "InvoiceListResult",
    "InvoiceRow",
    "InvoiceState",
    "MoveType",
    "Partner",
    "PartnerCreateResult",
    "PartnerFindResult",
    "PaymentResult",
    "PostResult",
]

MoveType = Literal["out_invoice", "in_invoice", "out_refund", "in_refund"]
InvoiceState = Literal["draft", "posted", "cancel"]
MOVE_LABELS: dict[str, str] = {
    "out_invoice": "customer invoice",
    "in_invoice": "vendor bill",
    "out_refund": "customer credit note",
    "in_refund": "vendor credit note",
}

Money = Annotated[float, Field(allow_inf_nan=False)]


class InvoiceLineIn(BaseModel):
    """One invoice line as the caller gives it."""

    model_config = ConfigDict(extra="forbid")

    description: str = Field(
        min_length=1,
        max_length=1000,
        description="What the line is for, as the invoice shows it, e.g. 'Consulting, "
        "November (10 h)'",
    )
    quantity: float = Field(
        default=1.0, gt=0, le=1e9, allow_inf_nan=False, description="How many (default 1)"
    )
    price_unit: float = Field(
        ge=0, le=1e12, allow_inf_nan=False, description="Unit price before tax, not negative"
    )
    taxes: list[Annotated[str, Field(min_length=1, max_length=100)]] | None = Field(
        default=None,
        max_length=10,
        description="Tax names as in Odoo (e.g. 'Tax 15%'); [] for no tax; omit to let Odoo "
        "choose from the line's account (real Odoo 18 may then apply none: name the taxes "
        "when the task does)",
    )
    account: str | None = Field(
        default=None, max_length=64, description="Account code; default: the journal's account"
    )

    @field_validator("description")
    @classmethod
    def _printable(cls, value: str) -> str:
        if any(ord(ch) < 32 and ch not in "\n\t" for ch in value):
            raise ValueError("must not contain control characters")
        if not value.strip():
            raise ValueError("must not be blank")
        return value


class Partner(BaseModel):
    id: int
    name: str
    email: str | None = None
    vat: str | None = None
    phone: str | None = None
    is_company: bool = False
    city: str | None = None
    score: float | None = Field(default=None, description="Match quality 0..1 (partner_find)")


class PartnerFindResult(BaseModel):
    query: str
    partners: list[Partner]
    next_offset: int | None = Field(
        default=None,
        description="More matches follow (a page of long entries is cut shorter): pass as offset",
    )


class PartnerCreateResult(Partner):
    created: bool = Field(description="False when an identical partner already existed")


class InvoiceLine(BaseModel):
    description: str
    quantity: float
    price_unit: float
    taxes: list[str]
    subtotal: float = Field(description="Untaxed line amount, as Odoo computed it")
    total: float = Field(description="Line amount with taxes, as Odoo computed it")


class InvoiceRow(BaseModel):
    invoice_id: int
    name: str | None = Field(description="Odoo's number (e.g. INV/2026/00001); null on a draft")
    move_type: str
    state: str
    payment_state: str
    partner_id: int | None
    partner_name: str | None
    invoice_date: dt.date | None
    due_date: dt.date | None
    reference: str | None
    currency: str
    amount_untaxed: float
    amount_tax: float
    amount_total: float
    amount_residual: float
    days_overdue: int = Field(default=0, description="Days past due while unpaid; 0 otherwise")


class Invoice(InvoiceRow):
    lines: list[InvoiceLine]
    lines_not_shown: int = Field(
        default=0,
        description="Lines left out at the end to keep the reply readable; the amounts "
        "count every line",
    )
    created: bool | None = Field(
        default=None,
        description="invoice_create_draft: false when a draft with the same reference existed",
    )


class InvoiceListResult(BaseModel):
    total: int = Field(description="Invoices matching, before paging")
    invoices: list[InvoiceRow]
    next_offset: int | None


class AccountSummary(BaseModel):
    as_of: dt.date
    currency: str
    receivable: float = Field(description="Open amount customers owe (posted, unpaid)")
    receivable_count: int
    overdue_receivable: float
    overdue_receivable_count: int
    payable: float = Field(description="Open amount owed to vendors (posted, unpaid)")
    payable_count: int
    overdue_payable: float
    overdue_payable_count: int
    invoiced_this_month: float = Field(description="Untaxed customer invoices less credit notes")
    invoiced_last_month: float
    billed_this_month: float = Field(description="Untaxed vendor bills less vendor credit notes")
    billed_last_month: float
    draft_count: int = Field(description="Invoices and bills still in draft")


class ApprovalRequested(BaseModel):
    approval_id: str
    path: str
    created: bool = Field(description="False when the same request was already waiting")
    task_id: str
    summary: str


class PostResult(BaseModel):
    approval_id: str
    invoice_id: int
    name: str = Field(description="The posted number, e.g. INV/2026/00001")
    state: str
    amount_total: float
    task_id: str | None
    already_posted: bool = Field(
        default=False, description="True when it was posted in Odoo before (not posted again)"
    )


class PaymentResult(BaseModel):
    approval_id: str
    invoice_id: int
    invoice_name: str
    amount: float
    payment_id: int
    payment_name: str | None
    payment_state: str = Field(description="The invoice's payment state after: partial or paid")
    amount_residual: float
    task_id: str | None
    recovered: bool = Field(
        default=False, description="True when a crash interrupted it and the payment was found"
    )
    warning: str | None = Field(
        default=None, description="Set when Odoo did not lower the amount due (see the text)"
    )
