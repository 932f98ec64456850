"""Placeholder until the email server lands; see the issue for email-mcp."""

from __future__ import annotations

import sys


def main() -> None:
    print("email-mcp: not built yet", file=sys.stderr)
    raise SystemExit(2)
