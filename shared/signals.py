"""Heartbeats: one file per agent in ``Signals/``, so two replicas never edit the same file."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, Field

from shared.clock import Clock, from_iso, system_clock, to_iso
from shared.errors import VaultFileError
from shared.layout import Layout, is_hidden, is_sync_conflict
from shared.vault_files import VaultDoc, read_doc, write_doc

__all__ = ["Heartbeat", "Signals"]


class Heartbeat(BaseModel):
    agent: str
    role: str = ""
    last_seen: str = Field(description="ISO 8601 UTC time of the last heartbeat")
    age_seconds: float
    status: str = ""
    note: str = ""
    host: str = ""


class Signals:
    def __init__(self, vault: Path, clock: Clock = system_clock) -> None:
        self.layout = Layout(vault)
        self.clock = clock

    def path(self, agent: str) -> Path:
        return self.layout.signals / f"{agent}.md"

    def beat(self, agent: str, role: str, status: str = "ok", note: str = "") -> Heartbeat:
        now = self.clock()
        meta = {
            "type": "heartbeat",
            "agent": agent,
            "role": role,
            "last_seen": to_iso(now),
            "status": status,
            "note": note,
            "host": socket.gethostname(),
            "pid": os.getpid(),
        }
        body = f"# {agent}\n\nLast seen {to_iso(now)} ({status}). {note}\n"
        write_doc(self.path(agent), VaultDoc(meta, body))
        return self._heartbeat(meta, now)

    def last_seen(self, agent: str) -> datetime | None:
        try:
            return from_iso(read_doc(self.path(agent)).meta.get("last_seen"))
        except (FileNotFoundError, VaultFileError):
            return None

    def all(self) -> list[Heartbeat]:
        folder = self.layout.signals
        if not folder.is_dir():
            return []
        now = self.clock()
        beats = []
        for path in sorted(folder.glob("*.md")):
            if is_hidden(path.name) or is_sync_conflict(path.name):
                continue
            try:
                meta = read_doc(path).meta
            except VaultFileError:
                continue
            meta.setdefault("agent", path.stem)
            beats.append(self._heartbeat(meta, now))
        return beats

    @staticmethod
    def _heartbeat(meta: dict[str, object], now: datetime) -> Heartbeat:
        seen = from_iso(meta.get("last_seen"))
        age = (now - seen).total_seconds() if seen else float("inf")
        return Heartbeat(
            agent=str(meta.get("agent", "")),
            role=str(meta.get("role") or ""),
            last_seen=str(meta.get("last_seen") or ""),
            age_seconds=round(age, 3) if seen else -1.0,
            status=str(meta.get("status") or ""),
            note=str(meta.get("note") or ""),
            host=str(meta.get("host") or ""),
        )

    def is_alive(self, agent: str, within: timedelta) -> bool:
        seen = self.last_seen(agent)
        return seen is not None and self.clock() - seen <= within
