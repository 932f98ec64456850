"""``ai-employee doctor``: checks this machine's setup for real, for its role, and says how
to fix each failure: the settings and the state directory; the vault's layout and
permissions; the sync (Syncthing); the mailbox (IMAP, and SMTP on the laptop); Odoo (the
version, the login, and the user's rights: the cloud's must not post, the laptop's must);
Claude Code; and PM2's apps on the cloud.

Each area is a module that makes :class:`~orchestrator.doctor.checks.Probe` s; the runner
runs them at once, each with a deadline; the report is a table or JSON. Nothing a check
shows holds a secret."""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.console import Console

from orchestrator.doctor import claude, mail, odoo, pm2, sync, vault
from orchestrator.doctor.checks import MARKS, Check, Probe
from orchestrator.doctor.render import as_json, render_table
from orchestrator.doctor.runner import run_probes
from orchestrator.doctor.setup import Setup, load_setup
from shared.settings import Role

__all__ = ["MARKS", "Check", "Probe", "diagnose", "probes", "run_doctor"]

DEFAULT_TIMEOUT_S = 10.0


def probes(setup: Setup, timeout_s: float) -> list[Probe]:
    """Every probe, in the order of the report."""
    return [
        *vault.probes(setup),
        *sync.probes(setup, timeout_s),
        *mail.probes(setup, timeout_s),
        *odoo.probes(setup, timeout_s),
        *claude.probes(setup, timeout_s),
        *pm2.probes(setup, timeout_s),
    ]


def diagnose(
    role: Role,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    monotonic: Callable[[], float] = time.monotonic,
) -> list[Check]:
    """Every check of this machine for ``role``, each probe given ``timeout_s``."""
    setup = load_setup(role)
    return run_probes(probes(setup, timeout_s), timeout_s, setup.secrets(), monotonic)


def run_doctor(console: Console, role: Role, json_output: bool, timeout_s: float) -> int:
    """Check, report, and return the exit code: 1 when any check failed, else 0."""
    checks = diagnose(role, timeout_s)
    if json_output:
        print(as_json(role, checks), flush=True)
    else:
        render_table(console, role, checks)
    return 1 if any(check.status == "fail" for check in checks) else 0
