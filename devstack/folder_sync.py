"""A one-shot two-way sync of two vault replicas, with Syncthing's rules.

For machines without Syncthing (and for the demo's first act) this merges two folders
against the state they last agreed on: a file created or changed on one side goes to the
other, a file deleted on one side and unchanged on the other is deleted there, a change
beats a deletion, and a file changed on both sides keeps the newer edit in place and the
other as ``<name>.sync-conflict-<date>-<time>-<device>.<ext>`` beside it. A rename is a
delete plus a create, exactly as Syncthing sees it, so two replicas that move one file to
two places keep both copies. Ignored names (``.stignore`` subset) never travel.
"""

from __future__ import annotations

import hashlib
import shutil
from datetime import UTC, datetime
from pathlib import Path

from shared.sync_rules import DECISION_FOLDERS, NEVER_SYNCED_NAMES

__all__ = ["FolderSync"]

_NEVER = {".aie", ".stfolder", ".stignore", ".stversions", ".env", *NEVER_SYNCED_NAMES}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _files(root: Path) -> dict[str, str]:
    found = {}
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if (
            path.is_file()
            and not (set(rel.parts) & _NEVER)
            and rel.parts[0] not in DECISION_FOLDERS  # the laptop's, never synced
            and not rel.name.startswith(".aie-tmp-")
        ):
            found[rel.as_posix()] = _digest(path)
    return found


class FolderSync:
    """Two replicas and the state they last agreed on."""

    def __init__(self, a: Path, b: Path, device_a: str = "CLOUDAA", device_b: str = "LOCALBB"):
        self.a, self.b = a, b
        self.devices = {a: device_a, b: device_b}
        self.base: dict[str, str] = {}

    def mark_synced(self) -> None:
        """Record the current state as agreed (the replicas must be equal)."""
        self.base = _files(self.a)

    def sync(self) -> list[str]:
        """Merge both ways; returns a line per change made."""
        fa, fb = _files(self.a), _files(self.b)
        log: list[str] = []
        for rel in sorted(set(fa) | set(fb) | set(self.base)):
            base, ha, hb = self.base.get(rel), fa.get(rel), fb.get(rel)
            if ha == hb:
                continue
            if ha is None and hb is None:
                continue
            if ha == base:  # only b changed it (or deleted it)
                log.append(self._apply(self.b, self.a, rel, hb))
            elif hb == base:  # only a changed it
                log.append(self._apply(self.a, self.b, rel, ha))
            elif ha is None:  # a deleted, b changed: the change wins
                log.append(self._apply(self.b, self.a, rel, hb))
            elif hb is None:
                log.append(self._apply(self.a, self.b, rel, ha))
            else:
                log.append(self._conflict(rel))
        self.mark_synced()
        return log

    def _apply(self, source: Path, target: Path, rel: str, digest: str | None) -> str:
        dest = target / rel
        if digest is None:
            dest.unlink(missing_ok=True)
            return f"delete {rel} on {self.devices[target]}"
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / rel, dest)
        return f"copy {rel} to {self.devices[target]}"

    def _conflict(self, rel: str) -> str:
        pa, pb = self.a / rel, self.b / rel
        newer, older = (pa, pb) if pa.stat().st_mtime >= pb.stat().st_mtime else (pb, pa)
        loser_device = self.devices[self.b if older is pb else self.a]
        stamp = datetime.fromtimestamp(older.stat().st_mtime, UTC).strftime("%Y%m%d-%H%M%S")
        name = Path(rel)
        copy_rel = name.with_name(f"{name.stem}.sync-conflict-{stamp}-{loser_device}{name.suffix}")
        for root in (self.a, self.b):
            shutil.copy2(older, root / copy_rel)
        for root in (self.a, self.b):
            if root / rel != newer:
                shutil.copy2(newer, root / rel)
        return f"conflict {rel}: kept the newer edit, the other is {copy_rel.as_posix()}"
