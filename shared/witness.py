"""What this machine saw waiting for a person: the proof that a request was approved here.

Every replica can put a file into ``Approved/`` (the sync carries it), so a file there
proves nothing by itself: a compromised cloud could write one. The local machine records
each request it sees in ``Pending_Approval/`` (its id and parameter hash) in its state
directory, which never syncs, and executes only a request it saw pending with the same
parameters. One that reached ``Approved/`` without that goes back to ``Pending_Approval/``,
now seen, for the person to approve again.
"""

from __future__ import annotations

import json
from pathlib import Path

from shared.clock import Clock, system_clock, to_iso
from shared.vault_files import atomic_write_text

__all__ = ["Witnesses"]


class Witnesses:
    def __init__(self, state_dir: Path, clock: Clock = system_clock) -> None:
        self.folder = state_dir / "witnessed"
        self.clock = clock

    def _path(self, approval_id: str) -> Path:
        return self.folder / f"{approval_id}.json"

    def record(self, approval_id: str, params_hash: str) -> None:
        """Remember the request as it is now waiting (the latest version a person sees)."""
        if self.seen(approval_id, params_hash):
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        entry = {"params_hash": params_hash, "seen_pending_at": to_iso(self.clock())}
        atomic_write_text(self._path(approval_id), json.dumps(entry) + "\n")

    def seen(self, approval_id: str, params_hash: str) -> bool:
        try:
            entry = json.loads(self._path(approval_id).read_text("utf-8"))
        except (FileNotFoundError, ValueError):
            return False
        return bool(params_hash) and entry.get("params_hash") == params_hash
