"""The model registry: every model the stand-in knows, with the fields ``fields_get`` reports.

Field names, types, relations and selections follow Odoo 17/18 ``base``, ``product`` and
``account``; only the fields product code and odoorpc touch are present.
"""

from __future__ import annotations

from .fields import (
    ModelSpec,
    Selection,
    boolean,
    char,
    date,
    floating,
    html,
    integer,
    m2m,
    m2o,
    monetary,
    o2m,
    selection,
)

MOVE_TYPES: Selection = (
    ("entry", "Journal Entry"),
    ("out_invoice", "Customer Invoice"),
    ("out_refund", "Customer Credit Note"),
    ("in_invoice", "Vendor Bill"),
    ("in_refund", "Vendor Credit Note"),
    ("out_receipt", "Sales Receipt"),
    ("in_receipt", "Purchase Receipt"),
)
PAYMENT_STATES: Selection = (
    ("not_paid", "Not Paid"),
    ("in_payment", "In Payment"),
    ("paid", "Paid"),
    ("partial", "Partially Paid"),
    ("reversed", "Reversed"),
    ("invoicing_legacy", "Invoicing App Legacy"),
)
PAYMENT_STATES_18: Selection = (*PAYMENT_STATES[:5], ("blocked", "Blocked"), PAYMENT_STATES[5])
MOVE_STATES: Selection = (("draft", "Draft"), ("posted", "Posted"), ("cancel", "Cancelled"))
TAX_USE: Selection = (("sale", "Sales"), ("purchase", "Purchases"), ("none", "None"))
JOURNAL_TYPES: Selection = (
    ("sale", "Sales"),
    ("purchase", "Purchase"),
    ("cash", "Cash"),
    ("bank", "Bank"),
    ("general", "Miscellaneous"),
)
ACCOUNT_TYPES: Selection = (
    ("asset_receivable", "Receivable"),
    ("asset_cash", "Bank and Cash"),
    ("asset_current", "Current Assets"),
    ("liability_payable", "Payable"),
    ("liability_current", "Current Liabilities"),
    ("equity", "Equity"),
    ("income", "Income"),
    ("expense", "Expenses"),
)
LINE_DISPLAY: Selection = (
    ("product", "Product"),
    ("cogs", "Cost of Goods Sold"),
    ("tax", "Tax"),
    ("discount", "Discount"),
    ("rounding", "Rounding"),
    ("payment_term", "Payment Term"),
    ("line_section", "Section"),
    ("line_note", "Note"),
    ("epd", "Early Payment Discount"),
)
PAYMENT_TYPES: Selection = (("outbound", "Send"), ("inbound", "Receive"))
PARTNER_TYPES: Selection = (("customer", "Customer"), ("supplier", "Vendor"))
PAYMENT_STATE_17: Selection = MOVE_STATES
PAYMENT_STATE_18: Selection = (
    ("draft", "Draft"),
    ("in_process", "In Process"),
    ("paid", "Paid"),
    ("canceled", "Canceled"),
    ("rejected", "Rejected"),
)
ONLY_17 = (17,)
FROM_18 = tuple(range(18, 40))

_SPECS = [
    ModelSpec(
        "res.currency",
        "Currency",
        {
            "name": char("Currency", required=True),
            "symbol": char("Symbol", required=True),
            "rounding": floating("Rounding Factor"),
            "decimal_places": integer("Decimal Places", readonly=True),
            "active": boolean("Active"),
        },
        order="active desc, name",
    ),
    ModelSpec(
        "res.partner",
        "Contact",
        {
            "name": char("Name"),
            "complete_name": char("Complete Name", readonly=True, computed=True),
            "email": char("Email"),
            "phone": char("Phone"),
            "vat": char("Tax ID"),
            "ref": char("Reference"),
            "street": char("Street"),
            "city": char("City"),
            "zip": char("Zip"),
            "is_company": boolean("Is a Company"),
            "parent_id": m2o("res.partner", "Related Company"),
            "child_ids": o2m("res.partner", "parent_id", "Contact"),
            "company_id": m2o("res.company", "Company"),
            "customer_rank": integer("Customer Rank"),
            "supplier_rank": integer("Supplier Rank"),
            "active": boolean("Active"),
            "lang": char("Language"),
            "comment": html("Notes"),
        },
        order="complete_name, id desc",
    ),
    ModelSpec(
        "res.company",
        "Companies",
        {
            "name": char("Company Name", required=True),
            "partner_id": m2o("res.partner", "Partner", required=True),
            "currency_id": m2o("res.currency", "Currency", required=True),
            "email": char("Email"),
            "vat": char("Tax ID"),
            "account_sale_tax_id": m2o("account.tax", "Default Sale Tax"),
            "account_purchase_tax_id": m2o("account.tax", "Default Purchase Tax"),
            "active": boolean("Active"),
        },
        order="name",
    ),
    ModelSpec(
        "res.groups",
        "Access Groups",
        {
            "name": char("Name", required=True),
            "full_name": char("Group Name", readonly=True),
            "implied_ids": m2m("res.groups", "Inherits"),
        },
        order="name",
    ),
    ModelSpec(
        "res.users",
        "User",
        {
            "login": char("Login", required=True),
            "name": char("Name", related="partner_id.name"),
            "partner_id": m2o("res.partner", "Related Partner", required=True),
            "company_id": m2o("res.company", "Company", required=True),
            "company_ids": m2m("res.company", "Companies"),
            "groups_id": m2m("res.groups", "Groups"),
            "email": char("Email", related="partner_id.email"),
            "lang": char("Language"),
            "tz": char("Timezone"),
            "active": boolean("Active"),
            "share": boolean("Share User", readonly=True),
        },
        order="name, login",
    ),
    ModelSpec(
        "ir.model",
        "Models",
        {
            "model": char("Model", required=True),
            "name": char("Model Description", required=True),
            "transient": boolean("Transient Model"),
            "state": selection("Type", (("manual", "Custom Object"), ("base", "Base Object"))),
        },
        order="model",
    ),
    ModelSpec(
        "ir.model.data",
        "Model Data",
        {
            "name": char("External Identifier", required=True),
            "module": char("Module", required=True),
            "model": char("Model Name", required=True),
            "res_id": integer("Record ID"),
            "complete_name": char("Complete ID", readonly=True, computed=True),
        },
        order="module, model, name",
    ),
    ModelSpec(
        "product.product",
        "Product Variant",
        {
            "name": char("Name", required=True),
            "default_code": char("Internal Reference"),
            "list_price": floating("Sales Price"),
            "standard_price": floating("Cost"),
            "type": selection("Type", (("consu", "Goods"), ("service", "Service"))),
            "taxes_id": m2m("account.tax", "Customer Taxes"),
            "supplier_taxes_id": m2m("account.tax", "Vendor Taxes"),
            "active": boolean("Active"),
        },
        order="default_code, name, id",
    ),
    ModelSpec(
        "account.account",
        "Account",
        {
            "code": char("Code", required=True),
            "name": char("Account Name", required=True),
            "account_type": selection("Type", ACCOUNT_TYPES, required=True),
            "reconcile": boolean("Allow Reconciliation"),
            "deprecated": boolean("Deprecated"),
            "tax_ids": m2m("account.tax", "Default Taxes"),
        },
        order="code",
        rec_name="code",
    ),
    ModelSpec(
        "account.tax",
        "Tax",
        {
            "name": char("Tax Name", required=True),
            "amount": floating("Amount", required=True),
            "amount_type": selection(
                "Tax Computation",
                (
                    ("group", "Group of Taxes"),
                    ("fixed", "Fixed"),
                    ("percent", "Percentage of Price"),
                    ("division", "Percentage of Price Tax Included"),
                ),
                required=True,
            ),
            "type_tax_use": selection("Tax Type", TAX_USE, required=True),
            "price_include": boolean("Included in Price"),
            "description": char("Label on Invoices"),
            "sequence": integer("Sequence"),
            "company_id": m2o("res.company", "Company"),
            "active": boolean("Active"),
        },
        order="sequence, id",
    ),
    ModelSpec(
        "account.journal",
        "Journal",
        {
            "name": char("Journal Name", required=True),
            "code": char("Short Code", required=True),
            "type": selection("Type", JOURNAL_TYPES, required=True),
            "default_account_id": m2o("account.account", "Default Account"),
            "refund_sequence": boolean("Dedicated Credit Note Sequence"),
            "payment_sequence": boolean("Dedicated Payment Sequence"),
            "currency_id": m2o("res.currency", "Currency"),
            "company_id": m2o("res.company", "Company", required=True),
            "sequence": integer("Sequence"),
            "active": boolean("Active"),
        },
        order="sequence, type, code",
    ),
    ModelSpec(
        "account.payment.term",
        "Payment Terms",
        {
            "name": char("Payment Terms", required=True),
            "note": html("Description on the Invoice"),
            "active": boolean("Active"),
        },
        order="id",
    ),
    ModelSpec(
        "account.move",
        "Journal Entry",
        {
            "name": char("Number", readonly=True),
            "name_placeholder": char(
                "Name Placeholder", readonly=True, computed=True, versions=FROM_18
            ),
            "move_type": selection("Type", MOVE_TYPES, required=True),
            "state": selection("Status", MOVE_STATES, required=True, readonly=True),
            "partner_id": m2o("res.partner", "Partner"),
            "commercial_partner_id": m2o("res.partner", "Commercial Entity", related="partner_id"),
            "invoice_date": date("Invoice/Bill Date"),
            "invoice_date_due": date("Due Date"),
            "date": date("Date", required=True),
            "ref": char("Reference"),
            "payment_reference": char("Payment Reference"),
            "invoice_origin": char("Origin"),
            "narration": html("Terms and Conditions"),
            "invoice_payment_term_id": m2o("account.payment.term", "Payment Terms"),
            "invoice_line_ids": o2m(
                "account.move.line",
                "move_id",
                "Invoice lines",
                domain=(("display_type", "in", ["product", "line_section", "line_note"]),),
            ),
            "journal_id": m2o("account.journal", "Journal", required=True),
            "company_id": m2o("res.company", "Company", required=True),
            "currency_id": m2o("res.currency", "Currency", required=True),
            "amount_untaxed": monetary("Untaxed Amount", readonly=True, computed=True),
            "amount_tax": monetary("Tax", readonly=True, computed=True),
            "amount_total": monetary("Total", readonly=True, computed=True),
            "amount_residual": monetary("Amount Due", readonly=True, computed=True),
            "amount_untaxed_signed": monetary(
                "Untaxed Amount Signed", readonly=True, computed=True
            ),
            "amount_tax_signed": monetary("Tax Signed", readonly=True, computed=True),
            "amount_total_signed": monetary("Total Signed", readonly=True, computed=True),
            "amount_residual_signed": monetary("Amount Due Signed", readonly=True, computed=True),
            "payment_state": selection(
                "Payment Status",
                PAYMENT_STATES,
                selection18=PAYMENT_STATES_18,
                readonly=True,
                computed=True,
            ),
            "posted_before": boolean("Posted Before", readonly=True),
            "is_move_sent": boolean("Is Move Sent"),
        },
        order="date desc, name desc, id desc",
    ),
    ModelSpec(
        "account.move.line",
        "Journal Item",
        {
            "move_id": m2o("account.move", "Journal Entry", required=True),
            "move_name": char("Number", related="move_id.name"),
            "parent_state": selection("Status", MOVE_STATES, related="move_id.state"),
            "sequence": integer("Sequence"),
            "name": char("Label"),
            "display_type": selection("Display Type", LINE_DISPLAY, required=True),
            "product_id": m2o("product.product", "Product"),
            "account_id": m2o("account.account", "Account"),
            "quantity": floating("Quantity"),
            "price_unit": floating("Unit Price"),
            "discount": floating("Discount (%)"),
            "tax_ids": m2m("account.tax", "Taxes"),
            "price_subtotal": monetary("Subtotal", readonly=True, computed=True),
            "price_total": monetary("Total", readonly=True, computed=True),
            "partner_id": m2o("res.partner", "Partner", related="move_id.partner_id"),
            "journal_id": m2o("account.journal", "Journal", related="move_id.journal_id"),
            "company_id": m2o("res.company", "Company", related="move_id.company_id"),
            "currency_id": m2o("res.currency", "Currency", related="move_id.currency_id"),
            "date": date("Date", related="move_id.date"),
        },
        order="move_id, sequence, id",
    ),
    ModelSpec(
        "account.payment",
        "Payments",
        {
            "name": char("Number", readonly=True),
            "amount": monetary("Amount", required=True),
            "payment_type": selection("Payment Type", PAYMENT_TYPES, required=True),
            "partner_type": selection("Partner Type", PARTNER_TYPES, required=True),
            "partner_id": m2o("res.partner", "Customer/Vendor"),
            "date": date("Date", required=True),
            "journal_id": m2o("account.journal", "Journal", required=True),
            "company_id": m2o("res.company", "Company", required=True),
            "currency_id": m2o("res.currency", "Currency", required=True),
            "state": selection(
                "Status",
                PAYMENT_STATE_17,
                selection18=PAYMENT_STATE_18,
                required=True,
                readonly=True,
            ),
            "ref": char("Memo", versions=ONLY_17),
            "memo": char("Memo", versions=FROM_18),
            "is_reconciled": boolean("Is Reconciled", readonly=True, computed=True),
            "reconciled_invoice_ids": m2m("account.move", "Reconciled Invoices", readonly=True),
            "reconciled_bill_ids": m2m("account.move", "Reconciled Bills", readonly=True),
        },
        order="date desc, name desc",
    ),
    ModelSpec(
        "account.payment.register",
        "Register Payment",
        {
            "payment_date": date("Payment Date", required=True),
            "amount": monetary("Amount"),
            "communication": char("Memo"),
            "journal_id": m2o("account.journal", "Journal", required=True),
            "currency_id": m2o("res.currency", "Currency"),
            "partner_id": m2o("res.partner", "Customer/Vendor", readonly=True),
            "payment_type": selection("Payment Type", PAYMENT_TYPES, readonly=True),
            "partner_type": selection("Partner Type", PARTNER_TYPES, readonly=True),
            "source_amount": monetary("Amount to Pay (company currency)", readonly=True),
            "payment_difference": monetary("Payment Difference", readonly=True, computed=True),
            "payment_difference_handling": selection(
                "Payment Difference Handling",
                (("open", "Keep open"), ("reconcile", "Mark as fully paid")),
            ),
            "can_edit_wizard": boolean("Can Edit Wizard", readonly=True),
            "group_payment": boolean("Group Payments"),
        },
        transient=True,
    ),
]

SPECS: dict[str, ModelSpec] = {spec.name: spec for spec in _SPECS}


def spec(model: str) -> ModelSpec | None:
    """The spec of ``model``, or None when the stand-in does not have it."""
    return SPECS.get(model)
