"""``ai-employee sync config``: the Syncthing plan from the settings, or one clear line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.device_ids import CLOUD, LOCAL

BIN = Path(sys.executable).parent


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AIE_", "SYNCTHING_"))}
    return subprocess.run(
        [str(BIN / "ai-employee"), "sync", "config", *args],
        env=base | env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_prints_the_plan_as_a_script(vault_path: Path, tmp_path: Path) -> None:
    done = run(
        tmp_path,
        "local",
        "--script",
        AIE_VAULT=str(vault_path),
        SYNCTHING_CLOUD_DEVICE_ID=CLOUD,
        SYNCTHING_LOCAL_DEVICE_ID=LOCAL,
        SYNCTHING_CLOUD_ADDRESS="tcp://vm.example.com:22000",
    )
    assert done.returncode == 0, done.stderr
    assert (
        "curl" in done.stdout
        and CLOUD in done.stdout
        and "tcp://vm.example.com:22000" in done.stdout
    )


def test_a_bad_device_id_is_one_clear_line(vault_path: Path, tmp_path: Path) -> None:
    done = run(
        tmp_path,
        "cloud",
        AIE_VAULT=str(vault_path),
        SYNCTHING_CLOUD_DEVICE_ID=CLOUD,
        SYNCTHING_LOCAL_DEVICE_ID=LOCAL[:-1] + "A",
    )
    assert done.returncode == 2
    assert (
        "SYNCTHING_LOCAL_DEVICE_ID" in done.stdout and "Traceback" not in done.stdout + done.stderr
    )
