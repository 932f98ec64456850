"""Vault files that could not be read (broken YAML, not UTF-8, too big): noted by whoever
tried to read them, then moved aside by ``conflicts_resolve``, as a mail that cannot be
triaged is. A pass never stops because of one file: the file is skipped where it is met,
and out of the way by the next pass."""

from __future__ import annotations

from pathlib import Path

__all__ = ["Quarantine"]


class Quarantine:
    def __init__(self) -> None:
        self._noted: dict[Path, str] = {}

    def note(self, path: Path, why: str) -> None:
        self._noted[path] = why

    def take(self) -> dict[Path, str]:
        """What was noted since the last call, and why."""
        noted, self._noted = self._noted, {}
        return noted
