"""Crash points: the test seam the exactly-once tests use to kill a server mid-action.

With ``AIE_FAULT_INJECT=<name>`` in its environment, a server that reaches
``crash_point("<name>")`` kills itself with SIGKILL (no cleanup, as a power cut would), so
a test can check what the next run recovers. Unset, a crash point does nothing. The names
are ``after_smtp`` (email) and ``after_odoo_<step>`` (Odoo).
"""

from __future__ import annotations

import os
import signal

__all__ = ["FAULT_ENV", "crash_point"]

FAULT_ENV = "AIE_FAULT_INJECT"


def crash_point(name: str) -> None:
    """Kill this process now if ``AIE_FAULT_INJECT`` names this point."""
    if os.environ.get(FAULT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
