"""Scoped tokens: a client that sends one sees and calls only the tools of its scope.

An agent starts its servers once and hands each Claude Code session a token of its own:
the session's server list shows the tools of the session's skill and nothing else, and a
call to any other tool is answered as for a tool that does not exist. The agent's own
token (``AIE_MCP_TOKEN``) keeps every tool the server offers.

The scopes come from the agent in ``AIE_MCP_SCOPES``: a JSON object from token to the
tool names it may use, e.g. ``{"<token>": ["task_get", "task_claim"]}``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from mcp import MCPError
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.types import INVALID_PARAMS, CallToolResult, TextContent

__all__ = ["SCOPES_ENV", "ScopesError", "ToolScopes", "bearer_token", "parse_scopes"]

SCOPES_ENV = "AIE_MCP_SCOPES"
_HIDDEN_LISTS = {
    "resources/list": "resources",
    "resources/templates/list": "resource_templates",
    "prompts/list": "prompts",
}
_REFUSED = ("resources/read", "prompts/get")


class ScopesError(ValueError):
    pass


def parse_scopes(text: str) -> dict[str, frozenset[str]]:
    """``AIE_MCP_SCOPES`` as token -> tool names, or :class:`ScopesError` naming the fault."""
    if not text.strip():
        return {}
    try:
        raw = json.loads(text)
    except ValueError as error:
        raise ScopesError(f"is not JSON ({error})") from None
    if not isinstance(raw, dict) or not all(
        isinstance(token, str)
        and isinstance(tools, list)
        and all(isinstance(t, str) for t in tools)
        for token, tools in raw.items()
    ):
        raise ScopesError('must be a JSON object {"<token>": ["tool", ...]}')
    return {token: frozenset(tools) for token, tools in raw.items()}


def bearer_token(headers: Mapping[str, str] | None) -> str:
    value = (headers or {}).get("authorization", "")
    return value[len("Bearer ") :] if value.startswith("Bearer ") else ""


class ToolScopes:
    """Server middleware: filters ``tools/list`` and refuses ``tools/call`` outside the
    scope of the request's token; a scoped client sees no resources or prompts."""

    def __init__(self, scopes: Mapping[str, frozenset[str]]) -> None:
        self.scopes = dict(scopes)

    def _scope(self, ctx: ServerRequestContext[Any, Any]) -> frozenset[str] | None:
        request = ctx.request
        headers = getattr(request, "headers", None)
        return self.scopes.get(bearer_token(headers)) if headers is not None else None

    async def __call__(
        self, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        allowed = self._scope(ctx)
        if allowed is None:
            return await call_next(ctx)
        if ctx.method == "tools/call":
            name = str((ctx.params or {}).get("name", ""))
            if name not in allowed:
                return CallToolResult(
                    content=[TextContent(type="text", text=f"Unknown tool: {name}")],
                    is_error=True,
                )
        if ctx.method in _REFUSED:
            raise MCPError(code=INVALID_PARAMS, message="not offered to this session")
        if ctx.method in _HIDDEN_LISTS:
            result = await call_next(ctx)
            return _filtered(result, _HIDDEN_LISTS[ctx.method], frozenset())
        if ctx.method == "tools/list":
            return _filtered(await call_next(ctx), "tools", allowed)
        return await call_next(ctx)


def _filtered(result: HandlerResult, key: str, allowed: frozenset[str]) -> HandlerResult:
    if result is None:
        return None
    if isinstance(result, dict):
        items = result.get(key) or []
        kept = [item for item in items if isinstance(item, dict) and item.get("name") in allowed]
        return {**result, key: kept}
    items = getattr(result, key, None) or []
    return result.model_copy(
        update={key: [i for i in items if getattr(i, "name", None) in allowed]}
    )
