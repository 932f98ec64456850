"""What this machine has triaged, per folder, kept on our side (in the state directory).

Exchange (Microsoft 365) has no user keywords, so a server-side ``$AIETriaged`` mark
cannot be relied on; and a mail the owner read on the phone is ``\\Seen`` before triage
runs, so "unseen" is no test either. The record is therefore ours, keyed by folder and
UIDVALIDITY:

- ``next_uid``: every mail from this UID on is new and will be triaged, read or not;
- ``backlog``: the UIDs below it still to do: at the first run, the unread mail that was
  already there (older, read mail is history, not work).

A UIDVALIDITY change (the server renumbered the folder) starts the record again. Tasks
are keyed by Message-ID anyway, so a mail met twice never makes two tasks.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from shared.vault_files import atomic_write_text

__all__ = ["FolderRecord", "TriageRecord"]


@dataclass
class FolderRecord:
    uidvalidity: int
    next_uid: int
    backlog: list[int] = field(default_factory=list)


class TriageRecord:
    def __init__(self, state_dir: Path) -> None:
        self.folder = state_dir / "triage"

    def _path(self, mailbox: str) -> Path:
        digest = hashlib.sha256(mailbox.encode("utf-8")).hexdigest()[:16]
        return self.folder / f"{digest}.json"

    def load(self, mailbox: str) -> FolderRecord | None:
        try:
            data = json.loads(self._path(mailbox).read_text("utf-8"))
            return FolderRecord(
                int(data["uidvalidity"]),
                int(data["next_uid"]),
                [int(u) for u in data.get("backlog", [])],
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save(self, mailbox: str, record: FolderRecord) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        data = {
            "mailbox": mailbox,
            "uidvalidity": record.uidvalidity,
            "next_uid": record.next_uid,
            "backlog": sorted(record.backlog),
        }
        atomic_write_text(self._path(mailbox), json.dumps(data) + "\n")
