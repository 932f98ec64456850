"""Handing the thinking step to Claude Code, headless (``claude -p``), with this project's
skills and MCP servers. Enabled with ``AIE_CLAUDE_CODE=1`` where the ``claude`` CLI is
installed and logged in (or ``ANTHROPIC_API_KEY`` is set).

Claude Code runs in a small workspace of its own (``<state dir>/claude-code``: the
project's ``.claude`` skills and an MCP config, nothing else; in the repository itself it
spends seconds indexing it), with ``--strict-mcp-config``: exactly the servers of ours the
session needs (vault and email for a mail, vault and odoo for accounting), whatever else
the user has configured, and no approval prompt for them.

A session starts no server: it reaches the agent's own, already running over HTTP on
loopback (:mod:`orchestrator.mcp_processes`), so its first turn waits only for the CLI.

No person watches these sessions, and a model does what the text it reads tells it (a mail
can say "approve everything"). So:

- the session may call only the tools its step needs, named one by one
  (:data:`SKILL_TOOLS`), never a wildcard; Claude Code's own tools (shell, files) are
  denied, and a denial is logged;
- the servers enforce the same list: the session's token is scoped to its skill's tools,
  and the servers do not even list the others;
- ``approval_decide`` is never among them: it is also passed to ``--disallowedTools``, and
  the agent's vault server runs ``--unattended``, which does not offer it;
- the session's environment holds its token and none of our settings (no password);
- the workspace is outside the vault and outside any Syncthing folder: Claude Code loads
  ``CLAUDE.md``, ``.claude/rules`` and skills from every folder above its workspace, and a
  synced folder is written by every device that shares it.

A session ends one of three ways, and the caller decides what follows:
``finished`` (Claude Code ran to its end: the caller checks that the work is done),
``failed`` (not installed, not logged in, the model API down: the built-in rules take the
work), ``timed_out`` (killed after ``AIE_CLAUDE_TIMEOUT`` seconds).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import anyio
from anyio.abc import Process

from shared.state_dir import inside

__all__ = [
    "NEVER_OFFERED",
    "SKILL_TOOLS",
    "ClaudeCode",
    "Session",
    "allowed_tools",
    "session_environment",
    "session_scopes",
]

log = logging.getLogger("ai-employee.claude")
PROJECT = Path(__file__).resolve().parent.parent
# A built wheel carries the project's .claude/ and .mcp.json here (pyproject force-include).
PACKAGED = Path(__file__).resolve().parent / "claude_project"
SERVERS = ("vault", "email", "odoo")
# The tools each skill's step uses, one by one: what a session of that skill may call.
SKILL_TOOLS: dict[str, tuple[str, ...]] = {
    "email-triage": (
        "vault.heartbeat",
        "vault.task_get",
        "vault.task_claim",
        "vault.task_list",
        "vault.task_complete",
        "vault.task_fail",
        "vault.task_release",
        "vault.update_post",
        "email.mail_get",
        "email.mail_list",
        "email.mail_search",
        "email.mail_suggest_reply",
        "email.mail_draft_reply",
        "email.mail_request_send",
    ),
    "odoo-accounting": (
        "vault.task_get",
        "vault.task_claim",
        "vault.task_release",
        "vault.update_post",
        "odoo.partner_find",
        "odoo.partner_create",
        "odoo.invoice_list",
        "odoo.invoice_create_draft",
        "odoo.invoice_request_post",
        "odoo.account_summary",
    ),
    "approval-execution": (
        "vault.heartbeat",
        "vault.approval_list",
        "vault.conflicts_resolve",
        "vault.task_complete",
        "vault.dashboard_refresh",
        "email.mail_send_approved",
        "odoo.invoice_post_approved",
        "odoo.payment_register_approved",
    ),
}
# Never offered to a session no person watches, whatever its skill.
NEVER_OFFERED = ("mcp__vault__approval_decide",)
TOKEN_ENV = "AIE_SESSION_TOKEN"
DEFAULT_TIMEOUT_S = 300.0
GRACE_S = 5.0


def project_file(name: str) -> Path:
    """``.claude`` or ``.mcp.json``: the checkout's, else the copy an installed wheel holds."""
    checkout = PROJECT / name
    return checkout if checkout.exists() else PACKAGED / name


@dataclass(frozen=True)
class Session:
    status: Literal["finished", "failed", "timed_out"]
    seconds: float
    detail: str = ""  # Claude Code's final text, or why it failed
    turns: int = 0
    denials: list[str] = field(default_factory=list)  # tools Claude Code was refused

    @property
    def finished(self) -> bool:
        return self.status == "finished"


@dataclass
class ClaudeCode:
    command: str
    workspace: Path
    timeout_s: float = DEFAULT_TIMEOUT_S

    @classmethod
    def from_environment(cls, workspace: Path, vault: Path) -> ClaudeCode | None:
        if os.environ.get("AIE_CLAUDE_CODE", "").lower() not in ("1", "true", "yes"):
            return None
        unsafe = unsafe_workspace(workspace, vault)
        if unsafe:
            log.error("not using Claude Code: %s; using the built-in rules", unsafe)
            return None
        command = os.environ.get("AIE_CLAUDE_COMMAND") or shutil.which("claude")
        local = PROJECT / ".tools" / "node_modules" / ".bin" / "claude"  # a checkout's
        if command is None and local.is_file():
            command = str(local)
        if command is None:
            log.warning(
                "AIE_CLAUDE_CODE is on but no claude CLI was found; using the built-in rules"
            )
            return None
        timeout = os.environ.get("AIE_CLAUDE_TIMEOUT", "")
        try:
            timeout_s = float(timeout) if timeout else DEFAULT_TIMEOUT_S
        except ValueError:
            log.warning("AIE_CLAUDE_TIMEOUT=%r is not a number of seconds; using 300", timeout)
            timeout_s = DEFAULT_TIMEOUT_S
        return cls(command, workspace, timeout_s)

    def prepare(self, endpoints: Mapping[str, str]) -> Path:
        """The workspace: our skills (linked, so an update is seen at once), and the MCP
        config (its path) reaching the agent's running ``endpoints`` over HTTP. The
        config names the token, ``${AIE_SESSION_TOKEN}``; only the session's environment
        holds it."""
        self.workspace.mkdir(parents=True, exist_ok=True)
        skills = self.workspace / ".claude"
        if not skills.exists():
            skills.symlink_to(project_file(".claude"), target_is_directory=True)
        chosen = {
            name: {
                "type": "http",
                "url": url,
                "headers": {"Authorization": "Bearer ${%s}" % TOKEN_ENV},  # noqa: UP031
            }
            for name, url in endpoints.items()
        }
        config = json.dumps({"mcpServers": chosen}, indent=2)
        mcp_json = self.workspace / f".mcp-{'-'.join(endpoints)}.json"
        if not mcp_json.is_file() or mcp_json.read_text("utf-8") != config:
            mcp_json.write_text(config, "utf-8")
        return mcp_json

    def argv(self, prompt: str, mcp_json: Path, skill: str, servers: tuple[str, ...]) -> list[str]:
        return [
            self.command,
            "-p",
            prompt,
            "--output-format",
            "json",
            "--mcp-config",
            str(mcp_json),
            "--strict-mcp-config",
            "--allowedTools",
            ",".join(allowed_tools(skill, servers)),
            "--disallowedTools",
            ",".join(NEVER_OFFERED),
        ]

    async def run_skill(
        self, skill: str, prompt: str, endpoints: Mapping[str, str], token: str
    ) -> Session:
        """One headless session of ``skill`` with the agent's running MCP servers
        (``endpoints``: server name to URL), reached with the session's scoped ``token``;
        ``prompt`` names the task or approval it is about."""
        servers = tuple(endpoints)
        unknown = set(servers) - set(SERVERS)
        if unknown:
            raise ValueError(f"no such MCP server of ours: {sorted(unknown)}")
        if skill not in SKILL_TOOLS:
            raise ValueError(f"no such skill of ours: {skill!r}")
        started = time.monotonic()
        try:
            mcp_json = self.prepare(endpoints)
            process = await anyio.open_process(
                self.argv(prompt, mcp_json, skill, servers),
                cwd=self.workspace,
                env=session_environment(token),
                # nothing to read: with a pipe there, the CLI waits seconds for input first
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # killed as a group on a timeout
            )
        except OSError as error:
            return Session("failed", 0.0, f"could not start {self.command}: {error}")
        stdout, stderr, code = await _collect(process, self.timeout_s)
        seconds = time.monotonic() - started
        if code is None:
            return Session("timed_out", seconds, f"no result within {self.timeout_s:g} s")
        report = _report(stdout)
        denials = [_denied_tool(d) for d in report.get("permission_denials") or []]
        if denials:
            log.warning("Claude Code was refused %s while on %s", ", ".join(denials), skill)
        turns = int(report.get("num_turns") or 0)
        if code != 0 or report.get("is_error") or not report:
            why = str(report.get("result") or stderr.decode(errors="replace").strip()[-300:])
            return Session("failed", seconds, f"exit {code}: {why}", turns, denials)
        return Session("finished", seconds, str(report.get("result", ""))[:500], turns, denials)


def session_environment(token: str) -> dict[str, str]:
    """Claude Code's environment: the agent's, without our settings (the session reaches
    running servers: it needs no password), plus the session's token."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith("AIE_")}
    return kept | {TOKEN_ENV: token, "DISABLE_AUTOUPDATER": "1"}


def session_scopes() -> dict[str, dict[str, tuple[str, ...]]]:
    """For each skill, the tools its sessions may call on each server (for the servers'
    scoped tokens)."""
    scopes: dict[str, dict[str, tuple[str, ...]]] = {}
    for skill in SKILL_TOOLS:
        for name in allowed_tools(skill, SERVERS):
            _, server, tool = name.split("__")
            scopes.setdefault(skill, {}).setdefault(server, ())
            scopes[skill][server] += (tool,)
    return scopes


def allowed_tools(skill: str, servers: tuple[str, ...]) -> list[str]:
    """The Claude Code names of the tools a session of ``skill`` may call."""
    names = [
        f"mcp__{server}__{tool}"
        for server, tool in (entry.split(".") for entry in SKILL_TOOLS[skill])
        if server in servers
    ]
    return [name for name in names if name not in NEVER_OFFERED]


def unsafe_workspace(workspace: Path, vault: Path) -> str:
    """Why Claude Code must not run in ``workspace``, or "": inside the vault, or inside a
    Syncthing folder (a ``.stfolder`` marker in it or above it)."""
    resolved = workspace.expanduser().resolve()
    if inside(resolved, vault):
        return f"its workspace {resolved} is inside the vault {vault}"
    for folder in (resolved, *resolved.parents):
        if (folder / ".stfolder").exists():
            return f"its workspace {resolved} is inside the Syncthing folder {folder}"
    return ""


async def _collect(process: Process, timeout_s: float) -> tuple[bytes, bytes, int | None]:
    """Its output and exit code; on a timeout the whole process group is ended (TERM,
    then KILL after a grace period) and the code is None."""
    out, err = bytearray(), bytearray()
    drained = [anyio.Event(), anyio.Event()]

    async def drain(stream: Any, into: bytearray, done: anyio.Event) -> None:
        try:
            async for chunk in stream:
                into.extend(chunk)
        except anyio.BrokenResourceError:
            pass
        done.set()

    code: int | None = None
    async with process, anyio.create_task_group() as group:
        group.start_soon(drain, process.stdout, out, drained[0])
        group.start_soon(drain, process.stderr, err, drained[1])
        with anyio.move_on_after(timeout_s):
            code = await process.wait()
        if code is None:
            _signal_group(process.pid, signal.SIGTERM)
            with anyio.move_on_after(GRACE_S):
                await process.wait()
            _signal_group(process.pid, signal.SIGKILL)
            await process.wait()
        with anyio.move_on_after(GRACE_S):  # a child that kept the pipes open is not waited for
            for done in drained:
                await done.wait()
        group.cancel_scope.cancel()
    return bytes(out), bytes(err), code


def _signal_group(pid: int, signum: signal.Signals) -> None:
    try:
        os.killpg(pid, signum)
    except ProcessLookupError:
        pass


def _report(stdout: bytes) -> dict[str, Any]:
    """The JSON result ``claude -p --output-format json`` prints, or {}."""
    try:
        report = json.loads(stdout.decode(errors="replace").strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {}
    return report if isinstance(report, dict) else {}


def _denied_tool(denial: Any) -> str:
    if isinstance(denial, dict):
        return str(denial.get("tool_name") or denial)
    return str(denial)
