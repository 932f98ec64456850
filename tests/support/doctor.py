"""Running ``ai-employee doctor`` in this process, with exactly the environment given (every
AIE_*, SYNCTHING_*, ANTHROPIC_* and PM2_* setting of the test process is removed first)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from typer.testing import CliRunner

from orchestrator.cli import app

_OURS = ("AIE_", "SYNCTHING_", "ANTHROPIC_", "PM2_", "CLAUDE_")


@dataclass
class DoctorRun:
    exit_code: int
    output: str
    report: dict[str, Any]

    def check(self, name: str) -> dict[str, Any]:
        (found,) = [c for c in self.report["checks"] if c["name"] == name]
        return dict(found)

    def failed(self) -> list[str]:
        return [c["name"] for c in self.report["checks"] if c["status"] == "fail"]

    def statuses(self) -> dict[str, str]:
        return {c["name"]: c["status"] for c in self.report["checks"]}


def doctor(env: dict[str, str], *args: str, json_output: bool = True) -> DoctorRun:
    """``ai-employee doctor [--json] ARGS`` with ``env``; the table is 200 columns wide."""
    cleared: dict[str, str | None] = {k: None for k in os.environ if k.startswith(_OURS)}
    argv = ["doctor", *(["--json"] if json_output else []), *args]
    result = CliRunner().invoke(app, argv, env=cleared | env | {"COLUMNS": "200"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    report = json.loads(result.stdout) if json_output else {}
    return DoctorRun(result.exit_code, result.stdout, report)
