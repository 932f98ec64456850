"""Placeholder until the odoo server lands; see the issue for odoo-mcp."""

from __future__ import annotations

import sys


def main() -> None:
    print("odoo-mcp: not built yet", file=sys.stderr)
    raise SystemExit(2)
