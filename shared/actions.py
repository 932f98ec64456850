"""The actions a person approves, as typed parameters: one model per action.

The server that asks (email or Odoo, on either machine) writes them; the laptop renders
them for the person (:mod:`shared.approvals.rendering`) and the executing server reads them
back. One model per action, in ``shared/``, so that all three agree on every field by
construction, and so that what the person reads is made from exactly what executes.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

__all__ = [
    "ACTION_PARAMS",
    "InvoiceLineParams",
    "PostInvoiceParams",
    "RegisterPaymentParams",
    "SendEmailParams",
    "lines_digest",
]


class SendEmailParams(BaseModel):
    """``send_email``: the whole message, as the person saw it in the approval.

    The frontmatter keys are the model's (``from`` included). Only the types are checked
    here: what a value may hold (an address's shape, a line break, a size) is the email
    server's message builder's to refuse. ``body`` is the field a person may edit."""

    # an approval written by hand or by an older version may carry a field not used here;
    # a number where text belongs was written by YAML, not meant as a number
    model_config = ConfigDict(
        extra="ignore", frozen=True, populate_by_name=True, coerce_numbers_to_str=True
    )

    from_: str = Field(validation_alias="from", serialization_alias="from")
    to: list[str]
    cc: list[str] = Field(default_factory=list)
    subject: str
    body: str
    in_reply_to: str = ""
    references: list[str] = Field(default_factory=list)
    message_id: str
    draft_id: str = ""
    date: str | None = None  # the Date header, when a request fixes it (ours never do)

    @field_validator("cc", "references", "in_reply_to", "draft_id", mode="before")
    @classmethod
    def _empty(cls, value: Any, info: ValidationInfo) -> Any:
        """An empty optional field (null in the file) means "none", as it always did."""
        if value is None:
            return "" if info.field_name in ("in_reply_to", "draft_id") else []
        return value

    @property
    def recipients(self) -> list[str]:
        return [*self.to, *self.cc]

    def to_params(self) -> dict[str, Any]:
        """The frontmatter's ``params`` (and the message builder's input)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class InvoiceLineParams(BaseModel):
    """One invoice line as the person saw it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    description: str
    quantity: float
    price_unit: float
    taxes: list[str] = Field(default_factory=list)
    subtotal: float


def lines_digest(lines: list[InvoiceLineParams]) -> str:
    """A short digest of the lines (what the person approved), compared with Odoo's."""
    rows = [[ln.description, ln.quantity, ln.price_unit, sorted(ln.taxes)] for ln in lines]
    return hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()[:16]


class _InvoiceParams(BaseModel):
    # an approval written by an older version may carry a field no longer used
    model_config = ConfigDict(extra="ignore", frozen=True)

    db: str
    invoice_id: int
    move_type: str
    partner_id: int | None
    partner_name: str | None
    amount_total: float
    currency: str

    def to_params(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class PostInvoiceParams(_InvoiceParams):
    """``post_invoice``: the draft as the person saw it, every line included."""

    amount_untaxed: float
    invoice_date: str | None
    due_date: str | None
    lines: list[InvoiceLineParams]
    lines_digest: str

    @field_validator("lines_digest")
    @classmethod
    def _digest_of_the_lines(cls, value: str, info: ValidationInfo) -> str:
        lines = info.data.get("lines")
        if lines is not None and value != lines_digest(lines):
            raise ValueError("does not match the lines shown")
        return value


class RegisterPaymentParams(_InvoiceParams):
    """``register_payment``: how much, and what was due when the person approved it."""

    invoice_name: str | None
    amount: float
    residual_at_request: float
    payment_date: str | None = None
    journal: str | None = None


ACTION_PARAMS: dict[str, type[BaseModel]] = {
    "send_email": SendEmailParams,
    "post_invoice": PostInvoiceParams,
    "register_payment": RegisterPaymentParams,
}
