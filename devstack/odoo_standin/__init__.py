"""A protocol-faithful Odoo 17/18 stand-in server for tests and demos (standard library only).

It speaks JSON-RPC (``/jsonrpc``, ``/web/webclient/version_info``) and XML-RPC (``/xmlrpc/2``)
like Odoo, with Odoo's error envelope, and emulates the ORM and the invoicing rules product
code relies on. See README.md in this folder for what it does and does not emulate.
"""

from .process import StandinProcess, start_standin
from .seed import DEFAULT_SEED
from .server import StandinApp, StandinThread, main

__all__ = ["DEFAULT_SEED", "StandinApp", "StandinProcess", "StandinThread", "main", "start_standin"]
