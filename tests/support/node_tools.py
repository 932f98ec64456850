"""Node tools the tests use (MCP Inspector CLI, the reference filesystem server, PM2).

``scripts/bootstrap.sh`` installs them, pinned, into ``.tools/``; a test that needs one and
finds it missing skips with the command that installs it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".tools" / "node_modules" / ".bin"


def node_tool(name: str) -> Path:
    path = BIN / name
    if not path.exists():
        pytest.skip(f"NOT RUN: {name} is not installed in .tools/; run scripts/bootstrap.sh")
    return path
