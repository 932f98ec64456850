"""The package as a user installs it: a wheel built from this checkout, installed in a fresh
venv outside it, runs ``ai-employee demo`` to the end, and ships no test code."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from devstack.find_uv import find_uv
from devstack.syncpair import require_syncthing
from tests.support.mail_fixtures import ensure_dovecot
from tests.support.node_tools import ROOT

pytestmark = pytest.mark.clock


def _uv() -> str:
    found = find_uv()
    assert found is not None, "uv is missing: scripts/bootstrap.sh installs it"
    return str(found)


def _run(argv: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env = {k: v for k, v in env.items() if not k.startswith("AIE_")}
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{argv[:3]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.mark.slow
def test_the_built_wheel_runs_the_demo_from_a_fresh_venv(tmp_path: Path) -> None:
    ensure_dovecot()
    require_syncthing()
    uv = _uv()
    dist, venv, outside = tmp_path / "dist", tmp_path / "venv", tmp_path / "elsewhere"
    outside.mkdir()

    _run([uv, "build", "--wheel", "--out-dir", str(dist), str(ROOT)], ROOT, 300)
    (wheel,) = dist.glob("ai_employee-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names if "/" in name and ".dist-info" not in name}
    assert tops == {"servers", "shared", "orchestrator", "devstack"}, tops
    assert "orchestrator/claude_project/.mcp.json" in names
    assert any(n.startswith("orchestrator/claude_project/.claude/skills/") for n in names)

    # The locked versions, so that the venv holds what the checkout was tested with.
    requirements = tmp_path / "requirements.txt"
    _run(
        [uv, "export", "--frozen", "--no-dev", "--extra", "demo", "--no-emit-project",
         "--no-hashes", "-q", "-o", str(requirements)],
        ROOT, 120,
    )  # fmt: skip
    _run([uv, "venv", "-q", "--python", sys.executable, str(venv)], outside, 120)
    python = venv / "bin" / "python"
    _run(
        [uv, "pip", "install", "-q", "--python", str(python), "-r", str(requirements),
         f"{wheel}[demo]"],
        outside, 600,
    )  # fmt: skip
    where = _run(
        [str(python), "-c", "import devstack, servers; print(devstack.__file__, servers.__file__)"],
        outside,
        60,
    ).stdout
    assert str(ROOT) not in where and str(venv) in where, where
    no_tests = subprocess.run(
        [str(python), "-c", "import tests.support"], cwd=outside, capture_output=True, timeout=60
    )
    assert no_tests.returncode != 0, "the installed package can import the test suite"

    demo = _run([str(venv / "bin" / "ai-employee"), "demo", "--workdir", "run"], outside, 600)
    out = " ".join(demo.stdout.split())
    assert "replies in Alice's inbox: 1 (exactly once)" in out, out[-3000:]
    assert "duplicates left: none" in out, out[-3000:]
    done = {p.name.split("-")[0] for p in (outside / "run" / "local" / "Vault" / "Done").iterdir()}
    assert {"email", "accounting", "appr"} <= done, done
