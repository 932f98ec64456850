"""What never travels between replicas, and the check that this replica's ignore files say so.

Two kinds of path stay on the machine where they are made:

- **Decisions.** ``Approved/`` and ``Rejected/`` belong to the laptop: a person moves a
  request there on the laptop (in Obsidian, with ``ai-employee approve``, or by answering
  ``approval_decide``'s form), and the laptop's replica never takes them from the sync. So
  a file in the laptop's ``Approved/`` was put there on the laptop, never by the cloud.
- **Instructions and code.** ``CLAUDE.md``, ``CLAUDE.local.md`` and ``.claude/`` are read by
  Claude Code as instructions, and a ``.git`` folder's configuration can run commands: a
  peer must never be able to plant them.

Syncthing applies each device's own ``.stignore`` to what it sends *and* to what it
accepts, and the file itself never syncs. Git does not: a file the repository tracks comes
from whoever pushed it, so with Git a tracked file in ``Approved/`` is refused
(:func:`tracked_by_git`).
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Final

__all__ = [
    "DECISION_FOLDERS",
    "GITIGNORE_RULES",
    "NEVER_SYNCED_NAMES",
    "STIGNORE_RULES",
    "keeps_decisions",
    "missing_rules",
    "tracked_by_git",
]

DECISION_FOLDERS: Final = ("Approved", "Rejected")
NEVER_SYNCED_NAMES: Final = ("CLAUDE.md", "CLAUDE.local.md", ".claude", ".git", ".obsidian")

# The exact lines ``ai-employee vault init`` writes and the local agent looks for.
STIGNORE_RULES: Final = (
    *(f"/{folder}" for folder in DECISION_FOLDERS),
    *(f"(?d){name}" for name in NEVER_SYNCED_NAMES),
)
GITIGNORE_RULES: Final = (
    *(f"/{folder}/" for folder in DECISION_FOLDERS),
    "CLAUDE.md",
    "CLAUDE.local.md",
    ".claude/",
    ".obsidian/",
)
_MAX_IGNORE_BYTES = 256 * 1024


def _lines(path: Path) -> set[str] | None:
    """The lines of a regular file (never followed through a link), or None."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        data = os.read(fd, _MAX_IGNORE_BYTES)
    finally:
        os.close(fd)
    return {line.strip() for line in data.decode("utf-8", "replace").splitlines()}


def _is_git_repository(root: Path) -> bool:
    return os.path.lexists(root / ".git")


def keeps_decisions(root: Path) -> bool:
    """Whether this replica's ``.stignore`` keeps ``Approved/`` and ``Rejected/`` home."""
    lines = _lines(root / ".stignore") or set()
    return all(f"/{folder}" in lines for folder in DECISION_FOLDERS)


def missing_rules(root: Path) -> list[str]:
    """What this replica's ignore files lack to keep decisions and instructions at home:
    one line per missing rule, empty when all is well."""
    problems = []
    stignore = _lines(root / ".stignore")
    if stignore is None:
        problems.append(".stignore is missing (or not a regular file)")
    else:
        problems += [f".stignore lacks {rule!r}" for rule in STIGNORE_RULES if rule not in stignore]
    if _is_git_repository(root):
        gitignore = _lines(root / ".gitignore")
        if gitignore is None:
            problems.append(".gitignore is missing in a Git vault (copy .gitignore-sync to it)")
        else:
            problems += [
                f".gitignore lacks {rule!r}" for rule in GITIGNORE_RULES if rule not in gitignore
            ]
    return problems


class GitUnavailable(RuntimeError):
    """The vault is a Git repository but ``git`` could not answer."""


def tracked_by_git(root: Path, relative: str) -> bool:
    """Whether the vault's Git repository tracks ``relative`` (False for a vault without
    Git). Git runs with no user or system configuration and with the repository's hooks
    and file-system monitor switched off, so nothing in a synced ``.git`` runs."""
    if not _is_git_repository(root):
        return False
    git = shutil.which("git")
    if git is None:
        raise GitUnavailable("the vault is a Git repository but git is not installed")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_OPTIONAL_LOCKS": "0",
        "GIT_TERMINAL_PROMPT": "0",
    }
    argv = [
        git,
        "-c",
        "core.fsmonitor=false",
        "-c",
        f"core.hooksPath={os.devnull}",
        "-c",
        f"safe.directory={root}",
        "-C",
        str(root),
        "ls-files",
        "--cached",
        "-z",
        "--",
        relative,
    ]
    try:
        done = subprocess.run(argv, env=env, capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise GitUnavailable(f"git ls-files failed: {error}") from None
    if done.returncode != 0:
        why = done.stderr.decode("utf-8", "replace").strip()[:200]
        raise GitUnavailable(f"git ls-files failed: {why}")
    return bool(done.stdout.strip(b"\0"))
