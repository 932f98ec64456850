from __future__ import annotations

import pytest
from mcp import Client

from servers.vault_mcp.server import build_server
from tests.support.approving import person_answers

pytestmark = pytest.mark.anyio


async def test_create_claim_approve_flow(make_settings, clock) -> None:
    cloud = build_server(make_settings("cloud"), clock)
    local = build_server(make_settings("local"), clock)
    async with (
        Client(cloud) as c,
        Client(local, elicitation_callback=person_answers("approve")) as lc,
    ):
        r = await c.call_tool(
            "task_create",
            {"domain": "email", "title": "Reply to Alice", "body": "hi", "source_id": "<m1@x>"},
        )
        assert not r.is_error, r.content
        tid = r.structured_content["id"]
        r = await c.call_tool("task_claim", {"task_id": tid})
        assert r.structured_content["claimed"] is True
        r = await c.call_tool(
            "approval_request",
            {
                "task_id": tid,
                "action": "send_email",
                "params": {"to": "a@x", "body": "Hello"},
                "summary": "Reply",
                "editable": ["body"],
            },
        )
        assert not r.is_error, r.content
        aid = r.structured_content["id"]
        r = await lc.call_tool("approval_decide", {"approval_id": aid, "decision": "approve"})
        assert not r.is_error, r.content
        r = await lc.call_tool("vault_status", {})
        assert not r.is_error, r.content
        r = await lc.call_tool("dashboard_refresh", {})
        assert not r.is_error, r.content
