"""A person approving on the laptop, as it happens there: the local machine has seen the
request waiting (its agent lists pending approvals on every pass), then the person moves
the file to ``Approved/`` in Obsidian."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from shared.settings import CoreSettings
from shared.vault import Vault


def seen_on_laptop(vault: Path) -> None:
    """The local agent's pass: list what waits, which the laptop records as seen."""
    Vault(CoreSettings(role="local", vault=vault)).approvals.query("pending")


def approve(vault: Path, pending: Path) -> Path:
    seen_on_laptop(vault)
    target = vault / "Approved" / pending.name
    shutil.move(pending, target)
    return target


def approve_request(vault: Path, request: dict[str, Any]) -> Path:
    """Approve what a ``*_request*`` tool returned (its ``path`` in the vault)."""
    return approve(vault, vault / request["path"])


def approve_all(vault: Path) -> list[str]:
    """Approve every request waiting in ``Pending_Approval/``; their ids."""
    moved = []
    for pending in sorted((vault / "Pending_Approval").rglob("appr-*.md")):
        approve(vault, pending)
        moved.append(pending.stem)
    return moved
