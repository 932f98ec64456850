"""Paths that stay inside the vault: real folders and plain files, never followed links.

Any device that shares the vault can put anything in it, links included (Syncthing carries
a symlink as a symlink), and FIFOs or devices can appear too. So the vault layer opens,
reads, writes and renames only regular files in real folders:

- the vault root is resolved once, at start (``CoreSettings``), so a path built from it
  names no link above the root; :func:`check_folder` then makes sure nothing below the
  root is a link either (the resolved folder is the folder itself);
- a file is opened with ``O_NOFOLLOW`` (and ``O_NONBLOCK``, so a FIFO cannot stall a
  pass) and checked with ``fstat`` on what was opened (:func:`open_regular`);
- a folder is created one component at a time, never through a link (:func:`folder`).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from shared.errors import VaultFileError

__all__ = [
    "NotContained",
    "check_folder",
    "ensure_folder",
    "kind_of",
    "open_regular",
    "real_folder",
    "regular_file",
]

_OPEN_FLAGS = os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


class NotContained(VaultFileError):
    """A path in the vault is a link, a special file, or leads outside the vault."""


def kind_of(mode: int) -> str:
    """What a non-regular file is, in a word a person understands."""
    if stat.S_ISLNK(mode):
        return "a link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a regular file" if stat.S_ISREG(mode) else "a special file"


def check_folder(path: Path) -> None:
    """``path`` (a folder under the resolved vault root) has no link on the way."""
    if os.path.realpath(path) != str(path):
        raise NotContained(
            f"{path.name}/ leads through a link; nothing in it is opened or written (another "
            "device may have put the link there: move it out of the vault)"
        )


def open_regular(path: Path) -> int:
    """A read-only descriptor of ``path`` if it is a regular file reached through no link;
    else :class:`NotContained` (FileNotFoundError when it is gone)."""
    check_folder(path.parent)
    try:
        fd = os.open(path, os.O_RDONLY | _OPEN_FLAGS)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise NotContained(f"{path.name} is a link; it is never followed") from None
        raise
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise NotContained(f"{path.name} is {kind_of(mode)}, not a note; it is never opened")
    return fd


def ensure_folder(path: Path) -> Path:
    """``path`` as a real folder (created when missing), reached through no link."""
    missing: list[Path] = []
    probe = path
    while True:
        try:
            mode = os.lstat(probe).st_mode
        except FileNotFoundError:
            missing.append(probe)
            probe = probe.parent
            continue
        if not stat.S_ISDIR(mode):
            raise NotContained(
                f"{probe.name} is {kind_of(mode)}, not a folder; nothing is written through it"
            )
        break
    check_folder(probe)
    for part in reversed(missing):
        try:
            os.mkdir(part)
        except FileExistsError:
            mode = os.lstat(part).st_mode
            if not stat.S_ISDIR(mode):
                raise NotContained(f"{part.name} is {kind_of(mode)}, not a folder") from None
    return path


def real_folder(root: Path, relative: str, create: bool = True) -> Path:
    """``root/relative`` where every component below ``root`` is a real folder (created
    when missing and ``create``); :class:`NotContained` names the first that is not."""
    target = root
    for part in Path(relative).parts:
        if part in ("", ".", "..") or "/" in part:
            raise NotContained(f"{relative!r} is not a plain path inside the vault")
        target = target / part
    if create:
        return ensure_folder(target)
    mode = os.lstat(target).st_mode
    if not stat.S_ISDIR(mode):
        raise NotContained(
            f"{target.relative_to(root).as_posix()} in the vault is {kind_of(mode)}, not a "
            "folder; nothing is read or written through it"
        )
    check_folder(target)
    return target


def regular_file(path: Path, root: Path) -> os.stat_result:
    """The ``lstat`` of ``path`` if it is a regular file with a single link; else
    :class:`NotContained` (FileNotFoundError when it is gone)."""
    info = os.lstat(path)
    where = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
    if not stat.S_ISREG(info.st_mode):
        raise NotContained(f"{where} is {kind_of(info.st_mode)}; it is never opened or executed")
    if info.st_nlink > 1:
        raise NotContained(f"{where} has {info.st_nlink} hard links; it is never executed")
    return info
