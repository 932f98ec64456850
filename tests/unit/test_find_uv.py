"""devstack/find_uv.py, run the way scripts/bootstrap.sh runs it (``python3 -I``, before any
virtual environment): the uv that ``pip install --user uv`` put in ``~/.local/bin`` is found
with PATH not looking there, and the real uv it names runs."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.node_tools import ROOT

SCRIPT = ROOT / "devstack" / "find_uv.py"


def _find(home: Path) -> subprocess.CompletedProcess[str]:
    python3 = shutil.which("python3")
    assert python3 is not None
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}
    return subprocess.run(
        [python3, "-I", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=30
    )


def test_the_uv_in_home_local_bin_is_found_without_path(tmp_path: Path) -> None:
    # the real uv, found here without the code under test
    where = os.pathsep.join([os.environ.get("PATH", ""), str(Path.home() / ".local" / "bin")])
    real = shutil.which("uv", path=where)
    if real is None:
        pytest.skip("NOT RUN: uv is not installed; run scripts/bootstrap.sh")
    if shutil.which("uv", path="/usr/bin:/bin") is not None:
        pytest.skip("NOT RUN: uv is in /usr/bin or /bin, so PATH alone finds it")
    home = tmp_path / "home"
    (home / ".local" / "bin").mkdir(parents=True)
    (home / ".local" / "bin" / "uv").symlink_to(Path(real).resolve())

    found = _find(home)
    assert found.returncode == 0, found.stderr
    assert found.stdout.strip() == str(home / ".local" / "bin" / "uv")
    version = subprocess.run([found.stdout.strip(), "--version"], capture_output=True, text=True)
    assert version.stdout.startswith("uv "), version


def test_an_empty_home_finds_no_uv_there(tmp_path: Path) -> None:
    """Positive control: the same run with nothing in ``~/.local/bin`` does not find it
    there (it may find a uv pip installed beside python3 itself, never one in this home)."""
    home = tmp_path / "home"
    (home / ".local" / "bin").mkdir(parents=True)
    (home / ".local" / "bin" / "uv").write_text("not a program\n")  # not executable

    found = _find(home)
    assert str(home) not in found.stdout
    if found.returncode != 0:
        assert f"not on PATH, nor in {home / '.local' / 'bin'}" in found.stderr
