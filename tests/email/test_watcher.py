"""The inbox watcher on a real Dovecot: mail becomes a task within the IDLE window, and a
restart of the IMAP server mid-watch loses no mail."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devstack.mail_servers import MailServers
from servers.email_mcp.service import EmailService
from servers.email_mcp.watcher import InboxWatcher
from tests.support.mail_fixtures import imap_settings, incoming

pytestmark = pytest.mark.anyio


async def _until(predicate, timeout: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        await asyncio.sleep(0.02)
    raise TimeoutError(f"not within {timeout} s")


def _tasks(vault_path) -> set[str]:
    return {p.stem for p in (vault_path / "Needs_Action" / "email").glob("email-*.md")}


async def test_mail_becomes_a_task_within_the_idle_window(
    mail: MailServers, make_settings, vault_path
) -> None:
    watcher = InboxWatcher(
        EmailService(make_settings("cloud"), imap_settings(mail), None), cycle_s=30
    )
    running = asyncio.ensure_future(watcher.run())
    try:
        latencies = []
        for n in range(3):
            await _until(lambda: watcher.idling, 10)
            mail.deliver(
                "ops@example.test", incoming(message_id=f"<idle{n}@x>", subject=f"IDLE {n}")
            )
            latencies.append(await _until(lambda n=n: len(_tasks(vault_path)) == n + 1, 5))
        assert max(latencies) < 2.0, latencies  # Dovecot notifies after ~0.5 s
        assert watcher.stats.pushes >= 3
        heartbeat = (vault_path / "Signals" / "cloud-agent-watcher.md").read_text()
        assert "watching" in heartbeat
    finally:
        watcher.stop()
        await asyncio.wait_for(running, 15)


async def test_mail_between_catch_up_and_idle_is_not_left_for_the_next_cycle(
    mail: MailServers, make_settings, vault_path
) -> None:
    """Each mail is delivered the moment the previous one's task appears, i.e. while the
    watcher is between its catch-up search and IDLE: the server would not push it."""
    watcher = InboxWatcher(
        EmailService(make_settings("cloud"), imap_settings(mail), None), cycle_s=60
    )
    running = asyncio.ensure_future(watcher.run())
    try:
        await _until(lambda: watcher.idling, 10)
        for n in range(10):
            mail.deliver("ops@example.test", incoming(message_id=f"<race{n}@x>"))
            await _until(lambda n=n: len(_tasks(vault_path)) == n + 1, 3)
    finally:
        watcher.stop()
        await asyncio.wait_for(running, 15)


async def test_polling_fallback_without_idle(mail: MailServers, make_settings, vault_path) -> None:
    watcher = InboxWatcher(
        EmailService(make_settings("cloud"), imap_settings(mail), None),
        use_idle=False,
        poll_s=0.3,
    )
    running = asyncio.ensure_future(watcher.run())
    try:
        await _until(lambda: watcher.stats.cycles >= 1, 10)
        mail.deliver("ops@example.test", incoming(message_id="<poll@x>"))
        await _until(lambda: len(_tasks(vault_path)) == 1, 3)
        assert watcher.stats.pushes == 0
        heartbeat = (vault_path / "Signals" / "cloud-agent-watcher.md").read_text()
        assert "polling" in heartbeat
    finally:
        watcher.stop()
        await asyncio.wait_for(running, 15)


async def test_imap_restart_mid_watch_misses_no_mail(
    mail: MailServers, make_settings, vault_path
) -> None:
    watcher = InboxWatcher(
        EmailService(make_settings("cloud"), imap_settings(mail), None), cycle_s=2
    )
    running = asyncio.ensure_future(watcher.run())
    try:
        mail.deliver("ops@example.test", incoming(message_id="<before@x>"))
        await _until(lambda: len(_tasks(vault_path)) == 1, 10)
        mail.stop_imap()
        mail.deliver_to_maildir("ops@example.test", incoming(message_id="<during@x>"))
        await asyncio.sleep(1.5)
        mail.start_imap()
        mail.deliver("ops@example.test", incoming(message_id="<after@x>"))
        await _until(lambda: len(_tasks(vault_path)) == 3, 30)
        assert watcher.stats.reconnects >= 1
    finally:
        watcher.stop()
        await asyncio.wait_for(running, 15)


def test_email_watch_is_the_email_servers_own_daemon(mail: MailServers, vault_path) -> None:
    """``email-watch`` as PM2 runs it: new mail becomes a task; SIGTERM ends it cleanly."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIE_")}
    env |= mail.settings_env("ops@example.test") | {
        "AIE_ROLE": "cloud",
        "AIE_VAULT": str(vault_path),
    }
    watcher = subprocess.Popen(
        [str(Path(sys.executable).parent / "email-watch"), "--cycle", "5"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        mail.deliver("ops@example.test", incoming())
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not list(
            (vault_path / "Needs_Action" / "email").glob("*.md")
        ):
            time.sleep(0.2)
        assert len(list((vault_path / "Needs_Action" / "email").glob("*.md"))) == 1
    finally:
        watcher.send_signal(signal.SIGTERM)
        _, stderr = watcher.communicate(timeout=30)
    assert watcher.returncode == 0, stderr
