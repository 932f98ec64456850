"""Claude Code (the pinned CLI of .tools/) and PM2 (the real one, running the cloud's
ecosystem): a CLI that is not there, a CLI not logged in, skills the sessions would not
find, the setting in .env only; an app of PM2's stopped, and PM2 not running."""

from __future__ import annotations

import json
import os
import pwd
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from devstack.stack import wait_until
from orchestrator.claude_code import PROJECT
from tests.support.doctor import doctor, failing, passing
from tests.support.doctor_stack import DoctorStack, all_online
from tests.support.node_tools import BIN

pytestmark = pytest.mark.xdist_group("doctor")  # one dev stack (and one PM2) per run

CLI, LOGIN, SKILLS, PM2 = "Claude Code CLI", "Claude Code login", "Claude Code skills", "PM2 apps"

needs_claude = pytest.mark.skipif(
    not (BIN / "claude").exists(), reason="NOT RUN: the Claude Code CLI is not in .tools/"
)


@needs_claude
def test_a_claude_cli_that_is_not_there(doctor_stack: DoctorStack, tmp_path: Path) -> None:
    env = doctor_stack.env("local") | {"AIE_CLAUDE_COMMAND": str(tmp_path / "bin" / "claude")}
    run = doctor(env)
    failing(run, CLI, fix="npm install -g @anthropic-ai/claude-code", detail="does not run")
    assert {run.check(n)["status"] for n in (LOGIN, SKILLS)} == {"skip"}


@needs_claude
def test_claude_code_not_logged_in(doctor_stack: DoctorStack, tmp_path: Path) -> None:
    env = doctor_stack.env("local") | {"HOME": str(tmp_path)}  # nobody ever logged in here
    del env["ANTHROPIC_API_KEY"]
    me = pwd.getpwuid(os.geteuid()).pw_name
    run = doctor(env)
    failing(
        run,
        LOGIN,
        fix="/login, or set ANTHROPIC_API_KEY in the agents' environment",
        detail=f"not logged in (as {me}, configuration in {tmp_path}",
    )
    passing(run, CLI, SKILLS)


@needs_claude
def test_skills_the_sessions_would_not_find(doctor_stack: DoctorStack, tmp_path: Path) -> None:
    """The agents link their sessions' workspace to the installed skills once; a checkout
    moved or an older copy left behind leaves the link pointing at what lacks them."""
    old = tmp_path / "old-checkout" / ".claude"
    shutil.copytree(
        PROJECT / ".claude" / "skills" / "email-triage", old / "skills" / "email-triage"
    )
    state = tmp_path / "state"
    (state / "claude-code").mkdir(parents=True)
    link = state / "claude-code" / ".claude"
    link.symlink_to(old, target_is_directory=True)
    env = doctor_stack.env("local") | {"AIE_STATE_DIR": str(state)}
    run = doctor(env)
    failing(
        run,
        SKILLS,
        fix=f"rm -r {link}",
        detail="lack odoo-accounting/SKILL.md, approval-execution/SKILL.md",
    )
    link.unlink()  # the fix
    passing(doctor(env), SKILLS)


@needs_claude
def test_claude_code_set_in_dotenv_only(doctor_stack: DoctorStack, tmp_path: Path) -> None:
    """The agents read AIE_CLAUDE_CODE from their environment, not from .env."""
    (tmp_path / ".env").write_text("AIE_CLAUDE_CODE=1\n")
    run = doctor(doctor_stack.env("local", claude=False), cwd=tmp_path)
    check = run.check(CLI)
    assert check["status"] == "warn", check
    assert "in the agents' environment" in check["fix"]


def test_an_app_of_pm2_stopped(doctor_stack: DoctorStack, pm2_cloud: Callable[..., str]) -> None:
    pm2_cloud("stop", "aie-inbox-watcher")
    try:
        run = doctor(doctor_stack.env("cloud", claude=False))
    finally:
        pm2_cloud("restart", "aie-inbox-watcher")
        wait_until(lambda: all_online(pm2_cloud), timeout=60)
    failing(
        run,
        PM2,
        fix="pm2 logs aie-inbox-watcher --lines 50 says why; then pm2 restart aie-inbox-watcher",
        detail="aie-inbox-watcher is stopped",
    )
    passing(doctor(doctor_stack.env("cloud", claude=False)), PM2)


def test_an_app_stopped_by_a_configuration_error(
    doctor_stack: DoctorStack, pm2_cloud: Callable[..., str]
) -> None:
    """The watcher exits 2 on a setting that is wrong, and PM2 leaves it down
    (stop_exit_codes): the doctor says so, and that its log names the setting."""
    good = doctor_stack.agents_env()
    watcher = "aie-inbox-watcher"
    pm2_cloud("restart", watcher, "--update-env", env=good | {"AIE_IMAP_PORT": "not-a-port"})

    def exited() -> bool:
        apps = {app["name"]: app["pm2_env"] for app in json.loads(pm2_cloud("jlist"))}
        return bool(apps[watcher].get("exit_code") == 2 and apps[watcher]["status"] != "online")

    try:
        wait_until(exited, timeout=30)
        run = doctor(doctor_stack.env("cloud", claude=False))
    finally:
        pm2_cloud("restart", watcher, "--update-env", env=good)
        wait_until(lambda: all_online(pm2_cloud), timeout=60)
    failing(
        run,
        PM2,
        fix=f"pm2 logs {watcher} --lines 20 names the setting; set it in the VM's .env",
        detail=f"{watcher} stopped on a configuration error (exit code 2)",
    )
    passing(doctor(doctor_stack.env("cloud", claude=False)), PM2)


def test_pm2_not_running(doctor_stack: DoctorStack, tmp_path: Path) -> None:
    run = doctor(doctor_stack.env("cloud", claude=False) | {"PM2_HOME": str(tmp_path)})
    check = run.check(PM2)
    assert check["status"] == "fail", check
    assert "pm2 start deployment/cloud/ecosystem.config.js && pm2 save" in check["fix"]
    assert f"PM2 is not running (no daemon in {tmp_path})" in check["detail"]
    assert not (tmp_path / "rpc.sock").exists()  # asking did not start one
    assert doctor(doctor_stack.env("local", claude=False)).check(PM2)["status"] == "skip"
