"""``email-watch``: the cloud's inbox watcher as a process of its own (PM2 runs it). It
watches the inbox with IMAP IDLE and turns new mail into vault tasks until SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import signal

from servers.email_mcp.service import EmailService
from servers.email_mcp.watcher import InboxWatcher
from shared.audit import register_secret
from shared.serving import setup_logging
from shared.settings import CoreSettings, ImapSettings, load, mail_auth

__all__ = ["main", "run_watch"]

DEFAULT_CYCLE_S = 25.0


def run_watch(cycle_s: float = DEFAULT_CYCLE_S, program: str = "email-watch") -> int:
    core = load(CoreSettings, program)
    imap = load(ImapSettings, program)
    auth = mail_auth(program, imap)
    for secret in (imap.password, auth.oauth_client_secret, auth.oauth_refresh_token):
        register_secret(secret)
    setup_logging()

    async def watch() -> None:
        service = EmailService(core, imap, None, auth=auth)
        watcher = InboxWatcher(service, cycle_s=cycle_s)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, watcher.stop)
        await watcher.run()

    asyncio.run(watch())
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(prog="email-watch", description=__doc__)
    parser.add_argument(
        "--cycle",
        type=float,
        default=DEFAULT_CYCLE_S,
        help="seconds per IDLE cycle (it polls at least this often)",
    )
    raise SystemExit(run_watch(parser.parse_args().cycle))
