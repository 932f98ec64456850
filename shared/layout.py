"""The vault's folder layout, its domains and who owns them (the zone table)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

__all__ = [
    "APPROVED",
    "CONFLICTS",
    "DASHBOARD",
    "DOMAINS",
    "DOMAIN_OWNERS",
    "DONE",
    "FAILED",
    "HANDBOOK",
    "IN_PROGRESS",
    "KNOWN_AGENTS",
    "LOGS",
    "NEEDS_ACTION",
    "PENDING_APPROVAL",
    "PLANS",
    "REJECTED",
    "SIGNALS",
    "UPDATES",
    "UPDATES_ARCHIVE",
    "Layout",
    "is_archive_month",
    "is_hidden",
    "is_sync_conflict",
]

NEEDS_ACTION: Final = "Needs_Action"
IN_PROGRESS: Final = "In_Progress"
PLANS: Final = "Plans"
PENDING_APPROVAL: Final = "Pending_Approval"
APPROVED: Final = "Approved"
REJECTED: Final = "Rejected"
DONE: Final = "Done"
FAILED: Final = "Failed"
UPDATES: Final = "Updates"
UPDATES_ARCHIVE: Final = "Updates/Archive"
SIGNALS: Final = "Signals"
CONFLICTS: Final = "Conflicts"
LOGS: Final = "Logs"
DASHBOARD: Final = "Dashboard.md"
HANDBOOK: Final = "Company_Handbook.md"

DOMAINS: Final = ("email", "accounting", "general")
KNOWN_AGENTS: Final = ("cloud-agent", "local-agent")
# The zone table: the agent whose work a domain is. Ties in conflict resolution go to it.
DOMAIN_OWNERS: Final = {
    "email": "cloud-agent",
    "accounting": "cloud-agent",
    "general": "local-agent",
}

SYNC_CONFLICT_MARK: Final = ".sync-conflict-"


def is_sync_conflict(name: str) -> bool:
    """A copy Syncthing leaves when two replicas edited one file apart."""
    return SYNC_CONFLICT_MARK in name


ARCHIVE_MONTH: Final = re.compile(r"\d{4}-\d{2}")


def is_archive_month(name: str) -> bool:
    """``Done/2026-03/``: finished work archived by month (``ai-employee vault archive``)."""
    return bool(ARCHIVE_MONTH.fullmatch(name))


def is_hidden(name: str) -> bool:
    """Dot files: ``.keep``, our temp files, Syncthing's own files."""
    return name.startswith(".")


class Layout:
    """Paths inside one vault replica. Pure path arithmetic; touches no file."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def needs_action(self, domain: str) -> Path:
        return self.root / NEEDS_ACTION / domain

    def in_progress(self, agent: str) -> Path:
        return self.root / IN_PROGRESS / agent

    def plans(self, domain: str) -> Path:
        return self.root / PLANS / domain

    def pending(self, domain: str) -> Path:
        return self.root / PENDING_APPROVAL / domain

    @property
    def approved(self) -> Path:
        return self.root / APPROVED

    @property
    def rejected(self) -> Path:
        return self.root / REJECTED

    @property
    def done(self) -> Path:
        return self.root / DONE

    @property
    def failed(self) -> Path:
        return self.root / FAILED

    @property
    def updates(self) -> Path:
        return self.root / UPDATES

    @property
    def updates_archive(self) -> Path:
        return self.root / UPDATES_ARCHIVE

    @property
    def signals(self) -> Path:
        return self.root / SIGNALS

    @property
    def conflicts(self) -> Path:
        return self.root / CONFLICTS

    @property
    def logs(self) -> Path:
        return self.root / LOGS

    @property
    def dashboard(self) -> Path:
        return self.root / DASHBOARD

    @property
    def handbook(self) -> Path:
        return self.root / HANDBOOK

    def skeleton(self) -> list[Path]:
        """Every folder the vault must have; none is ever deleted (see syncthing#7879)."""
        folders = [
            self.root / NEEDS_ACTION,
            self.root / IN_PROGRESS,
            self.root / PLANS,
            self.root / PENDING_APPROVAL,
        ]
        folders += [self.needs_action(d) for d in DOMAINS]
        folders += [self.in_progress(a) for a in KNOWN_AGENTS]
        folders += [self.plans(d) for d in DOMAINS]
        folders += [self.pending(d) for d in DOMAINS]
        folders += [
            self.approved,
            self.rejected,
            self.done,
            self.failed,
            self.updates,
            self.updates_archive,
            self.signals,
            self.conflicts,
            self.logs,
        ]
        return folders

    def agent_folders(self) -> list[Path]:
        """``In_Progress/<agent>/`` for every agent present, known or not."""
        base = self.root / IN_PROGRESS
        if not base.is_dir():
            return []
        return sorted(p for p in base.iterdir() if p.is_dir() and not is_hidden(p.name))
