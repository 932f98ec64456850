"""Drafting an invoice on a real Odoo 18 (``../shared/odoo18/``, started as the tests start
it): odoo-mcp against raw odoorpc and mcp-server-odoo, side by side, each through the same
counting proxy (:mod:`benchmarks.odoo_proxy`), which also plays a hosted Odoo (20 ms per
request). Needs root, PostgreSQL and the tarball; says why not and stops otherwise.

Run: .venv/bin/python -m benchmarks.bench_odoo_real
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path
from typing import Any, TextIO

import odoorpc
from mcp import Client

from benchmarks.bench_odoo import (
    PEER,
    USER,
    Bench,
    _ok,
    _peer,
    peer_draft,
    raw_draft,
    report,
)
from benchmarks.common import machine
from benchmarks.odoo_proxy import CountingProxy
from tests.support.real_odoo import RealOdoo, missing

PARTNER, TAX = "Azure Interior", "15%"  # the generic chart's sale tax
SETTINGS = [
    ("Odoo 18 on loopback, answering as fast as it can", 0.0, 20),
    ("20 ms more per Odoo request, as to a hosted Odoo", 0.02, 10),
]
LINES: list[dict[str, Any]] = [
    {"description": "Consulting, March", "quantity": 12, "price_unit": 95.0, "taxes": [TAX]},
    {"description": "Office chair", "quantity": 2, "price_unit": 250.0, "taxes": []},
    {"description": "Travel expenses", "quantity": 1, "price_unit": 180.0, "taxes": []},
]


async def ours_draft(client: Client) -> dict[str, Any]:
    args = {"partner": PARTNER, "lines": LINES, "move_type": "out_invoice"}
    return _ok(await client.call_tool("invoice_create_draft", args))


def invoice_vals(raw: Any) -> dict[str, Any]:
    """What a generic create must be given: ids, field names, command syntax."""
    partner_id = raw.execute_kw("res.partner", "search", [[["name", "=", PARTNER]]])[0]
    tax_domain = [["name", "=", TAX], ["type_tax_use", "=", "sale"]]
    tax_id = raw.execute_kw("account.tax", "search", [tax_domain])[0]
    lines = []
    for line in LINES:
        values = {k: line[k] for k in ("quantity", "price_unit")} | {"name": line["description"]}
        values["tax_ids"] = [[6, 0, [tax_id] if line["taxes"] else []]]
        lines.append([0, 0, values])
    return {"move_type": "out_invoice", "partner_id": partner_id, "invoice_line_ids": lines}


async def run(tmp: Path) -> None:
    print(f"odoo benchmarks on a real Odoo 18, on {machine()}")
    why = missing()
    if why:
        print(f"  no figures: {why}")
        return
    peer, version = _peer()
    logs: dict[str, TextIO] = {k: (tmp / f"{k}.log").open("a") for k in ("ours", "peer")}
    try:
        with RealOdoo() as odoo:
            db = odoo.new_database()
            raw = odoo.rpc(db)
            raw.execute_kw("res.partner", "create", [{"name": PARTNER, "is_company": True}])
            vals = invoice_vals(raw)
            with CountingProxy(odoo.url) as proxy:
                bench = Bench(proxy, tmp, peer, logs, "" if peer else f"not available: {version}")
                bench.db, bench.password = db, odoo.admin_key
                print(
                    f"Odoo: {raw.version} on loopback, one worker; every client goes through "
                    "the counting proxy; ours: odoo-mcp over stdio (JSON-RPC via odoorpc); "
                    f"raw: odoorpc; peer: "
                    + (
                        f"{PEER} {version} over stdio (XML-RPC, ODOO_YOLO=true)"
                        if peer
                        else version
                    )
                )
                through = odoorpc.ODOO("127.0.0.1", port=proxy.port, timeout=120)
                through.login(db, USER, odoo.admin_key)  # raw odoorpc, counted like the others
                peer_ops = {"peer": peer_draft(vals)}
                drafts = await bench.compare(
                    ours_draft, lambda: raw_draft(through, vals), peer_ops, False, SETTINGS
                )
            labels = {
                "ours": "odoo-mcp invoice_create_draft (warm)",
                "raw": "raw odoorpc create + read",
                "peer": f"{PEER} create_record + get_record",
            }
            title = f"draft an invoice for {PARTNER!r}, 3 lines (one with tax {TAX!r}), read back:"
            report(title, drafts, labels, "invoice", bench.peer_error, SETTINGS)
    finally:
        for log in logs.values():
            log.close()


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="aie-bench-odoo-real-"))
    try:
        asyncio.run(run(tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
