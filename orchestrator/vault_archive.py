"""``ai-employee vault archive``: finished work moved from ``Done/`` into ``Done/YYYY-MM/``.

``Done/`` gains a file per finished task and per executed approval; after a year it holds
100,000 of them, which Obsidian lists in one folder. Archiving moves what finished before
a cut-off into a folder per month (by the file's modification time: when it was finished).
Nothing that links to them breaks: Obsidian resolves ``[[name]]`` wherever the note is,
and the servers look a task or an approval up in the month folders too.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from shared.containment import check_folder, ensure_folder
from shared.layout import Layout
from shared.listing import listing

__all__ = ["ArchiveReport", "archive_done"]


@dataclass
class ArchiveReport:
    moved: dict[str, int] = field(default_factory=dict)  # month -> files

    @property
    def total(self) -> int:
        return sum(self.moved.values())


def _month_start(now: datetime, months_back: int) -> datetime:
    index = now.year * 12 + (now.month - 1) - months_back
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def archive_done(vault: Path, keep_months: int, now: datetime) -> ArchiveReport:
    """Move ``Done/*.md`` finished before the start of the month ``keep_months`` back into
    ``Done/YYYY-MM/``; links and special files are never moved (vault_status names them)."""
    done = Layout(vault).done
    if not done.is_dir():
        raise FileNotFoundError(f"no vault at {vault} (it has no Done/ folder)")
    check_folder(done)
    cutoff = _month_start(now, keep_months).timestamp()
    report = ArchiveReport()
    for name in listing(done).files:
        if not name.endswith(".md") or name.startswith("."):
            continue
        path = done / name
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            continue
        if not stat.S_ISREG(info.st_mode) or info.st_mtime >= cutoff:
            continue
        month = datetime.fromtimestamp(info.st_mtime, UTC).strftime("%Y-%m")
        target = ensure_folder(done / month) / name
        if os.path.lexists(target):
            continue  # already archived from another replica: the sync brings the move
        os.rename(path, target)
        report.moved[month] = report.moved.get(month, 0) + 1
    return report
