"""``python -m devstack.odoo_standin --port 8069 --db acme``."""

from .server import main

raise SystemExit(main())
