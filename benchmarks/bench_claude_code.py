"""Claude Code against the rules path, per task (issue 11): the same US1 and US2 tasks
worked by ``ai-employee cloud`` / ``local`` once with the built-in rules and once with
``AIE_CLAUDE_CODE=1`` (the real CLI, its model the scripted Messages API on loopback),
on a real Dovecot + SMTP and the Odoo stand-in.

Per task: the agent run's wall time (one pass: start, the work, stop) on each path and
their ratio (goal: at most 1.5x); for Claude Code also the session's seconds as the agent
saw it (CLI start, reaching the agent's running servers, the turns), of which the model
turns take how long, what is left besides the model (goal: at most 1.5 s), and the number
of model requests and MCP tool calls.

Then each server's start over stdio, as a person's Claude Code starts it: the time from
spawning it to its ``tools/list`` answer, with the record of its last start and without
one (a first start: the MCP SDK's import), against spawning ``python -c pass``.

    .venv/bin/python -m benchmarks.bench_claude_code [rounds]
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from benchmarks.common import machine
from devstack.mail_servers import MailServers
from devstack.odoo_standin import StandinThread
from devstack.scripted_model import ScriptedModel, sessions
from orchestrator.vault_init import init_vault
from shared.settings import CoreSettings
from shared.vault import Vault
from tests.support.approving import approve
from tests.support.claude_cli import DEAD

BIN = Path(sys.executable).parent
CLAUDE = Path(__file__).resolve().parent.parent / ".tools" / "node_modules" / ".bin" / "claude"
ROUNDS = 3
INVOICE_TASK = """Invoice Azure Interior for November.

```invoice
partner: Azure Interior
reference: PO-BENCH-{n}
lines:
  - {{description: Consulting November, quantity: 12, price_unit: 100}}
```
"""
SESSION_LINE = re.compile(r"Claude Code (?:finished|executed) \S+(?: \([a-z_]+\))? in ([\d.]+) s")


@dataclass
class Figures:
    wall: dict[str, list[float]] = field(default_factory=lambda: {"rules": [], "claude": []})
    session_s: list[float] = field(default_factory=list)
    turns_s: list[float] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)
    tool_calls: list[int] = field(default_factory=list)


def _mail(n: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Alice Client <client@example.test>"
    msg["To"] = "Ops <ops@example.test>"
    msg["Subject"] = f"Invoice question {n}"
    msg["Message-ID"] = f"<bench-{n}-{time.time_ns()}@client.example.test>"
    msg.set_content("Could you resend the invoice for October?\n")
    return msg.as_bytes()


def _run(env: dict[str, str], role: str) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(
        [str(BIN / "ai-employee"), role, "--passes", "1", "--interval", "0.2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"ai-employee {role} failed: {done.stderr[-2000:]}")
    return took, done.stderr


def _approve_all(vault: Path) -> None:
    """A person on the laptop moves each request to Approved/."""
    for pending in sorted((vault / "Pending_Approval").rglob("appr-*.md")):
        approve(vault, pending)


def main(rounds: int = ROUNDS) -> None:
    print(f"Claude Code benchmark on {machine()}")
    if not CLAUDE.is_file():
        print("  NOT RUN: the Claude Code CLI is not in .tools/; run scripts/bootstrap.sh")
        return
    steps = (
        "US1 cloud: draft a reply",
        "US1 local: send it",
        "US2 cloud: draft an invoice",
        "US2 local: post it",
    )
    figures = {step: Figures() for step in steps}
    with (
        tempfile.TemporaryDirectory(prefix="aie-bench-cc-") as tmp,
        MailServers() as mail,
        StandinThread() as odoo,
        ScriptedModel() as model,
    ):
        base = {k: v for k, v in os.environ.items() if not k.startswith("AIE_")}
        base |= mail.settings_env("ops@example.test") | {
            "AIE_ODOO_URL": odoo.url,
            "AIE_ODOO_DB": "acme",
            "AIE_ODOO_USER": "admin",
            "AIE_ODOO_PASSWORD": "admin",
        }
        home = Path(tmp) / "home"
        home.mkdir()
        claude = model.env() | {
            "HOME": str(home),
            "AIE_CLAUDE_CODE": "1",
            "AIE_CLAUDE_COMMAND": str(CLAUDE),
        }
        for n in range(rounds):
            for path in ("rules", "claude"):
                vault = Path(tmp) / f"vault-{n}-{path}"
                init_vault(vault)
                env = {
                    role: base
                    | {"AIE_ROLE": role, "AIE_VAULT": str(vault)}
                    | (claude if path == "claude" else {})
                    for role in ("cloud", "local")
                }
                jobs: list[tuple[str, str, Callable[[], None]]] = [
                    (steps[0], "cloud", lambda n=n: mail.deliver("ops@example.test", _mail(n))),
                    (steps[1], "local", lambda v=vault: _approve_all(v)),
                    (steps[2], "cloud", lambda v=vault, n=n, p=path: _task(v, f"{n}-{p}")),
                    (steps[3], "local", lambda v=vault: _approve_all(v)),
                ]
                for step, role, before in jobs:
                    before()
                    seen = len(model.requests)
                    took, log = _run(env[role], role)
                    figures[step].wall[path].append(took)
                    if path == "claude":
                        _session_figures(figures[step], log, model.requests[seen:])
    for step in steps:
        f = figures[step]
        rules, claude_s = statistics.median(f.wall["rules"]), statistics.median(f.wall["claude"])
        print(f"  {step}")
        print(
            f"    agent run, one pass: rules {rules:5.2f} s, Claude Code {claude_s:5.2f} s "
            f"({claude_s / rules:.1f}x, goal 1.5x; median of {len(f.wall['rules'])})"
        )
        if f.session_s:
            besides = statistics.median(s - t for s, t in zip(f.session_s, f.turns_s, strict=True))
            print(
                f"    Claude Code session {statistics.median(f.session_s):5.2f} s, of which model "
                f"turns {statistics.median(f.turns_s):4.2f} s and the rest {besides:4.2f} s "
                f"(goal 1.5 s); {statistics.median(f.requests):.0f} model requests, "
                f"{statistics.median(f.tool_calls):.0f} MCP tool calls"
            )
    cold_starts(rounds)


def cold_starts(rounds: int) -> None:
    """Spawn to ``tools/list`` of each server over stdio, with and without a record."""
    print("  a server's start over stdio, spawn to its tools/list answer (median):")
    bare = statistics.median(_timed([sys.executable, "-c", "pass"]) for _ in range(rounds + 2))
    print(f"    python -c pass: {bare * 1000:6.0f} ms")
    with tempfile.TemporaryDirectory(prefix="aie-bench-cold-") as tmp:
        vault = Path(tmp) / "Vault"
        init_vault(vault)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIE_")}
        env |= DEAD | {"AIE_ROLE": "local", "AIE_VAULT": str(vault)}
        for server in ("vault", "email", "odoo"):
            first, again = [], []
            for n in range(rounds + 2):
                fresh = env | {"XDG_STATE_HOME": str(Path(tmp) / f"state-{server}-{n}")}
                first.append(_tools_list_after_start(server, fresh))  # records its answers
                again.append(_tools_list_after_start(server, fresh))  # answers from them
            with_record, without = statistics.median(again), statistics.median(first)
            print(
                f"    {server}-mcp: {with_record * 1000:6.0f} ms with the record of its last "
                f"start ({with_record / bare:.1f}x python -c pass), {without * 1000:6.0f} ms "
                f"without ({without / bare:.1f}x)"
            )


def _timed(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True)
    return time.perf_counter() - start


def _tools_list_after_start(server: str, env: dict[str, str]) -> float:
    hello = {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "b", "version": "1"},
    }
    start = time.perf_counter()
    process = subprocess.Popen(
        [str(BIN / f"{server}-mcp")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    assert process.stdin is not None and process.stdout is not None
    for message in (
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": hello},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    ):
        process.stdin.write((json.dumps(message) + "\n").encode())
    process.stdin.flush()
    answers = {}
    while 2 not in answers:
        answer = json.loads(process.stdout.readline())
        answers[answer.get("id")] = answer
    took = time.perf_counter() - start
    if "result" not in answers.get(1, {}) or not answers[2].get("result", {}).get("tools"):
        raise RuntimeError(f"{server}-mcp did not start: {answers}")
    process.stdin.close()
    process.wait(timeout=60)
    return took


def _task(vault: Path, n: str) -> None:
    store = Vault(CoreSettings(role="cloud", vault=vault, agent="owner")).tasks
    store.create("accounting", f"Invoice Azure {n}", INVOICE_TASK.format(n=n), source_id=n)


def _session_figures(f: Figures, log: str, requests: list[dict[str, object]]) -> None:
    found = SESSION_LINE.search(log)
    if found is None:
        raise RuntimeError(f"no finished Claude Code session in the log:\n{log[-2000:]}")
    f.session_s.append(float(found.group(1)))
    found = sessions(requests)  # type: ignore[arg-type]
    if len(found) != 1:
        raise RuntimeError(f"{len(found)} sessions: {[s.brief for s in found]}\n{log[-3000:]}")
    (session,) = found
    f.turns_s.append(session.seconds)
    f.requests.append(len(session.turns))
    f.tool_calls.append(len(session.mcp_calls()))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else ROUNDS)
