"""How the harness's own server processes know to stop."""

from __future__ import annotations

import signal
import sys
import threading

__all__ = ["wait_for_stop"]


def wait_for_stop() -> None:
    """Block until SIGTERM, Ctrl-C, or the parent closing our standard input (so a
    process whose parent died without a word still stops)."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    def stop_when_stdin_closes() -> None:
        sys.stdin.read()
        stop.set()

    threading.Thread(target=stop_when_stdin_closes, daemon=True).start()
    stop.wait()
