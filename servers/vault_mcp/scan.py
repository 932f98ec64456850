"""One walk over the vault replica: Syncthing's conflict copies and temp files, and every
file that is not a note or a folder (a link, a FIFO, a socket, a device).

Such files are never followed or opened (:mod:`shared.containment`); this walk names them
so that ``vault_status`` and the Dashboard can show them, and ``conflicts_resolve`` can
move them aside. It reads no file: directory entries only, links never followed.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from shared.containment import kind_of
from shared.layout import CONFLICTS, is_sync_conflict
from shared.listing import Listing, listing

__all__ = ["Hazard", "VaultScan", "scan_vault"]

# Syncthing's own folders, a Git vault's repository, machine-local and Obsidian state, and
# what was already moved aside: not walked
_SKIPPED_AT_ROOT = {CONFLICTS, ".stversions", ".stfolder", ".git", ".aie", ".obsidian", ".trash"}


@dataclass(frozen=True)
class Hazard:
    path: str  # relative to the vault root
    kind: str  # "a link", "a FIFO", ...
    target: str = ""  # where a link points (text only; never followed)


@dataclass
class VaultScan:
    sync_copies: list[Path] = field(default_factory=list)
    syncthing_temp_files: int = 0
    hazards: list[Hazard] = field(default_factory=list)


def scan_vault(root: Path) -> VaultScan:
    found = VaultScan()
    stack = [(root, "")]
    while stack:
        folder, rel = stack.pop()
        entries = listing(folder)
        at_root = not rel
        for name in entries.folders:
            if not (at_root and name in _SKIPPED_AT_ROOT):
                stack.append((folder / name, f"{rel}{name}/"))
        for name in entries.memo("sync_copies", _sync_copies):
            found.sync_copies.append(folder / name)
        found.syncthing_temp_files += entries.memo("syncthing_temp", _temp_count)
        for name, mode in entries.others:
            if at_root and name in _SKIPPED_AT_ROOT:
                continue
            target = ""
            if stat.S_ISLNK(mode):
                try:
                    target = os.readlink(folder / name)
                except OSError:
                    pass
            found.hazards.append(Hazard(f"{rel}{name}", kind_of(mode), target))
    found.sync_copies.sort()
    found.hazards.sort(key=lambda h: h.path)
    return found


def _sync_copies(entries: Listing) -> list[str]:
    return [name for name in entries.files if is_sync_conflict(name)]


def _temp_count(entries: Listing) -> int:
    return sum(1 for n in entries.files if n.startswith(".syncthing.") and n.endswith(".tmp"))
