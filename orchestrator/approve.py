"""``ai-employee approve ID`` and ``ai-employee reject ID --reason TEXT``: a person decides at
a terminal on the laptop.

The command shows the laptop's own rendering of the request (made from its parameters, not
the text the asking machine wrote), asks the person to confirm, and records the decision
only if the request is still what was shown. It needs a person at a terminal: with no
terminal on its input and output (a script, a pipe, an agent's shell) it refuses, so no
program can answer for the person.
"""

from __future__ import annotations

import sys
from typing import TextIO

from rich.console import Console

from shared.errors import AIEError
from shared.ids import check_approval_id
from shared.settings import CoreSettings, load
from shared.text import plain
from shared.vault import Vault

__all__ = ["decide_at_terminal"]


def decide_at_terminal(
    console: Console,
    approval_id: str,
    approve: bool,
    reason: str = "",
    stdin: TextIO | None = None,
) -> int:
    verb = "approve" if approve else "reject"
    program = f"ai-employee {verb}"
    stdin = stdin or sys.stdin
    try:
        check_approval_id(approval_id)
    except ValueError as error:
        console.print(f"{program}: {error}", markup=False)
        return 2
    settings = load(CoreSettings, program)
    if settings.role != "local":
        console.print(
            f"{program}: decisions are made on the laptop (AIE_ROLE=local); this machine is "
            f"{settings.role}",
            markup=False,
        )
        return 2
    if not (stdin.isatty() and sys.stdout.isatty()):
        console.print(
            f"{program}: needs a person at a terminal to confirm (no terminal here), so no "
            "script or agent can decide; run it yourself, or move the file in Obsidian",
            markup=False,
        )
        return 2
    approvals = Vault(settings).approvals
    try:
        shown = approvals.shown(approval_id)
    except AIEError as error:
        console.print(f"{program}: {error}", markup=False)
        return 1
    console.rule(f"{approval_id}, as this laptop renders it from its parameters")
    console.print(plain(shown.text), markup=False, highlight=False)
    console.rule()
    if approve and shown.altered:
        console.print(
            f"{program}: the request file's own text differs from this rendering, so what it "
            f"shows in Obsidian may not be what would execute; it cannot be approved. Reject "
            f"it: ai-employee reject {approval_id} --reason 'altered'",
            markup=False,
        )
        return 1
    console.print(
        f"{verb.capitalize()} {approval_id} exactly as shown above? [y/N] ",
        end="",
        markup=False,
        highlight=False,
    )
    answer = stdin.readline().strip().lower()
    if answer not in ("y", "yes"):
        console.print("Nothing recorded.")
        return 1
    try:
        decided = approvals.decide(
            approval_id, approve, settings.operator, "terminal", reason, shown.digest
        )
    except AIEError as error:
        console.print(f"{program}: {error}", markup=False)
        return 1
    if approve:
        console.print(
            f"Approved: {decided.path}. The local agent executes it on its next pass.",
            markup=False,
        )
    else:
        console.print(f"Rejected: {decided.path}. Nothing will be done.", markup=False)
    return 0
