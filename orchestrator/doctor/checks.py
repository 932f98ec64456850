"""What a check reports: its name, a status, what was found, and how to fix a failure.

A :class:`Probe` is one unit of work that yields the checks of one concern (an IMAP login
and then the folders it finds, say), run with a deadline. When it runs out of time or
breaks, the runner reports its first check as failed and the rest as not checked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["MARKS", "Check", "Probe", "Status", "fail", "ok", "skip", "skipped", "warn"]

Status = Literal["ok", "warn", "fail", "skip"]
MARKS: dict[Status, str] = {"ok": "✓", "warn": "!", "fail": "✗", "skip": "-"}


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report. ``fix`` says what to do when it is not ok."""

    area: str
    name: str
    status: Status
    detail: str
    fix: str = ""
    seconds: float = 0.0

    @property
    def mark(self) -> str:
        return MARKS[self.status]


def ok(area: str, name: str, detail: str) -> Check:
    return Check(area, name, "ok", detail)


def warn(area: str, name: str, detail: str, fix: str) -> Check:
    return Check(area, name, "warn", detail, fix)


def fail(area: str, name: str, detail: str, fix: str) -> Check:
    return Check(area, name, "fail", detail, fix)


def skip(area: str, name: str, detail: str) -> Check:
    return Check(area, name, "skip", detail)


def skipped(area: str, names: tuple[str, ...], detail: str) -> list[Check]:
    """Every one of ``names`` as not checked, for the same reason."""
    return [skip(area, name, detail) for name in names]


@dataclass(frozen=True)
class Probe:
    """The checks ``names`` of ``area``, made by one blocking call of ``run``; ``address``
    names the settings that say where its service is (for a service that does not answer)."""

    area: str
    names: tuple[str, ...]
    run: Callable[[], list[Check]] = field(repr=False)
    address: str = ""
