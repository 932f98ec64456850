# A group for the cloud's Odoo user: it may read accounting, create and edit draft invoices
# and partners, and nothing else. It is not in "Invoicing" (account.group_account_invoice),
# the group Odoo's own account.move._post and the payment wizard check, so Odoo itself
# refuses to post or pay for it, whatever client it uses.
{
    "name": "AI Employee: draft invoices only",
    "version": "18.0.1.0.0",
    "summary": "A group that may draft invoices but never post them or register payments",
    "category": "Accounting/Accounting",
    "author": "AI Employee",
    "license": "LGPL-3",
    "depends": ["account"],
    "data": [
        "security/groups.xml",
        "security/ir.model.access.csv",
    ],
    "installable": True,
    "application": False,
}
