"""A person approving on the laptop, as it happens there: the local machine has seen the
request waiting (its agent lists pending approvals on every pass), then the person moves
the file to ``Approved/`` in Obsidian."""

from __future__ import annotations

import shutil
from pathlib import Path

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
