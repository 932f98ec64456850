"""The health file an agent rewrites after every pass: PM2 checks and `ai-employee status`
read it. Machine-local (in the state dir), never synced."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from shared.clock import system_clock, to_iso
from shared.vault_files import atomic_write_text

__all__ = ["Health", "read_health"]

MAX_ERRORS = 10


@dataclass
class Health:
    agent: str
    role: str
    path: Path
    pid: int = field(default_factory=os.getpid)
    started: str = field(default_factory=lambda: to_iso(system_clock()))
    last_pass: str = ""
    passes: int = 0
    state: str = "starting"
    last_errors: list[str] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)

    def count(self, key: str, n: int = 1) -> None:
        self.counters[key] = self.counters.get(key, 0) + n

    def error(self, text: str) -> None:
        self.last_errors = (self.last_errors + [f"{to_iso(system_clock())} {text}"])[-MAX_ERRORS:]

    def write(self, state: str | None = None) -> None:
        if state:
            self.state = state
        data = asdict(self)
        data["path"] = str(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.path, json.dumps(data, indent=1) + "\n")


def read_health(state_dir: Path) -> list[dict[str, object]]:
    found = []
    for path in sorted(state_dir.glob("health-*.json")):
        try:
            found.append(json.loads(path.read_text("utf-8")))
        except (OSError, ValueError):
            continue
    return found
