"""One walk over the vault replica: Syncthing's conflict copies and temp files, and every
file that is not a note or a folder (a link, a FIFO, a socket, a device).

Such files are never followed or opened (:mod:`shared.containment`); this walk names them
so that ``vault_status`` and the Dashboard can show them, and ``conflicts_resolve`` can
move them aside. It reads no file: directory entries only, links never followed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from shared.containment import kind_of
from shared.layout import CONFLICTS, is_sync_conflict

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
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if folder == root and entry.name in _SKIPPED_AT_ROOT:
                continue
            if entry.is_symlink():
                try:
                    target = os.readlink(entry.path)
                except OSError:
                    target = ""
                found.hazards.append(Hazard(_rel(root, entry.path), "a link", target))
            elif entry.is_dir(follow_symlinks=False):
                stack.append(Path(entry.path))
            elif entry.is_file(follow_symlinks=False):
                if is_sync_conflict(entry.name):
                    found.sync_copies.append(Path(entry.path))
                elif entry.name.startswith(".syncthing.") and entry.name.endswith(".tmp"):
                    found.syncthing_temp_files += 1
            else:
                try:
                    kind = kind_of(entry.stat(follow_symlinks=False).st_mode)
                except OSError:
                    continue
                found.hazards.append(Hazard(_rel(root, entry.path), kind))
    found.sync_copies.sort()
    found.hazards.sort(key=lambda h: h.path)
    return found


def _rel(root: Path, path: str) -> str:
    return Path(path).relative_to(root).as_posix()
