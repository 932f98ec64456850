"""Handing the thinking step to Claude Code, headless, with this project's skills and MCP
servers (``.mcp.json``). Enabled with ``AIE_CLAUDE_CODE=1`` where the ``claude`` CLI is
installed and logged in; any failure (not installed, not logged in, a timeout) returns
False and the built-in rules do the work instead."""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio

__all__ = ["ClaudeCode"]

log = logging.getLogger("ai-employee.claude")
PROJECT = Path(__file__).resolve().parent.parent
ALLOWED = "mcp__vault__*,mcp__email__*,mcp__odoo__*"


@dataclass
class ClaudeCode:
    command: str
    project: Path = PROJECT
    timeout_s: float = 300.0

    @classmethod
    def from_environment(cls) -> ClaudeCode | None:
        if os.environ.get("AIE_CLAUDE_CODE", "").lower() not in ("1", "true", "yes"):
            return None
        command = os.environ.get("AIE_CLAUDE_COMMAND") or shutil.which("claude")
        local = PROJECT / ".tools" / "node_modules" / ".bin" / "claude"
        if command is None and local.is_file():
            command = str(local)
        if command is None:
            log.warning(
                "AIE_CLAUDE_CODE is on but no claude CLI was found; using the built-in rules"
            )
            return None
        return cls(command)

    async def run_skill(self, skill: str, task_id: str) -> bool:
        prompt = (
            f"Use the {skill} skill on vault task {task_id} only: it is claimed for you "
            "already. Finish with an approval request or a completed task; never send, post "
            "or pay anything."
        )
        argv = [self.command, "-p", prompt, "--output-format", "json", "--allowedTools", ALLOWED]
        try:
            with anyio.fail_after(self.timeout_s):
                done = await anyio.run_process(argv, cwd=self.project, check=False)
        except (OSError, TimeoutError) as error:
            log.warning("Claude Code did not run for %s: %s", task_id, error)
            return False
        report = _report(done.stdout)
        if done.returncode != 0 or report.get("is_error"):
            why = report.get("result") or done.stderr.decode(errors="replace").strip()[-300:]
            log.warning("Claude Code failed on %s (exit %s): %s", task_id, done.returncode, why)
            return False
        return True


def _report(stdout: bytes) -> dict[str, Any]:
    """The JSON result ``claude -p --output-format json`` prints, or {}."""
    try:
        report = json.loads(stdout.decode(errors="replace").strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {}
    return report if isinstance(report, dict) else {}
