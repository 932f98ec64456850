"""What an approval request for Odoo carries, written by :mod:`.requests` and read back by
:mod:`.execute`: one model per action, so both sides agree on every field by construction.
The person approves the rendered text; these are what the laptop checks against Odoo
before it acts (the vault's ``params_hash`` guards them against edits)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = ["PostInvoiceParams", "RegisterPaymentParams"]


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
    """``post_invoice``: the draft as the person saw it."""

    amount_untaxed: float
    invoice_date: str | None
    due_date: str | None
    lines_digest: str


class RegisterPaymentParams(_InvoiceParams):
    """``register_payment``: how much, and what was due when the person approved it."""

    invoice_name: str | None
    amount: float
    residual_at_request: float
    payment_date: str | None = None
    journal: str | None = None
