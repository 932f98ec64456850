"""``approval_decide``: the person decides in a form; the model that called it decides nothing.

The tool sends the laptop's own rendering of the request to the person's client as a form
(MCP elicitation: the SDK's ``Resolve``/``Elicit``, which speaks both the 2026-07-28
``input_required`` round trip and the older ``elicitation/create``), and records what the
person chose, bound to the rendering they saw. A client that cannot show a form gets an
error naming the other ways to decide. It is registered only on the laptop, and never for
a server started ``--unattended`` (an agent's session, where no person would see a form).

This module does not use ``from __future__ import annotations``: the SDK reads the
parameters' ``Resolve(...)`` markers from the annotations, and those name closures over
the service, which a string annotation could not reach.
"""

from typing import Annotated, Any, Literal

from mcp.server import MCPServer
from mcp.server.elicitation import AcceptedElicitation, ElicitationResult
from mcp.server.mcpserver import Context, Elicit, Resolve
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field

from servers.vault_mcp.models import ApprovalResult
from servers.vault_mcp.service import VaultService
from shared.approvals import Shown
from shared.ids import ApprovalId
from shared.serving import tool

__all__ = ["DecisionForm", "register_approval_decide"]

OTHER_WAYS = (
    "on the laptop, run `ai-employee approve {id}` (or `ai-employee reject {id} --reason ...`) "
    "in a terminal, or move the file to Approved/ or Rejected/ in Obsidian"
)


class DecisionForm(BaseModel):
    """What the person answers in the form."""

    decision: Literal["approve", "reject"] = Field(
        description="approve: it executes exactly as shown; reject: it never does"
    )
    reason: str = Field(default="", max_length=500, description="Why (optional), kept with it")


def form_message(request: Shown, proposed: str) -> str:
    warning = (
        "WARNING: the file's own text differs from this rendering; it can only be rejected.\n\n"
        if request.altered
        else ""
    )
    return (
        f"{warning}The agent proposes: {proposed}. You decide; this is what would execute "
        f"(rendered by the laptop from the request's parameters):\n\n{request.text}"
    )


def register_approval_decide(
    mcp: MCPServer[Any], service: VaultService, annotations: ToolAnnotations
) -> None:
    def shown_request(approval_id: ApprovalId) -> Shown:
        return service.shown(approval_id)

    def ask_the_person(
        ctx: Context,
        request: Annotated[Shown, Resolve(shown_request)],
        approval_id: ApprovalId,
        decision: Literal["approve", "reject"],
    ) -> Elicit[DecisionForm]:
        capabilities = ctx.client_capabilities
        elicitation = capabilities.elicitation if capabilities is not None else None
        if elicitation is None or (elicitation.form is None and elicitation.url is not None):
            raise ToolError(
                "approval_decide asks the person through a form (MCP elicitation), and this "
                "client cannot show one; nothing was recorded. To decide, "
                + OTHER_WAYS.format(id=approval_id)
            )
        return Elicit(form_message(request, decision), DecisionForm)

    async def approval_decide(
        approval_id: ApprovalId,
        decision: Annotated[
            Literal["approve", "reject"],
            Field(description="What you propose; the person decides in the form"),
        ],
        request: Annotated[Shown, Resolve(shown_request)],
        answer: Annotated[ElicitationResult[DecisionForm], Resolve(ask_the_person)],
    ) -> ApprovalResult:
        """Ask the person (local machine only) to approve or reject a pending request: it
        shows them the laptop's rendering of it in a form and records only their answer,
        whatever was proposed. An expired request cannot be decided. Use it when the owner
        asks to decide in this session."""
        if not isinstance(answer, AcceptedElicitation):
            raise ToolError(
                f"the person did not answer the form ({answer.action}); nothing was recorded. "
                "They can also " + OTHER_WAYS.format(id=approval_id)
            )
        form = answer.data
        return service.decide(
            approval_id, form.decision == "approve", form.reason, request.digest, "elicitation"
        )

    tool(mcp, annotations, title="Ask the person to decide")(approval_decide)
