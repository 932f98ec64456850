"""``ai-employee cloud`` and ``ai-employee local``: settings, MCP sessions to the servers
this machine has settings for, the health file, and the shared loop."""

from __future__ import annotations

import logging
import os
from datetime import timedelta

import anyio
from dotenv import dotenv_values

from orchestrator.claude_code import ClaudeCode, session_scopes
from orchestrator.cloud_agent import CloudAgent
from orchestrator.drafting import Drafter
from orchestrator.health import Health
from orchestrator.local_agent import LocalAgent
from orchestrator.loop import run_loop
from orchestrator.mcp_processes import HttpServers
from orchestrator.toolbox import ToolBox
from shared.ledger import ExecutionLedger
from shared.serving import setup_logging
from shared.settings import (
    CoreSettings,
    ImapSettings,
    Role,
    load,
    mail_address,
    mail_auth,
)
from shared.sync_rules import missing_rules

__all__ = ["run_agent", "servers_configured"]

log = logging.getLogger("ai-employee")
LEDGER_KEPT = timedelta(days=30)  # approvals expire after hours: far beyond any re-run


def servers_configured(environ: dict[str, str] | None = None) -> tuple[str, ...]:
    """The vault always; email and Odoo when this machine has their settings (in the
    environment or in ``.env``, which the servers read too)."""
    if environ is None:
        dotenv = {k: v or "" for k, v in dotenv_values(".env").items()}
        environ = dotenv | dict(os.environ)
    env = environ
    servers = ["vault"]
    if env.get("AIE_IMAP_HOST"):
        servers.append("email")
    if env.get("AIE_ODOO_URL"):
        servers.append("odoo")
    return tuple(servers)


def run_agent(role: Role, interval_s: float, max_passes: int | None = None) -> int:
    program = f"ai-employee {role}"
    core = load(CoreSettings, program)
    if core.role != role:
        print(f"{program}: AIE_ROLE is {core.role}; this command needs AIE_ROLE={role}", flush=True)
        return 2
    if role == "local" and (missing := missing_rules(core.vault)):
        # a decision must be a person's on this machine: Approved/ never comes from the sync
        print(
            f"{program}: the vault's ignore files do not keep decisions on this machine "
            f"({'; '.join(missing)}); run: AIE_ROLE=local ai-employee vault init {core.vault}",
            flush=True,
        )
        return 2
    servers = servers_configured()
    # a mail setting the email server would refuse stops the agent here, with the same one
    # clear line and exit code 2 (which PM2 does not restart), not later as a server that
    # died. (An Odoo server that cannot start only costs the accounting tasks: each is
    # released saying why, and the mail goes on.)
    if "email" in servers:
        imap = load(ImapSettings, program)
        mail_address(imap, program)
        mail_auth(program, imap)
    setup_logging()
    # one state directory for the agent, its servers and its Claude Code sessions' servers
    os.environ["AIE_STATE_DIR"] = str(core.state_path)
    if role == "local":  # state that grows per request: finished executions a month old
        pruned = ExecutionLedger(core.state_path).prune(LEDGER_KEPT)
        if pruned:
            log.info("forgot %d finished executions older than %s", pruned, LEDGER_KEPT)
    health = Health(core.agent, core.role, core.state_path / f"health-{core.agent}.json")
    drafter = Drafter(
        claude=ClaudeCode.from_environment(core.state_path / "claude-code", core.vault)
    )
    agent: CloudAgent | LocalAgent
    if role == "cloud":
        agent = CloudAgent(core.agent, drafter)
    else:
        agent = LocalAgent(takeover_after_s=core.lease_minutes * 60, drafter=drafter)
    # wake at once when a person moves an approval, or a sync brings new work
    watched = ("Needs_Action",) if role == "cloud" else ("Pending_Approval", "Approved", "Rejected")
    wake_on = tuple(core.vault / name for name in watched)
    log.info("%s starting with servers %s", core.agent, ", ".join(servers))

    async def main() -> None:
        # the cloud reads the inbox on every pass: the toolbox waits for those servers; the
        # others start now too, in the background, so that neither the first pass that needs
        # one nor a Claude Code session reaching it waits for it to load the MCP SDK
        eager = ("vault", "email") if role == "cloud" else ("vault",)
        processes = HttpServers({}, session_scopes())
        try:
            for server in servers:
                await processes.url(server)
            async with ToolBox(servers, {}, eager, http=processes) as tools:
                await run_loop(tools, health, agent.one_pass, interval_s, max_passes, wake_on)
        finally:
            with anyio.CancelScope(shield=True):
                await processes.aclose()

    try:
        anyio.run(main)
    except Exception as error:  # a server that could not start: its own stderr said why
        health.error(f"could not run: {error!r}")
        health.write("failed")
        log.error("stopped: %r", error)
        return 1
    return 0
