"""The real PM2 for the deployment tests: a daemon of the test's own (``PM2_HOME`` in the
test's folder), killed when the test ends."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.node_tools import node_tool


@pytest.fixture
def pm2(tmp_path: Path) -> Iterator[Any]:
    """``pm2(*args, env=...)`` runs the PM2 CLI and returns its stdout; ``pm2.apps()`` is
    ``pm2 jlist`` by app name. The settings come only from ``env`` (no ``AIE_*`` of ours)."""
    binary = node_tool("pm2")
    home = tmp_path / "pm2-home"
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("AIE_")} | {
        "PM2_HOME": str(home)
    }

    def run(*args: str, env: dict[str, str] | None = None) -> str:
        done = subprocess.run(
            [str(binary), *args],
            env=base_env | (env or {}),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def apps() -> dict[str, dict[str, Any]]:
        return {app["name"]: app for app in json.loads(run("jlist"))}

    run.apps = apps  # type: ignore[attr-defined]
    try:
        yield run
    finally:
        subprocess.run([str(binary), "kill"], env=base_env, capture_output=True, timeout=60)
