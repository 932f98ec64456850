"""Claude Code, when the agents hand it their tasks (``AIE_CLAUDE_CODE=1``): the CLI the
agents would run is found and starts, it is logged in or has an API key (``claude auth
status``, which works offline), and the skills and MCP configuration it is given exist.

The agents read these settings from their environment, not from ``.env``: so does this."""

from __future__ import annotations

import json
import os
import pwd
import subprocess
from pathlib import Path

from orchestrator.claude_code import (
    SERVERS,
    SKILL_TOOLS,
    ClaudeCode,
    project_file,
    unsafe_workspace,
)
from orchestrator.doctor.checks import Check, Probe, fail, ok, skipped, warn
from orchestrator.doctor.setup import Setup

__all__ = ["probes"]

AREA = "claude"
CLI, LOGIN, SKILLS = "Claude Code CLI", "Claude Code login", "Claude Code skills"
NAMES = (CLI, LOGIN, SKILLS)
_ON = ("1", "true", "yes")
_INSTALL = (
    "install it (npm install -g @anthropic-ai/claude-code, or scripts/bootstrap.sh in a "
    "checkout), or set AIE_CLAUDE_COMMAND to its path"
)


def probes(setup: Setup, timeout_s: float) -> list[Probe]:
    return [Probe(AREA, NAMES, lambda: check_claude(setup, timeout_s))]


def check_claude(setup: Setup, timeout_s: float) -> list[Check]:
    if os.environ.get("AIE_CLAUDE_CODE", "").lower() not in _ON:
        if setup.env.get("AIE_CLAUDE_CODE", "").lower() in _ON:
            return [
                warn(
                    AREA,
                    CLI,
                    "AIE_CLAUDE_CODE=1 is in .env only: the agents read it from their "
                    "environment, so they use the built-in rules",
                    "set AIE_CLAUDE_CODE (and AIE_CLAUDE_COMMAND, ANTHROPIC_API_KEY) in the "
                    "agents' environment (PM2's or the shell's)",
                ),
                *skipped(AREA, NAMES[1:], "not checked: Claude Code is not used"),
            ]
        return skipped(AREA, NAMES, "AIE_CLAUDE_CODE is not 1: the built-in rules do the work")
    if setup.core is None:
        return skipped(AREA, NAMES, "not checked: the settings did not load")
    workspace = setup.core.state_path / "claude-code"
    unsafe = unsafe_workspace(workspace, setup.core.vault)
    if unsafe:
        return [
            fail(AREA, CLI, f"not used: {unsafe}", "point AIE_STATE_DIR outside any synced folder"),
            *skipped(AREA, NAMES[1:], "not checked: Claude Code is not used"),
        ]
    claude = ClaudeCode.from_environment(workspace, setup.core.vault)
    if claude is None:
        return [
            fail(
                AREA, CLI, "AIE_CLAUDE_CODE=1 but no claude CLI is found (PATH, .tools/)", _INSTALL
            ),
            *skipped(AREA, NAMES[1:], "not checked: no Claude Code CLI"),
        ]
    version = _run([claude.command, "--version"], timeout_s)
    if isinstance(version, str):
        return [
            fail(AREA, CLI, f"{claude.command} does not run: {version}", _INSTALL),
            *skipped(AREA, NAMES[1:], "not checked: the Claude Code CLI does not run"),
        ]
    if version.returncode != 0:
        why = (version.stderr or version.stdout).strip()[-200:]
        return [
            fail(AREA, CLI, f"{claude.command} --version failed: {why}", _INSTALL),
            *skipped(AREA, NAMES[1:], "not checked: the Claude Code CLI does not run"),
        ]
    found = ok(AREA, CLI, f"{claude.command}: {version.stdout.strip()[:60]}")
    return [found, _login(claude.command, timeout_s), _skills(workspace)]


def _run(argv: list[str], timeout_s: float) -> subprocess.CompletedProcess[str] | str:
    env = dict(os.environ, DISABLE_AUTOUPDATER="1", CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1")
    try:
        return subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            env=env,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"{type(error).__name__}: {error}"


def _login(command: str, timeout_s: float) -> Check:
    done = _run([command, "auth", "status", "--json"], timeout_s)
    report: dict[str, object] = {}
    if not isinstance(done, str):
        try:
            loaded = json.loads(done.stdout)
            report = loaded if isinstance(loaded, dict) else {}
        except ValueError:
            report = {}
    if not report:
        if os.environ.get("ANTHROPIC_API_KEY"):
            return ok(AREA, LOGIN, "ANTHROPIC_API_KEY is set (this CLI cannot report more)")
        return warn(
            AREA,
            LOGIN,
            "this CLI cannot say whether it is logged in (claude auth status failed)",
            "run `claude` once as the agents' user and log in, or set ANTHROPIC_API_KEY",
        )
    if not report.get("loggedIn"):
        return fail(
            AREA,
            LOGIN,
            f"Claude Code is not logged in (as {pwd.getpwuid(os.geteuid()).pw_name}, "
            f"configuration in {report.get('configDirectory', '~/.claude')})",
            "run `claude` once as the agents' user and /login, or set ANTHROPIC_API_KEY in "
            "the agents' environment",
        )
    how = str(report.get("authMethod", "?"))
    source = report.get("apiKeySource")
    return ok(AREA, LOGIN, f"logged in ({how}{f', {source}' if source else ''})")


def _skills(workspace: Path) -> Check:
    """The skills as the sessions get them: through the workspace's ``.claude`` link once an
    agent made it (a checkout moved or a wheel reinstalled elsewhere leaves it pointing at
    the old place), else the project's own; and the MCP servers of ``.mcp.json``."""
    link = workspace / ".claude"
    linked = os.path.lexists(link)
    root = link if linked else project_file(".claude")
    missing = [
        f"{name}/SKILL.md"
        for name in SKILL_TOOLS
        if not (root / "skills" / name / "SKILL.md").is_file()
    ]
    mcp = project_file(".mcp.json")
    try:
        servers = json.loads(mcp.read_text("utf-8")).get("mcpServers", {})
    except (OSError, ValueError):
        servers = {}
    absent = [f"{name} in {mcp}" for name in SERVERS if name not in servers]
    if missing and linked:
        target = os.readlink(link) if link.is_symlink() else "a folder of its own"
        return fail(
            AREA,
            SKILLS,
            f"the sessions' skills {link} (-> {target}) lack {', '.join(missing)}",
            f"rm -r {link} (the agents link the installed skills again at their next session)",
        )
    if missing or absent:
        return fail(
            AREA,
            SKILLS,
            f"missing: {', '.join([*(f'{root}/skills/{m}' for m in missing), *absent])}",
            "reinstall ai-employee (the wheel carries .claude/ and .mcp.json), or restore "
            "them in the checkout (git checkout -- .claude .mcp.json)",
        )
    where = f"through {link}" if linked else f"in {root}"
    return ok(
        AREA,
        SKILLS,
        f"{', '.join(SKILL_TOOLS)} {where}; the MCP servers {', '.join(SERVERS)}",
    )
