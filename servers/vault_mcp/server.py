"""``vault-mcp``: tasks, claims, approvals, conflicts, status and the dashboard as MCP tools.

Tools are thin: pydantic validates the arguments, the service does the work, a pydantic
model comes back. ``approval_decide`` and ``dashboard_refresh`` exist only with
``AIE_ROLE=local``, and the service refuses them on a cloud server too.

``approval_decide`` records only a person's answer: it sends the laptop's rendering of the
request to the person's own client as a form (MCP elicitation) and records what they
chose; the model that called it decides nothing. A server started for an unattended agent
session (``--unattended``) does not offer it at all.
"""

from __future__ import annotations

from typing import Any

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError

from servers.vault_mcp.decide import register_approval_decide
from servers.vault_mcp.models import (
    ApprovalListResult,
    ApprovalResult,
    AuditQueryResult,
    ClaimResult,
    ConflictsResult,
    DashboardResult,
    Heartbeat,
    TaskCreateResult,
    TaskListResult,
    TaskResult,
    UpdateResult,
    VaultStatus,
)
from servers.vault_mcp.params import (
    Action,
    ActionParams,
    AgentFilter,
    ApprovalStateFilter,
    ApprovalSummaryText,
    AuditAction,
    AuditActor,
    AuditLimit,
    AuditOffset,
    AuditTarget,
    Body,
    Domain,
    DomainFilter,
    Editable,
    HeartbeatNote,
    HeartbeatStatus,
    Note,
    Offset,
    Outcome,
    PageLimit,
    Reason,
    Retry,
    Since,
    SourceId,
    StateFilter,
    Summary,
    Title,
    UpdateKind,
)
from servers.vault_mcp.prompts import register_prompts
from servers.vault_mcp.service import VaultService
from shared.clock import Clock, system_clock
from shared.errors import AIEError
from shared.ids import TaskId
from shared.serving import parse_transport, run, setup_logging, tool
from shared.settings import CoreSettings, load
from shared.tool_hints import ToolHints

__all__ = ["build_server", "main"]

HINTS = ToolHints(open_world=False)
READ = HINTS.read
WRITE = HINTS.write
IDEMPOTENT = HINTS.idempotent

INSTRUCTIONS = """The shared vault of the AI Employee: the work queue, approval inbox and audit
record of a cloud agent and a local agent. Start with vault_status or task_list; claim a task
with task_claim before working on it; ask a human with approval_request before anything leaves
the business; finish with task_complete or task_fail."""


def build_server(
    settings: CoreSettings, clock: Clock = system_clock, unattended: bool = False
) -> MCPServer[Any]:
    """The vault server. ``unattended``: for a session no person watches (the agents'
    Claude Code sessions): approval_decide is not offered, nor the prompts a person runs."""
    service = VaultService(settings, clock)
    mcp: MCPServer[Any] = MCPServer("vault", version="0.1.0", instructions=INSTRUCTIONS)

    @tool(mcp, READ, title="Vault status")
    def vault_status() -> VaultStatus:
        """Counts per folder, domain and agent; stale claims; agents' heartbeats and their
        age; pending and expired approvals; unresolved sync conflicts; sync health. Call it
        first to see what needs doing."""
        return service.status_shown()

    @tool(mcp, IDEMPOTENT, title="Create a task", inline=True)
    def task_create(
        domain: Domain, title: Title, body: Body, source_id: SourceId = None
    ) -> TaskCreateResult:
        """Create a task in Needs_Action/<domain>/. With a source_id seen before, returns the
        existing task with created=false instead of a duplicate."""
        return service.create_task(domain, title, body, source_id)

    @tool(mcp, READ, title="List tasks")
    def task_list(
        state: StateFilter = "needs_action",
        domain: DomainFilter = None,
        agent: AgentFilter = None,
        limit: PageLimit = 50,
        offset: Offset = 0,
    ) -> TaskListResult:
        """List tasks in one state, oldest first, one page at a time (next_offset pages on)."""
        return service.list_tasks(state, domain, agent, limit, offset)

    @tool(mcp, READ, title="Read a task", inline=True)
    def task_get(task_id: TaskId) -> TaskResult:
        """Read one task: its state, holder, frontmatter and body."""
        return service.get_task(task_id)

    @tool(mcp, WRITE, title="Claim a task", inline=True)
    def task_claim(task_id: TaskId) -> ClaimResult:
        """Claim a task by moving it into In_Progress/<you>/. claimed=false means someone
        else holds a fresh claim (holder says who): pick another task. A stale claim (its
        holder silent past the lease) is taken over."""
        return service.claim(task_id)

    @tool(mcp, WRITE, title="Give a task back", inline=True)
    def task_release(task_id: TaskId, note: Note = "") -> TaskResult:
        """Give a task you hold back to Needs_Action/ for anyone to claim."""
        return service.release(task_id, note)

    @tool(mcp, WRITE, title="Complete a task", inline=True)
    def task_complete(task_id: TaskId, summary: Summary, outcome: Outcome = "done") -> TaskResult:
        """Move a task you hold (or one awaiting an executed or rejected approval) to Done/,
        with a summary of what was done."""
        return service.complete(task_id, summary, outcome)

    @tool(mcp, WRITE, title="Record a failed task", inline=True)
    def task_fail(task_id: TaskId, reason: Reason, retry: Retry = True) -> TaskResult:
        """Record that a task failed: back to Needs_Action/ for another attempt (up to 3),
        or to Failed/ when retry is false or attempts are used up."""
        return service.fail(task_id, reason, retry)

    @tool(mcp, IDEMPOTENT, title="Ask a person to approve")
    def approval_request(
        task_id: TaskId,
        action: Action,
        params: ActionParams,
        summary: ApprovalSummaryText,
        editable: Editable = [],  # noqa: B006
    ) -> ApprovalResult:
        """Ask a human to approve an action on a task you hold. Writes
        Pending_Approval/<domain>/<id>.md; a person approves by moving it to Approved/.
        Asking again for the same thing returns the same approval."""
        return service.request_approval(task_id, action, params, summary, tuple(editable))

    @tool(mcp, READ, title="List approval requests")
    def approval_list(
        state: ApprovalStateFilter = None, limit: PageLimit = 100, offset: Offset = 0
    ) -> ApprovalListResult:
        """List approval requests (pending, approved, rejected; executed or conflict on
        request), oldest first, one page at a time (next_offset pages on), each with
        what it does as this machine renders it and whether it has expired."""
        return service.list_approvals(state, limit, offset)

    @tool(mcp, WRITE, title="Resolve sync conflicts")
    def conflicts_resolve() -> ConflictsResult:
        """After a sync: find tasks in several places and sync-conflict copies, keep one
        winner by a rule every replica applies alike, move the rest (and approvals their
        holders wrote) to Conflicts/ with a report. Safe to call any time."""
        return service.resolve_conflicts()

    @tool(mcp, IDEMPOTENT, title="Say you are alive", inline=True)
    def heartbeat(status: HeartbeatStatus = "ok", note: HeartbeatNote = "") -> Heartbeat:
        """Say you are alive (Signals/<agent>.md). Claims stay fresh while you beat."""
        return service.heartbeat(status, note)

    @tool(mcp, WRITE, title="Leave a note for the Dashboard")
    def update_post(title: Title, body: Body, kind: UpdateKind = "note") -> UpdateResult:
        """Leave a note for the local agent in Updates/; it is merged into Dashboard.md."""
        return service.post_update(title, body, kind)

    def dashboard_refresh() -> DashboardResult:
        """Rewrite Dashboard.md (local machine only, its single writer) from the vault's
        status and the Updates/ notes, and archive the merged notes."""
        return service.refresh_dashboard()

    @tool(mcp, READ, title="Read the audit log")
    def audit_query(
        since: Since = None,
        action: AuditAction = None,
        target: AuditTarget = None,
        actor: AuditActor = None,
        limit: AuditLimit = 100,
        offset: AuditOffset = 0,
    ) -> AuditQueryResult:
        """Read the audit log of every agent: the newest `limit` matching events, oldest
        first; next_offset reaches further back. An event too long to show whole comes
        with its identity fields only and truncated=true."""
        return service.audit_query(since, action, target, actor, limit, offset)

    if settings.role == "local":
        if not unattended:
            register_approval_decide(mcp, service, HINTS.irreversible)
            register_prompts(mcp, clock, settings.agent)
        tool(mcp, IDEMPOTENT, title="Refresh the Dashboard")(dashboard_refresh)

    @mcp.resource(
        "vault://dashboard", name="dashboard", title="Dashboard", mime_type="text/markdown"
    )
    def dashboard_resource() -> str:
        """Dashboard.md as the local agent last wrote it."""
        return service.dashboard_markdown()

    @mcp.resource(
        "vault://task/{task_id}", name="task", title="A task's file", mime_type="text/markdown"
    )
    def task_resource(task_id: str) -> str:
        """One task's markdown file."""
        try:
            return service.task_markdown(task_id)
        except (ValueError, AIEError) as error:
            raise ResourceNotFoundError(str(error)) from None

    return mcp


def main() -> None:
    args = parse_transport("vault-mcp", unattended_flag=True)
    settings = load(CoreSettings, "vault-mcp")
    setup_logging()
    run(build_server(settings, unattended=args.unattended), args)
