"""Email benchmarks on a real Dovecot: mail-to-task latency through IDLE, backlog triage
rate, and mail_list of 1,000 messages through our server and through mcp-email-server
(PyPI, installed into its own virtual environment) against the same Dovecot.

Run: .venv/bin/python -m benchmarks.bench_email
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TextIO

from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from pydantic import SecretStr

from benchmarks.common import machine, peer_tool, summary
from devstack.mail_servers import MailServers
from orchestrator.vault_init import init_vault
from servers.email_mcp.service import EmailService
from servers.email_mcp.triage import triage
from servers.email_mcp.watcher import InboxWatcher
from shared.settings import CoreSettings, ImapSettings

BIN = Path(sys.executable).parent
PEER = "mcp-email-server"


def _mail(n: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Sender {n} <sender{n}@example.test>"
    msg["To"] = "ops@example.test"
    msg["Subject"] = f"Question number {n}"
    msg["Message-ID"] = f"<bench-{n}-{time.time_ns()}@example.test>"
    msg["Date"] = "Wed, 25 Nov 2026 09:00:00 +0000"
    msg.set_content(f"Hello, this is message {n}.\n" * 5)
    return msg.as_bytes()


def _core(tmp: Path, name: str) -> CoreSettings:
    vault = tmp / name
    init_vault(vault)
    return CoreSettings(role="cloud", vault=vault)


def _imap(mail: MailServers) -> ImapSettings:
    env = mail.settings_env(security="none")
    return ImapSettings(
        host=mail.host,
        port=int(env["AIE_IMAP_PORT"]),
        user="ops@example.test",
        password=SecretStr(env["AIE_IMAP_PASSWORD"]),
        security="none",
    )


async def idle_latency(tmp: Path, count: int = 50) -> list[float]:
    with MailServers() as mail:
        core = _core(tmp, "idle-vault")
        watcher = InboxWatcher(EmailService(core, _imap(mail), None), cycle_s=20)
        running = asyncio.ensure_future(watcher.run())
        while watcher.stats.cycles < 1:
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)
        folder = core.vault / "Needs_Action" / "email"
        samples = []
        for n in range(count):
            while not watcher.idling:  # measure the IDLE path, not the catch-up search
                await asyncio.sleep(0.005)
            await asyncio.sleep(0.05)
            start = time.perf_counter()
            mail.deliver("ops@example.test", _mail(n))
            while len(list(folder.glob("email-*.md"))) < n + 1:
                await asyncio.sleep(0.005)
            samples.append(time.perf_counter() - start)
        watcher.stop()
        await asyncio.wait_for(running, 20)
        return samples


async def backlog(mail: MailServers, tmp: Path) -> tuple[int, float]:
    service = EmailService(_core(tmp, "backlog-vault"), _imap(mail), None)
    start = time.perf_counter()
    created = 0
    while True:
        result = await triage(service, batch=200)
        created += len(result.created)
        if result.remaining == 0:
            break
    elapsed = time.perf_counter() - start
    await service.close()
    return created, elapsed


async def _list_all(
    params: StdioServerParameters,
    tool: str,
    args_for_page: Callable[[int], dict[str, Any]],
    pages: int,
    errlog: TextIO = sys.stderr,
) -> list[float]:
    runs = []
    async with Client(stdio_client(params, errlog=errlog), mode="legacy") as client:
        first = await client.call_tool(tool, args_for_page(1))
        assert not first.is_error, first.content
        for _ in range(5):
            start = time.perf_counter()
            for page in range(1, pages + 1):
                result = await client.call_tool(tool, args_for_page(page))
                assert not result.is_error, result.content
            runs.append(time.perf_counter() - start)
    return runs


async def list_comparison(mail: MailServers, tmp: Path) -> tuple[dict[str, list[float]], str]:
    """Each run's times by label, and the peer's version (or why it was left out)."""
    env = mail.settings_env(security="none")
    vault = _core(tmp, "list-vault").vault
    ours = StdioServerParameters(
        command=str(BIN / "email-mcp"),
        args=[],
        env=env | {"AIE_ROLE": "cloud", "AIE_VAULT": str(vault)},
    )
    results = {
        "email-mcp, 10 pages of 100": await _list_all(
            ours, "mail_list", lambda p: {"limit": 100, "offset": (p - 1) * 100}, 10
        ),
        "email-mcp, one call of 1000": await _list_all(
            ours, "mail_list", lambda p: {"limit": 1000}, 1
        ),
    }
    peer, about_peer = peer_tool(PEER)
    if peer is not None:
        peer_env = {
            "PATH": os.environ["PATH"],
            "HOME": str(tmp),
            "MCP_EMAIL_SERVER_ACCOUNT_NAME": "default",
            "MCP_EMAIL_SERVER_FULL_NAME": "Ops",
            "MCP_EMAIL_SERVER_EMAIL_ADDRESS": "ops@example.test",
            "MCP_EMAIL_SERVER_USER_NAME": "ops@example.test",
            "MCP_EMAIL_SERVER_PASSWORD": env["AIE_IMAP_PASSWORD"],
            "MCP_EMAIL_SERVER_IMAP_HOST": mail.host,
            "MCP_EMAIL_SERVER_IMAP_PORT": env["AIE_IMAP_PORT"],
            "MCP_EMAIL_SERVER_IMAP_SSL": "false",
            "MCP_EMAIL_SERVER_IMAP_VERIFY_SSL": "false",
        }
        params = StdioServerParameters(command=str(peer), args=["stdio"], env=peer_env)
        log = tmp / f"{PEER}.log"  # its request log, at INFO whatever it is told, drowns ours
        with log.open("w") as errlog:
            try:
                results[f"{PEER}, 10 pages of 100"] = await _list_all(
                    params,
                    "list_emails_metadata",
                    lambda p: {"account_name": "default", "page": p, "page_size": 100},
                    10,
                    errlog,
                )
            except BaseException:
                print(f"{PEER} failed; the end of its log:", file=sys.stderr)
                print(log.read_text()[-2000:], file=sys.stderr)
                raise
    return results, about_peer


async def run(tmp: Path) -> None:
    print(f"email benchmarks on {machine()}")
    latency = await idle_latency(tmp)
    s = summary(latency)
    print(
        f"mail arrival to task file through IDLE ({len(latency)} mails): "
        f"p50 {s['p50_ms']:.0f} ms, p95 {s['p95_ms']:.0f} ms (goal: p50 under 1000 ms; "
        "Dovecot itself waits 500 ms before it notifies)"
    )
    with MailServers() as mail:
        mail.deliver("ops@example.test", _mail(0))  # Dovecot creates the Maildir, owned right
        for n in range(1, 1000):
            mail.deliver_to_maildir("ops@example.test", _mail(n))
        created, elapsed = await backlog(mail, tmp)
        print(
            f"backlog: {created} unseen mails to {created} tasks in {elapsed:.1f} s "
            f"= {created / elapsed:.0f} messages/s"
        )
        lists, about_peer = await list_comparison(mail, tmp)
        print("mail_list of 1,000 messages over stdio (5 runs each, median):")
        medians = {k: sorted(v)[len(v) // 2] for k, v in lists.items()}
        for label, value in medians.items():
            print(f"  {label:<36} {value * 1000:8.0f} ms")
        peer = medians.get(f"{PEER}, 10 pages of 100")
        if peer:
            ours = medians["email-mcp, 10 pages of 100"]
            print(
                f"  ratio ours/peer (same pages): {ours / peer:.2f}x (goal: below 1; "
                f"peer: {PEER} {about_peer} from PyPI)"
            )
        else:
            print(f"  no comparison with {PEER}: {about_peer}")


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="aie-bench-email-"))
    try:
        asyncio.run(run(tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
