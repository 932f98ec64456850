"""Running ``ai-employee doctor`` in this process, with exactly the environment given (every
AIE_*, SYNCTHING_*, ANTHROPIC_*, CLAUDE_* and PM2_* setting of the test process is removed
first), from a folder with no ``.env`` unless the test writes one there."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from orchestrator.cli import app

_OURS = ("AIE_", "SYNCTHING_", "ANTHROPIC_", "PM2_", "CLAUDE_")
NO_DOTENV = Path(tempfile.mkdtemp(prefix="aie-doctor-cwd-"))


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


def doctor(
    env: dict[str, str], *args: str, json_output: bool = True, cwd: Path = NO_DOTENV
) -> DoctorRun:
    """``ai-employee doctor [--json] ARGS`` with ``env``, run in ``cwd``; the table is 200
    columns wide."""
    cleared: dict[str, str | None] = {k: None for k in os.environ if k.startswith(_OURS)}
    argv = ["doctor", *(["--json"] if json_output else []), *args]
    with contextlib.chdir(cwd):
        result = CliRunner().invoke(app, argv, env=cleared | env | {"COLUMNS": "200"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    report = json.loads(result.stdout) if json_output else {}
    return DoctorRun(result.exit_code, result.stdout, report)


def failing(
    run: DoctorRun, name: str, fix: str, detail: str = "", also: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The check ``name`` failed, saying ``detail`` and with a fix that says ``fix``; no
    other check failed but ``also`` (what the same cause breaks too); the exit code is 1."""
    check = run.check(name)
    assert check["status"] == "fail", f"{name}: {check}\n{run.output}"
    assert fix in check["fix"], check
    assert detail in check["detail"], check
    assert sorted(run.failed()) == sorted([name, *also]), run.output
    assert run.exit_code == 1
    return check


def passing(run: DoctorRun, *names: str) -> None:
    """Each of ``names`` is ok (a test's positive control in the same run)."""
    for name in names:
        assert run.check(name)["status"] == "ok", run.check(name)
