"""The doctor's report: a table with a mark per check (✓ ok, ! warning, ✗ failed,
- skipped) and how to fix what is not ok, or one JSON object for monitoring."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from orchestrator.doctor.checks import Check

__all__ = ["as_json", "render_table", "summary"]

_STYLES = {"ok": "green", "warn": "yellow", "fail": "bold red", "skip": "dim"}


def summary(checks: Sequence[Check]) -> dict[str, int]:
    counted = Counter(check.status for check in checks)
    return {status: counted.get(status, 0) for status in ("ok", "warn", "fail", "skip")}


def as_json(role: str, checks: Sequence[Check]) -> str:
    """``{"role", "ok", "summary": {ok, warn, fail, skip}, "checks": [...]}``; ``ok`` is
    false when any check failed (the exit code is then 1)."""
    counts = summary(checks)
    report: dict[str, Any] = {
        "role": role,
        "ok": counts["fail"] == 0,
        "summary": counts,
        "checks": [
            {
                "area": c.area,
                "name": c.name,
                "status": c.status,
                "mark": c.mark,
                "detail": c.detail,
                "fix": c.fix,
                "seconds": c.seconds,
            }
            for c in checks
        ],
    }
    return json.dumps(report, indent=2, ensure_ascii=False)


def render_table(console: Console, role: str, checks: Sequence[Check]) -> None:
    table = Table(title=f"ai-employee doctor ({role})", expand=True, show_lines=False)
    table.add_column("", width=1, no_wrap=True)
    table.add_column("check", no_wrap=True)
    table.add_column("result", ratio=1)
    for check in checks:
        style = _STYLES[check.status]
        result = Text(check.detail, style="dim" if check.status == "skip" else "")
        if check.fix and check.status in ("fail", "warn"):
            result.append(f"\nfix: {check.fix}", style=style)
        table.add_row(Text(check.mark, style=style), Text(check.name), result)
    console.print(table)
    counts = summary(checks)
    line = Text()
    line.append(f"{counts['fail']} failed", style="bold red" if counts["fail"] else "")
    line.append(f", {counts['warn']} warnings", style="yellow" if counts["warn"] else "")
    line.append(f", {counts['ok']} ok, {counts['skip']} skipped")
    console.print(line)
