"""Where a machine keeps what must never sync: the execution ledger, health files, locks and
the Claude Code workspace.

By default that is outside the vault, in the XDG state home
(``$XDG_STATE_HOME/ai-employee/<vault name>-<digest of its path>``, ``~/.local/state`` when
the variable is unset), one folder per vault replica so that two replicas on one machine
(the demo) never share a ledger. It must not be inside the vault: whatever is in a synced
folder can be written by every device that shares it, and Claude Code loads instructions
from every folder above its workspace.

Versions before this one kept the state in ``<vault>/.aie``; :func:`migrate_legacy` moves
it once, so an upgrade keeps the record of what was already sent and posted.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import secrets
import shutil
import stat
from pathlib import Path

__all__ = ["LEGACY_NAME", "default_state_dir", "inside", "migrate_legacy"]

LEGACY_NAME = ".aie"
log = logging.getLogger("ai-employee.state")


def default_state_dir(vault: Path, environ: dict[str, str] | None = None) -> Path:
    """The state folder of the replica at ``vault`` on this machine."""
    env = os.environ if environ is None else environ
    base = Path(env.get("XDG_STATE_HOME") or Path(env.get("HOME") or Path.home()) / ".local/state")
    resolved = vault.expanduser().resolve()
    digest = hashlib.sha256(str(resolved).encode("utf-8", "surrogateescape")).hexdigest()[:12]
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", resolved.name).strip("-.") or "vault"
    return base / "ai-employee" / f"{name[:40]}-{digest}"


def inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` is ``folder`` or lies under it (both resolved)."""
    path, folder = path.expanduser().resolve(), folder.expanduser().resolve()
    return path == folder or folder in path.parents


def migrate_legacy(vault: Path, target: Path) -> bool:
    """Move ``<vault>/.aie`` (the old default) to ``target`` once; True when it moved.

    Only a real folder is moved (never a link), and only when ``target`` does not exist
    yet: a second process racing for the same move finds it done. The old folder never
    synced (it is in the ignore files), so what it holds was written by this machine."""
    legacy = vault / LEGACY_NAME
    try:
        if not stat.S_ISDIR(os.lstat(legacy).st_mode) or target.exists():
            return False
    except FileNotFoundError:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(legacy, target)
    except FileNotFoundError:
        return False  # another process moved it first
    except OSError:
        # another file system: copy beside the target, then one rename makes it appear whole
        staging = target.parent / f".{target.name}.migrating-{secrets.token_hex(4)}"
        shutil.copytree(legacy, staging, symlinks=True)
        try:
            os.rename(staging, target)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
            return False
        with contextlib.suppress(OSError):
            shutil.rmtree(legacy)
    log.warning("moved this machine's state from %s to %s (outside the vault)", legacy, target)
    return True
