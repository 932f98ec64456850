"""What an approval request for Odoo carries: the shared models (:mod:`shared.actions`,
which the laptop also renders for the person), written by :mod:`.requests` and read back
by :mod:`.execute`. These are what the laptop checks against Odoo before it acts (the
vault's ``params_hash`` guards them against edits)."""

from __future__ import annotations

from servers.odoo_mcp.models import Invoice
from shared.actions import InvoiceLineParams, PostInvoiceParams, RegisterPaymentParams

__all__ = ["PostInvoiceParams", "RegisterPaymentParams", "line_params"]


def line_params(invoice: Invoice) -> list[InvoiceLineParams]:
    """The invoice's lines as the person sees them in the approval."""
    return [
        InvoiceLineParams(
            description=ln.description,
            quantity=ln.quantity,
            price_unit=ln.price_unit,
            taxes=list(ln.taxes),
            subtotal=ln.subtotal,
        )
        for ln in invoice.lines
    ]
