"""deployment/cloud/setup.sh in dry-run: every step of the VM bootstrap is planned, in
order, and no secret is ever written by it (the .env is copied from .env.example)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.support.node_tools import ROOT

SCRIPT = ROOT / "deployment" / "cloud" / "setup.sh"


def dry_run(tmp_path: Path, **env: str) -> str:
    done = subprocess.run(
        ["bash", str(SCRIPT)],
        env=dict(os.environ, DRY_RUN="1", AIE_HOME=str(tmp_path / "opt"), **env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_plans_every_step_in_order(tmp_path: Path) -> None:
    out = dry_run(tmp_path)
    steps = [
        line.split("==> ", 1)[1].rstrip("\x1b[0m") for line in out.splitlines() if "==> " in line
    ]
    names = [s.split(":")[0].split(" ")[0] for s in steps]
    assert names[:3] == ["packages", "service", "code"]
    for expected in ("uv", "PM2", "the", "settings", "Syncthing", "done"):
        assert expected in names
    assert "uv sync --frozen --no-dev" in out
    assert "pm2 startOrReload deployment/cloud/ecosystem.config.js" in out
    assert "ai-employee vault init" in out
    assert "syncthing@aie.service" in out
    assert "Set SYNCTHING_CLOUD_DEVICE_ID" in out  # no device ids yet: told, not guessed


def test_copies_the_example_settings_and_writes_no_secret(tmp_path: Path) -> None:
    out = dry_run(tmp_path)
    assert "install -m 600" in out and ".env.example" in out
    for secret_word in ("PASSWORD=", "API_KEY", "apikey"):
        assert secret_word not in out
