"""The odoo-accounting skill's command line: the same odoo-mcp tools Claude Code calls,
for a person at a terminal or a machine without Claude Code.

    uv run python .claude/skills/odoo-accounting/scripts/main_operation.py --mode draft summary
    ... --mode draft draft --partner "Azure Interior" --line "Consulting;10;100" \
        --line "Chair;1;250;Tax 0%"
    ... --mode draft request-post 42
    ... --mode live post appr-0123456789abcdef

``--mode draft`` (the cloud) can read, draft and ask for approvals; ``--mode live`` (the
laptop, AIE_ROLE=local) also executes approved posts and payments. Settings come from the
environment (AIE_VAULT, AIE_ODOO_*), as for the server. Output is JSON; exit 1 when the
tool refused, with its message on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

import anyio

from orchestrator.toolbox import ToolBox, ToolFailed

LIVE_ONLY = {"post": "invoice_post_approved", "pay": "payment_register_approved"}


def parse_line(text: str) -> dict[str, Any]:
    """``description;quantity;unit price[;tax[,tax...]]``; a tax of ``-`` means no tax."""
    parts = [p.strip() for p in text.split(";")]
    if len(parts) not in (3, 4):
        raise argparse.ArgumentTypeError(
            f"line {text!r}: want 'description;quantity;price[;taxes]'"
        )
    line: dict[str, Any] = {"description": parts[0], "quantity": parts[1], "price_unit": parts[2]}
    if len(parts) == 4:
        line["taxes"] = (
            [] if parts[3] == "-" else [t.strip() for t in parts[3].split(",") if t.strip()]
        )
    return line


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="main_operation.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["draft", "live"], required=True)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("summary", help="account_summary")
    find = sub.add_parser("find-partner", help="partner_find")
    find.add_argument("query")
    listing = sub.add_parser("list", help="invoice_list")
    listing.add_argument("--state", choices=["draft", "posted", "cancel"])
    listing.add_argument("--overdue", action="store_true")
    listing.add_argument("--partner")
    listing.add_argument("--limit", type=int, default=50)
    get = sub.add_parser("get", help="invoice_get")
    get.add_argument("invoice_id", type=int)
    draft = sub.add_parser("draft", help="invoice_create_draft")
    draft.add_argument("--partner", required=True, help="id, exact name or email")
    draft.add_argument("--line", dest="lines", type=parse_line, action="append", required=True)
    draft.add_argument("--bill", action="store_true", help="a vendor bill (in_invoice)")
    draft.add_argument("--date", dest="invoice_date")
    draft.add_argument("--due", dest="due_date")
    draft.add_argument("--reference")
    post_req = sub.add_parser("request-post", help="invoice_request_post")
    post_req.add_argument("invoice_id", type=int)
    post_req.add_argument("--task")
    pay_req = sub.add_parser("request-payment", help="payment_request")
    pay_req.add_argument("invoice_id", type=int)
    pay_req.add_argument("--amount", type=float)
    pay_req.add_argument("--task")
    for name, tool in LIVE_ONLY.items():
        live = sub.add_parser(name, help=f"{tool} (live mode only)")
        live.add_argument("approval_id")
    return parser


def tool_call(args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    c = args.command
    if c == "summary":
        return "account_summary", {}
    if c == "find-partner":
        return "partner_find", {"query": args.query}
    if c == "list":
        call = {
            "state": args.state,
            "overdue_only": args.overdue,
            "partner": args.partner,
            "limit": args.limit,
        }
        return "invoice_list", {k: v for k, v in call.items() if v is not None}
    if c == "get":
        return "invoice_get", {"invoice_id": args.invoice_id}
    if c == "draft":
        partner: Any = int(args.partner) if args.partner.isdigit() else args.partner
        call = {
            "partner": partner,
            "lines": args.lines,
            "move_type": "in_invoice" if args.bill else "out_invoice",
            "invoice_date": args.invoice_date,
            "due_date": args.due_date,
            "reference": args.reference,
        }
        return "invoice_create_draft", {k: v for k, v in call.items() if v is not None}
    if c == "request-post":
        return "invoice_request_post", {"invoice_id": args.invoice_id, "task_id": args.task}
    if c == "request-payment":
        call = {"invoice_id": args.invoice_id, "amount": args.amount, "task_id": args.task}
        return "payment_request", {k: v for k, v in call.items() if v is not None}
    return LIVE_ONLY[c], {"approval_id": args.approval_id}


async def run(args: argparse.Namespace) -> int:
    tool, call = tool_call(args)
    if args.command in LIVE_ONLY and args.mode != "live":
        print(
            f"{args.command}: {tool} exists only in --mode live, on the local machine",
            file=sys.stderr,
        )
        return 2
    if args.mode == "live" and os.environ.get("AIE_ROLE") != "local":
        print("--mode live runs only on the local machine (AIE_ROLE=local)", file=sys.stderr)
        return 2
    async with ToolBox(("odoo",), {"AIE_ODOO_MODE": args.mode}) as tools:
        try:
            result = await tools.call(
                "odoo", tool, **{k: v for k, v in call.items() if v is not None}
            )
        except ToolFailed as failed:
            print(failed.text, file=sys.stderr)
            return 1
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


def main(argv: list[str] | None = None) -> int:
    return anyio.run(run, build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
