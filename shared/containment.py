"""Paths that stay inside the vault: real folders and plain files, never followed links.

Any device that shares the vault can put anything in it, links included (Syncthing carries
a symlink as a symlink). What the servers write, move or execute is therefore checked
with ``lstat`` component by component: a folder is a real folder, a file a regular file
with one link, and nothing resolves outside the vault's root.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from shared.errors import VaultFileError

__all__ = ["NotContained", "real_folder", "regular_file"]


class NotContained(VaultFileError):
    """A path in the vault is a link, a special file or a file with several links."""


def real_folder(root: Path, relative: str, create: bool = True) -> Path:
    """``root/relative`` where every component below ``root`` is a real folder (created
    when missing and ``create``); :class:`NotContained` names the first that is not."""
    folder = root
    for part in Path(relative).parts:
        if part in ("", ".", "..") or "/" in part:
            raise NotContained(f"{relative!r} is not a plain path inside the vault")
        folder = folder / part
        try:
            mode = os.lstat(folder).st_mode
        except FileNotFoundError:
            if not create:
                raise
            try:
                os.mkdir(folder)
            except FileExistsError:
                pass
            mode = os.lstat(folder).st_mode
        if not stat.S_ISDIR(mode):
            kind = "a link" if stat.S_ISLNK(mode) else "not a folder"
            raise NotContained(
                f"{folder.relative_to(root).as_posix()} in the vault is {kind}; nothing is "
                "written through it: move it out of the vault (another device may have put it "
                "there)"
            )
    return folder


def regular_file(path: Path, root: Path) -> os.stat_result:
    """The ``lstat`` of ``path`` if it is a regular file with a single link; else
    :class:`NotContained` (FileNotFoundError when it is gone)."""
    info = os.lstat(path)
    where = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
    if not stat.S_ISREG(info.st_mode):
        kind = "a link" if stat.S_ISLNK(info.st_mode) else "not a regular file"
        raise NotContained(f"{where} is {kind}; it is never opened or executed")
    if info.st_nlink > 1:
        raise NotContained(f"{where} has {info.st_nlink} hard links; it is never executed")
    return info
