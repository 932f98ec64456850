"""Odoo benchmarks on the Odoo stand-in, served from this process: drafting one invoice
through our odoo-mcp, plain odoorpc (the raw operation) and mcp-server-odoo (PyPI, in its
own virtual environment); a page of invoice_list; start-up and recovery with Odoo down.
Figures come twice: Odoo answering at once, and 20 ms per Odoo request (a hosted Odoo).

Run: .venv/bin/python -m benchmarks.bench_odoo
"""

from __future__ import annotations

import asyncio
import inspect
import json
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

import odoorpc
from mcp import Client, StdioServerParameters
from mcp.client.stdio import get_default_environment, stdio_client
from mcp.types import LATEST_PROTOCOL_VERSION

from benchmarks.common import machine, peer_tool, summary
from devstack.odoo_standin import StandinThread
from orchestrator.vault_init import init_vault
from servers.odoo_mcp.service import INVOICE_TYPES, MOVE_FIELDS

BIN = Path(sys.executable).parent
PEER = "mcp-server-odoo"
TODAY = "2026-03-15"
DB, USER, PASSWORD = "acme", "admin", "admin"
PARTNER, TAX = "Azure Interior", "Tax 15%"
LINES: list[dict[str, Any]] = [
    {"description": "Consulting, March", "quantity": 12, "price_unit": 95.0, "taxes": [TAX]},
    {"description": "Office chair", "quantity": 2, "price_unit": 250.0},
    {"description": "Travel expenses", "quantity": 1, "price_unit": 180.0},
]
INVOICES: list[Any] = [["move_type", "in", list(INVOICE_TYPES)]]
LIST_ORDER = "invoice_date desc, id desc"
SEEDED, PAGE = 200, 50
# (label, seconds the stand-in waits before each answer, warm calls per contender)
SETTINGS = [
    ("Odoo answers at once (stand-in on loopback)", 0.0, 40),
    ("20 ms per Odoo request, as to a hosted Odoo", 0.02, 20),
]
DOWN_STARTS, DOWN_FOR_S, RETRY_EVERY_S = 3, 5.0, 0.5
DOWN_CALLS: dict[str, tuple[str, dict[str, Any]]] = {
    "odoo-mcp": ("invoice_list", {"limit": 1}),
    PEER: ("search_records", {"model": "account.move", "limit": 1, "fields": ["name"]}),
}
PEER_TIMEOUT_S = 120.0

Call = Callable[[], Any]  # returns the result, or an awaitable of it
Op = Callable[[Client], Awaitable[Any]]
Cleanup = Callable[[Any], Any] | None
Results = dict[float, dict[str, "Run"]]


@dataclass
class Run:
    """One contender in one setting: warm samples; ``cold`` is the first call after start."""

    samples: list[float] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)
    result: Any = None
    cold: Run | None = None
    startup_requests: int = 0

    def row(self, label: str, unit: str) -> str:
        s = summary(self.samples)
        low, high = min(self.requests), max(self.requests)
        count = f"{low}" if low == high else f"{low}-{high}"
        return (
            f"  {label:<42} p50 {s['p50_ms']:7.1f} ms  p95 {s['p95_ms']:7.1f} ms  "
            f"(n={len(self.samples)})  {count} Odoo requests/{unit}"
        )

    def breakdown(self) -> str:
        return ", ".join(f"{k} {n}" if n > 1 else k for k, n in self.calls.items())


def _ok(result: Any) -> dict[str, Any]:
    if result.is_error:
        raise RuntimeError(" ".join(getattr(c, "text", str(c)) for c in result.content)[:300])
    content = result.structured_content
    return dict(content if content is not None else json.loads(result.content[0].text))


def _why(exc: BaseException) -> str:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return f"{type(exc).__name__}: {exc}"


async def ours_draft(client: Client) -> dict[str, Any]:
    args = {"partner": PARTNER, "lines": LINES, "move_type": "out_invoice"}
    return _ok(await client.call_tool("invoice_create_draft", args))


async def ours_list(client: Client) -> dict[str, Any]:
    result = _ok(await client.call_tool("invoice_list", {"limit": PAGE}))
    assert len(result["invoices"]) == PAGE, result
    return result


def peer_draft(vals: dict[str, Any], lookups: bool = False) -> Op:
    """create_record + get_record; with lookups, first the searches for the ids it needs."""

    async def search(client: Client, model: str, name: str) -> int:
        args = {"model": model, "domain": [["name", "=", name]], "fields": ["name"], "limit": 1}
        return int(_ok(await client.call_tool("search_records", args))["records"][0]["id"])

    async def op(client: Client) -> dict[str, Any]:
        if lookups:
            assert vals["partner_id"] == await search(client, "res.partner", PARTNER)
            tax_id = await search(client, "account.tax", TAX)
            assert vals["invoice_line_ids"][0][2]["tax_ids"] == [[6, 0, [tax_id]]]
        args = {"model": "account.move", "values": vals}
        move_id = _ok(await client.call_tool("create_record", args))["record"]["id"]
        args = {"model": "account.move", "record_id": move_id, "fields": MOVE_FIELDS}
        return _ok(await client.call_tool("get_record", args))

    return op


async def peer_list(client: Client) -> dict[str, Any]:
    args = {"model": "account.move", "domain": INVOICES, "fields": MOVE_FIELDS, "limit": PAGE}
    result = _ok(await client.call_tool("search_records", args | {"order": LIST_ORDER}))
    assert len(result["records"]) == PAGE, result
    return result


def raw_draft(raw: Any, vals: dict[str, Any]) -> Any:
    move_id = raw.execute_kw("account.move", "create", [vals])
    return raw.execute_kw("account.move", "read", [[move_id], MOVE_FIELDS])[0]


def raw_list(raw: Any) -> Any:
    kwargs = {"fields": MOVE_FIELDS, "limit": PAGE, "order": LIST_ORDER}
    return raw.execute_kw("account.move", "search_read", [INVOICES], kwargs)


def invoice_vals(raw: Any) -> dict[str, Any]:
    """What the caller of a generic create must know: ids, field names, command syntax."""
    partner_id = raw.execute_kw("res.partner", "search", [[["name", "=", PARTNER]]])[0]
    tax_domain = [["name", "=", TAX], ["type_tax_use", "=", "sale"]]
    tax_id = raw.execute_kw("account.tax", "search", [tax_domain])[0]
    lines = []
    for line in LINES:
        values = {k: line[k] for k in ("quantity", "price_unit")} | {"name": line["description"]}
        if "taxes" in line:
            values["tax_ids"] = [[6, 0, [tax_id]]]
        lines.append([0, 0, values])
    return {"move_type": "out_invoice", "partner_id": partner_id, "invoice_line_ids": lines}


def seed_drafts(raw: Any) -> None:
    partners = raw.execute_kw("res.partner", "search", [[["customer_rank", ">", 0]]]) or [1]
    line = [[0, 0, {"name": "Seed", "quantity": 1, "price_unit": 10.0}]]
    vals = [{"move_type": "out_invoice", "invoice_line_ids": line} for _ in range(SEEDED)]
    for i, one in enumerate(vals):  # several partners, and dates in the first quarter
        one["partner_id"] = partners[i % len(partners)]
        one["invoice_date"] = f"2026-0{1 + i % 3}-{1 + i % 28:02d}"
    raw.execute_kw("account.move", "create", [vals])


def _odoo_env(prefix: str, url: str, db: str = DB, password: str = PASSWORD) -> dict[str, str]:
    """The same four settings for both servers, each with its own prefix."""
    settings = {"URL": url, "DB": db, "USER": USER, "PASSWORD": password}
    return {prefix + k: v for k, v in settings.items()}


# -- measuring ----------------------------------------------------------------------------------
class Measured(Protocol):
    """What the bench reads from the Odoo under test: the stand-in, or a counting proxy in
    front of a real Odoo (:mod:`benchmarks.odoo_proxy`)."""

    @property
    def url(self) -> str: ...

    def stats(self) -> dict[str, Any]: ...

    def reset_stats(self) -> None: ...

    def control(self, **changes: Any) -> Any: ...


@dataclass
class Bench:
    odoo: Measured
    tmp: Path
    peer: Path | None
    logs: dict[str, TextIO]
    peer_error: str = ""
    db: str = DB
    password: str = PASSWORD  # or an API key

    def ours_params(self, url: str) -> StdioServerParameters:
        vault = Path(tempfile.mkdtemp(dir=self.tmp, prefix="vault-"))
        init_vault(vault)
        env = {"AIE_ROLE": "cloud", "AIE_VAULT": str(vault)} | _odoo_env(
            "AIE_ODOO_", url, self.db, self.password
        )
        return StdioServerParameters(command=str(BIN / "odoo-mcp"), args=[], env=env)

    def peer_params(self, url: str) -> StdioServerParameters:
        # the SDK adds PATH; HOME and cwd: it loads a .env from its working directory
        env = {"HOME": str(self.tmp)} | _odoo_env("ODOO_", url, self.db, self.password)
        env["ODOO_YOLO"] = "true"  # plain Odoo without its addon: full access over XML-RPC
        env["ODOO_MCP_LOG_LEVEL"] = "ERROR"  # its YOLO warnings would drown the figures
        return StdioServerParameters(command=str(self.peer), args=[], env=env, cwd=self.tmp)

    def drop_draft(self, result: Any) -> None:
        """Delete the draft just made, in the stand-in directly (not timed, not counted):
        the stand-in copies every row of a model on each query, so its create slows down by
        about 0.25 ms per stored invoice, and each contender must find the same database."""
        move_id = result.get("invoice_id") or result.get("record", result)["id"]
        assert isinstance(self.odoo, StandinThread)
        self.odoo.call("account.move", "unlink", [int(move_id)])

    async def measure(self, call: Call, n: int, cleanup: Cleanup) -> Run:
        run = Run()
        for _ in range(n):
            self.odoo.reset_stats()
            start = time.perf_counter()
            run.result = call()
            if inspect.isawaitable(run.result):
                run.result = await run.result
            run.samples.append(time.perf_counter() - start)
            stats = self.odoo.stats()
            run.requests.append(stats["total"])
            run.calls = {name: int(k) for name, k in sorted(stats["calls"].items())}
            if cleanup:
                cleanup(run.result)
        return run

    async def over_stdio(
        self, params: StdioServerParameters, log: str, op: Op, n: int, cleanup: Cleanup
    ) -> Run:
        """Start the server and list its tools, one cold call, then n warm ones."""
        self.odoo.reset_stats()
        async with Client(stdio_client(params, errlog=self.logs[log]), mode="legacy") as client:
            await client.list_tools()
            startup = self.odoo.stats()["total"]
            cold = await self.measure(lambda: op(client), 1, cleanup)
            run = await self.measure(lambda: op(client), n, cleanup)
        run.cold, run.startup_requests = cold, startup
        return run

    async def compare(
        self,
        ours: Op,
        raw: Call,
        peer_ops: dict[str, Op],
        drop: bool,
        settings: list[tuple[str, float, int]] = SETTINGS,
    ) -> Results:
        """Each setting in turn: ours, raw, then the peer's ways (a failure is reported)."""
        out: Results = {}
        cleanup = self.drop_draft if drop else None
        for _, delay, n in settings:
            self.odoo.control(delay_s=delay)
            params = self.ours_params(self.odoo.url)
            runs = out[delay] = {"ours": await self.over_stdio(params, "ours", ours, n, cleanup)}
            runs["raw"] = await self.measure(raw, n, cleanup)
            for key, op in peer_ops.items() if self.peer and not self.peer_error else ():
                try:
                    async with asyncio.timeout(PEER_TIMEOUT_S):
                        params = self.peer_params(self.odoo.url)
                        runs[key] = await self.over_stdio(params, "peer", op, n, cleanup)
                except Exception as exc:  # noqa: BLE001 - report it and go on
                    self.peer_error = _why(exc)
        self.odoo.control(delay_s=0)
        return out


# -- Odoo down: a bare JSON-RPC client, to see whether and when a server exits ----------------
class RawStdio:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc, self._id = proc, 0

    async def _send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps({"jsonrpc": "2.0"} | message) + "\n").encode())
        await self.proc.stdin.drain()

    async def request(self, method: str, params: dict[str, Any]) -> Any:
        """The reply's result (or error), or None once the process closed its output."""
        self._id += 1
        try:
            await self._send({"id": self._id, "method": method, "params": params})
        except (BrokenPipeError, ConnectionResetError):
            return None
        assert self.proc.stdout is not None
        while line := await asyncio.wait_for(self.proc.stdout.readline(), 60):
            reply = json.loads(line)
            if reply.get("id") == self._id:
                return reply.get("result", reply.get("error"))
        return None

    async def tools(self) -> list[Any] | None:
        """initialize, then tools/list: the tools, or None if the process exited."""
        hello = {"name": "bench-odoo", "version": "0"}
        init = {"protocolVersion": LATEST_PROTOCOL_VERSION, "capabilities": {}, "clientInfo": hello}
        if await self.request("initialize", init) is None:
            return None
        await self._send({"method": "notifications/initialized"})
        listed = await self.request("tools/list", {})
        return None if listed is None else list(listed.get("tools", []))

    async def call(self, tool: str, args: dict[str, Any]) -> tuple[bool, str]:
        result = await self.request("tools/call", {"name": tool, "arguments": args})
        if result is None:
            return False, "(the process exited)"
        text = " ".join(c.get("text", "") for c in result.get("content", []))
        return not result.get("isError", False), text

    async def close(self) -> tuple[int | None, float]:
        """Close stdin as a client does: the exit code, and how long the exit took."""
        start = time.perf_counter()
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            code = await asyncio.wait_for(self.proc.wait(), 10)
        except TimeoutError:
            self.proc.terminate()
            code = await self.proc.wait()
        return code, time.perf_counter() - start


@dataclass
class Down:
    name: str
    list_s: list[float] = field(default_factory=list)
    tools: int = 0
    behaviour: str = "kept running"
    first_call: str = ""
    exit_code: int | None = None
    exit_s: float = 0.0
    failed_down: int = 0
    failed_up: int = 0
    recovered_s: float | None = None


async def odoo_down(bench: Bench, name: str) -> Down:
    """Start with nothing on Odoo's port; the first time, keep calling a tool while Odoo
    stays down for DOWN_FOR_S, then start it on that port: when does the tool work?"""
    params, log = (bench.ours_params, "ours") if name == "odoo-mcp" else (bench.peer_params, "peer")
    tool, args = DOWN_CALLS[name]
    down = Down(name)
    for attempt in range(DOWN_STARTS):
        with socket.create_server(("127.0.0.1", 0)) as sock:
            port = int(sock.getsockname()[1])
        p = params(f"http://127.0.0.1:{port}")
        env = get_default_environment() | (p.env or {})  # as the SDK's stdio client does
        start = time.perf_counter()
        proc = await asyncio.create_subprocess_exec(
            p.command,
            stdin=-1,
            stdout=-1,
            stderr=bench.logs[log],
            env=env,
            cwd=p.cwd,
            limit=1 << 24,
        )
        server = RawStdio(proc)
        tools = await server.tools()
        if tools is None:
            after = f"{(time.perf_counter() - start) * 1000:.0f} ms"
            down.behaviour = f"exited {after} after start, before listing its tools"
            down.exit_code, down.exit_s = await server.close()
            return down
        down.list_s.append(time.perf_counter() - start)
        down.tools = len(tools)
        _, down.first_call = await server.call(tool, args)
        until = time.perf_counter() + (DOWN_FOR_S if attempt == 0 else 0)
        while time.perf_counter() < until:
            down.failed_down += not (await server.call(tool, args))[0]
            await asyncio.sleep(RETRY_EVERY_S)
        if attempt == 0:
            with StandinThread(port=port, today=TODAY):
                up = time.perf_counter()
                while time.perf_counter() - up < 70:
                    if (await server.call(tool, args))[0]:
                        down.recovered_s = time.perf_counter() - up
                        break
                    down.failed_up += 1
                    await asyncio.sleep(0.1)
        if proc.returncode is not None:
            down.behaviour = f"exited after a tool call (code {proc.returncode})"
        down.exit_code, down.exit_s = await server.close()
    return down


def report(
    title: str,
    results: Results,
    labels: dict[str, str],
    unit: str,
    error: str,
    settings: list[tuple[str, float, int]] = SETTINGS,
) -> None:
    print(title)
    for label, delay, _ in settings:
        runs = results[delay]
        print(f" {label}:")
        for key, run in runs.items():
            print(run.row(labels[key], unit))
            if key != "raw":
                print(f"    requests: {run.breakdown()}")
            if run.cold and unit == "invoice":
                cold = f"{run.cold.samples[0] * 1000:.1f} ms, {run.cold.requests[0]} Odoo requests"
                at_start = f" (+{run.startup_requests} at start)" * bool(run.startup_requests)
                print(f"    cold, the first call after start: {cold}{at_start}")
                print(f"    cold requests: {run.cold.breakdown()}")
        if unit == "invoice":
            totals = {k: r.result.get("record", r.result)["amount_total"] for k, r in runs.items()}
            same = "the same" if len(set(totals.values())) == 1 else "DIFFERENT"
            print(f"  amount_total: {', '.join(f'{k} {v}' for k, v in totals.items())} ({same})")
        p50 = {key: summary(run.samples)["p50_ms"] for key, run in runs.items()}
        ratios = [f"ours/{key} {p50['ours'] / value:.2f}x" for key, value in p50.items()]
        print(f"  ratios at p50: {', '.join(ratios[1:])}")
    if error and any(key not in runs for key in labels for runs in results.values()):
        print(f"  {PEER}: no figures: {error}")


def report_down(downs: list[Down]) -> None:
    print(f"start-up with Odoo down (connection refused), {DOWN_STARTS} starts each:")
    for d in downs:
        if not d.list_s:
            print(f"  {d.name:<16} {d.behaviour}" + f", exit code {d.exit_code}" * bool(d.exit_s))
            continue
        print(
            f"  {d.name:<16} tools listed in p50 {summary(d.list_s)['p50_ms']:4.0f} ms "
            f"({d.tools} tools); {d.behaviour}; exit code {d.exit_code} "
            f"{d.exit_s * 1000:.0f} ms after stdin closed"
        )
        print(f"    a tool call meanwhile answers: {d.first_call[:150]!r}")
    if len(downs) == 2 and all(d.list_s for d in downs):
        ours, peer = (summary(d.list_s)["p50_ms"] for d in downs)
        print(f"  ratio ours/peer (time until tools listed, p50): {ours / peer:.2f}x")
    print(f" Odoo down {DOWN_FOR_S:.0f} s, a client calling every {RETRY_EVERY_S} s, then back up:")
    for d in (d for d in downs if d.list_s):
        back = "never worked again within 70 s"
        if d.recovered_s is not None:
            back = f"first success {d.recovered_s * 1000:5.0f} ms after Odoo was back"
        print(f"  {d.name:<16} {back} ({d.failed_up} failed calls after, {d.failed_down} during)")


async def run(tmp: Path) -> None:
    print(f"odoo benchmarks on {machine()}")
    peer, version = peer_tool(PEER)
    logs: dict[str, TextIO] = {k: (tmp / f"{k}.log").open("a") for k in ("ours", "peer")}
    try:
        with StandinThread(today=TODAY) as odoo:
            bench = Bench(odoo, tmp, peer, logs, "" if peer else f"not available: {version}")
            print(
                f"Odoo: the stand-in (an Odoo {odoo.app.knobs.version} look-alike) in this "
                "process; ours: odoo-mcp over stdio (JSON-RPC via odoorpc); peer: "
                + (f"{PEER} {version} over stdio (XML-RPC, ODOO_YOLO=true)" if peer else version)
            )
            raw = odoorpc.ODOO(odoo.host, port=odoo.port)
            raw.login(DB, USER, PASSWORD)
            vals = invoice_vals(raw)
            peer_ops = {"peer": peer_draft(vals), "peer+lookups": peer_draft(vals, lookups=True)}
            drafts = await bench.compare(ours_draft, lambda: raw_draft(raw, vals), peer_ops, True)
            labels = {
                "ours": "odoo-mcp invoice_create_draft (warm)",
                "raw": "raw odoorpc create + read",
                "peer": f"{PEER} create_record + get_record",
                "peer+lookups": f"{PEER} + 2 lookups (4 tool calls)",
            }
            title = f"draft an invoice for {PARTNER!r}, 3 lines (one with tax {TAX!r}), read back:"
            report(title, drafts, labels, "invoice", bench.peer_error)
            odoo.reset()
            seed_drafts(raw)
            peer_ops = {"peer": peer_list}
            lists = await bench.compare(ours_list, lambda: raw_list(raw), peer_ops, False)
            labels = {"ours": "odoo-mcp invoice_list", "raw": "raw odoorpc search_read"}
            labels["peer"] = f"{PEER} search_records"
            title = f"invoice_list: a page of {PAGE}, newest first, out of {SEEDED} drafts:"
            report(title, lists, labels, "page", bench.peer_error)
        downs = []
        for name in ("odoo-mcp", PEER) if peer else ("odoo-mcp",):
            try:
                async with asyncio.timeout(PEER_TIMEOUT_S):
                    downs.append(await odoo_down(bench, name))
            except Exception as exc:  # noqa: BLE001 - report it and go on
                downs.append(Down(name, behaviour=f"could not be measured: {_why(exc)}"))
        report_down(downs + ([] if peer else [Down(PEER, behaviour=bench.peer_error)]))
    finally:
        for log in logs.values():
            log.close()


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="aie-bench-odoo-"))
    try:
        asyncio.run(run(tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
