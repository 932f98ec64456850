"""PM2, on the cloud: the apps of ``deployment/cloud/ecosystem.config.js`` are online.

PM2 is asked (``pm2 jlist``) only when its daemon already runs: asking a stopped PM2
starts one, which is no business of a check. What ``jlist`` prints includes every app's
environment, secrets too: only names, states and restart counts are read from it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from orchestrator.doctor.checks import Check, Probe, fail, ok, skip
from orchestrator.doctor.setup import Setup

__all__ = ["APPS", "probes"]

AREA = "pm2"
NAME = "PM2 apps"
APPS = ("aie-inbox-watcher", "aie-cloud-agent")  # the names in ecosystem.config.js
CONFIGURATION_ERROR = 2  # their exit code on a setting missing or wrong (stop_exit_codes)
CHECKOUT_PM2 = Path(__file__).resolve().parents[2] / ".tools" / "node_modules" / ".bin" / "pm2"
_START = "pm2 start deployment/cloud/ecosystem.config.js && pm2 save (and pm2 startup, once)"


def probes(setup: Setup, timeout_s: float) -> list[Probe]:
    return [Probe(AREA, (NAME,), lambda: [check_pm2(setup, timeout_s)])]


def _pm2_home(env: dict[str, str]) -> Path:
    if env.get("PM2_HOME"):
        return Path(env["PM2_HOME"]).expanduser()
    return Path(env.get("HOME") or Path.home()) / ".pm2"


def _binary() -> str | None:
    return shutil.which("pm2") or (str(CHECKOUT_PM2) if CHECKOUT_PM2.is_file() else None)


def check_pm2(setup: Setup, timeout_s: float) -> Check:
    if setup.role != "cloud":
        return skip(AREA, NAME, "the laptop's agent is not run by PM2")
    binary = _binary()
    if binary is None:
        return fail(AREA, NAME, "pm2 is not installed", f"npm install -g pm2, then {_START}")
    home = _pm2_home(dict(os.environ))
    if not (home / "rpc.sock").exists():
        return fail(AREA, NAME, f"PM2 is not running (no daemon in {home})", _START)
    try:
        done = subprocess.run(
            [binary, "jlist"],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            env=dict(os.environ, PM2_HOME=str(home)),
            stdin=subprocess.DEVNULL,
            check=False,
        )
        listed: Any = json.loads(done.stdout)
    except (OSError, subprocess.TimeoutExpired, ValueError) as error:
        return fail(AREA, NAME, f"pm2 jlist did not answer ({type(error).__name__})", _START)
    apps = (
        {str(app.get("name")): app for app in listed if isinstance(app, dict)}
        if isinstance(listed, list)
        else {}
    )
    missing = [name for name in APPS if name not in apps]
    states = {name: apps[name].get("pm2_env") or {} for name in APPS if name in apps}
    down = {name: state for name, state in states.items() if state.get("status") != "online"}
    if missing or down:
        problems = [_down(name, state) for name, state in down.items()]
        problems += [f"{name} is not in PM2" for name in missing]
        first = next(iter(down), None)
        if first is None:
            fix = _START
        elif down[first].get("exit_code") == CONFIGURATION_ERROR:
            fix = (
                f"pm2 logs {first} --lines 20 names the setting; set it in the VM's .env, "
                f"then pm2 restart {first} --update-env"
            )
        else:
            fix = f"pm2 logs {first} --lines 50 says why; then pm2 restart {first}"
        return fail(AREA, NAME, "; ".join(problems), fix)
    restarts = {name: int(state.get("restart_time") or 0) for name, state in states.items()}
    shown = ", ".join(f"{n} online ({r} restarts)" for n, r in restarts.items())
    return ok(AREA, NAME, shown)


def _down(name: str, state: dict[str, Any]) -> str:
    if state.get("exit_code") == CONFIGURATION_ERROR:  # stop_exit_codes: PM2 leaves it down
        return f"{name} stopped on a configuration error (exit code 2)"
    return f"{name} is {state.get('status', '?')}"
