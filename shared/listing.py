"""What a vault folder holds, by name and kind, read once per change of the folder.

``Done/`` grows by a file per finished task (100,000 in a busy year) and every pass counts
it, looks for duplicates in it and for links in it. A folder's listing only changes when
its modification time (or inode) does, so the listing is kept per folder and read again
only then: an unchanged ``Done/`` costs one ``lstat`` per pass, not 100,000 entries.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Listing", "listing"]


@dataclass(frozen=True)
class Listing:
    files: tuple[str, ...]  # regular files, sorted
    folders: tuple[str, ...]  # real folders (never a link), sorted
    others: tuple[tuple[str, int], ...]  # links and special files, with their lstat mode
    derived: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def memo(self, key: str, make: Callable[[Listing], Any]) -> Any:
        """``make(self)``, computed once per listing (what a caller derives from it)."""
        if key not in self.derived:
            self.derived[key] = make(self)
        return self.derived[key]


_EMPTY = Listing((), (), ())
_cache: dict[str, tuple[tuple[int, int, int], Listing]] = {}
_lock = threading.Lock()
_MAX_CACHED = 4096


def listing(folder: Path | str) -> Listing:
    """The folder's entries by kind; empty when it is missing or not a real folder."""
    key = str(folder)
    try:
        info = os.lstat(key)
    except OSError:
        return _EMPTY
    if not stat.S_ISDIR(info.st_mode):
        return _EMPTY
    version = (info.st_ino, info.st_mtime_ns, info.st_ctime_ns)
    with _lock:
        cached = _cache.get(key)
    if cached is not None and cached[0] == version:
        return cached[1]
    found = _read(key)
    with _lock:
        if len(_cache) >= _MAX_CACHED:
            _cache.clear()
        _cache[key] = (version, found)
    return found


def _read(folder: str) -> Listing:
    files, folders, others = [], [], []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_symlink():
                    others.append((entry.name, stat.S_IFLNK))
                elif entry.is_file(follow_symlinks=False):
                    files.append(entry.name)
                elif entry.is_dir(follow_symlinks=False):
                    folders.append(entry.name)
                else:
                    try:
                        others.append((entry.name, entry.stat(follow_symlinks=False).st_mode))
                    except OSError:
                        continue
    except OSError:
        return _EMPTY
    return Listing(tuple(sorted(files)), tuple(sorted(folders)), tuple(sorted(others)))
