"""``ai-employee watch``: the cloud's inbox watcher as its own process (PM2 runs it)."""

from __future__ import annotations

import asyncio
import signal

from servers.email_mcp.service import EmailService
from servers.email_mcp.watcher import InboxWatcher
from shared.audit import register_secret
from shared.serving import setup_logging
from shared.settings import CoreSettings, ImapSettings, load

__all__ = ["run_watch"]


def run_watch(cycle_s: float) -> int:
    core = load(CoreSettings, "ai-employee watch")
    imap = load(ImapSettings, "ai-employee watch")
    register_secret(imap.password)
    setup_logging()

    async def main() -> None:
        watcher = InboxWatcher(EmailService(core, imap, None), cycle_s=cycle_s)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, watcher.stop)
        await watcher.run()

    asyncio.run(main())
    return 0
