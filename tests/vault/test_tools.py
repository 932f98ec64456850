"""The vault tools through a real MCP client, in both protocol modes."""

from __future__ import annotations

import pytest
from mcp import Client

from servers.vault_mcp.server import build_server
from tests.support.approving import person_answers
from tests.support.tool_calls import error_text, ok

pytestmark = [pytest.mark.anyio, pytest.mark.clock]

SHARED_TOOLS = {
    "vault_status",
    "task_create",
    "task_list",
    "task_get",
    "task_claim",
    "task_release",
    "task_complete",
    "task_fail",
    "approval_request",
    "approval_list",
    "conflicts_resolve",
    "heartbeat",
    "update_post",
    "audit_query",
}
LOCAL_ONLY = {"approval_decide", "dashboard_refresh"}


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_tools_per_role(make_settings, mode: str) -> None:
    async with Client(build_server(make_settings("cloud")), mode=mode) as cloud:  # type: ignore[arg-type]
        names = {t.name for t in (await cloud.list_tools()).tools}
        assert names == SHARED_TOOLS
    async with Client(build_server(make_settings("local")), mode=mode) as local:  # type: ignore[arg-type]
        names = {t.name for t in (await local.list_tools()).tools}
        assert names == SHARED_TOOLS | LOCAL_ONLY


async def test_every_tool_has_a_description_and_output_schema(make_settings) -> None:
    async with Client(build_server(make_settings("local"))) as client:
        for tool in (await client.list_tools()).tools:
            assert tool.description and len(tool.description) > 30, tool.name
            assert tool.output_schema is not None, tool.name
            assert tool.annotations is not None, tool.name


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_full_task_lifecycle(make_settings, clock, mode: str) -> None:
    async with Client(build_server(make_settings("cloud"), clock), mode=mode) as c:  # type: ignore[arg-type]
        made = await ok(
            c,
            "task_create",
            domain="email",
            title="Reply to Alice",
            body="Alice asks about the invoice.",
            source_id="<m1@example.test>",
        )
        assert made["created"] is True
        assert made["path"] == f"Needs_Action/email/{made['id']}.md"
        again = await ok(
            c,
            "task_create",
            domain="email",
            title="Other title",
            body="x",
            source_id="<m1@example.test>",
        )
        assert again["created"] is False and again["id"] == made["id"]

        listed = await ok(c, "task_list", state="needs_action", domain="email")
        assert [t["id"] for t in listed["tasks"]] == [made["id"]]

        claim = await ok(c, "task_claim", task_id=made["id"])
        assert claim["claimed"] is True and claim["holder"] == "cloud-agent"
        assert claim["path"] == f"In_Progress/cloud-agent/{made['id']}.md"

        got = await ok(c, "task_get", task_id=made["id"])
        assert got["task"]["state"] == "in_progress"
        assert got["task"]["meta"]["claimed_by"] == "cloud-agent"

        done = await ok(c, "task_complete", task_id=made["id"], summary="Replied.")
        assert done["task"]["state"] == "done" and done["task"]["path"].startswith("Done/")

        audit = await ok(c, "audit_query", target=made["id"])
        assert [e["action"] for e in audit["events"]] == [
            "task_create",
            "task_claim",
            "task_complete",
        ]


async def test_claim_of_held_task_tells_the_holder(make_settings, clock) -> None:
    async with (
        Client(build_server(make_settings("cloud"), clock)) as cloud,
        Client(build_server(make_settings("local"), clock)) as local,
    ):
        made = await ok(cloud, "task_create", domain="email", title="T", body="b")
        assert (await ok(cloud, "task_claim", task_id=made["id"]))["claimed"]
        lost = await ok(local, "task_claim", task_id=made["id"])
        assert lost["claimed"] is False and lost["holder"] == "cloud-agent"
        mine = await ok(cloud, "task_claim", task_id=made["id"])
        assert mine["claimed"] is True and mine["already_yours"] is True


async def test_stale_claim_is_taken_over_and_fresh_one_is_not(make_settings, clock) -> None:
    async with (
        Client(build_server(make_settings("cloud"), clock)) as cloud,
        Client(build_server(make_settings("local"), clock)) as local,
    ):
        made = await ok(cloud, "task_create", domain="email", title="T", body="b")
        await ok(cloud, "task_claim", task_id=made["id"])
        clock.advance(minutes=10)
        await ok(cloud, "heartbeat")  # renews the lease to 10 + 15 minutes
        clock.advance(minutes=14)
        assert (await ok(local, "task_claim", task_id=made["id"]))["claimed"] is False
        status = await ok(local, "vault_status")
        assert status["stale_claims"] == []

        clock.advance(minutes=2)
        status = await ok(local, "vault_status")
        assert [s["task_id"] for s in status["stale_claims"]] == [made["id"]]
        took = await ok(local, "task_claim", task_id=made["id"])
        assert took["claimed"] is True and took["taken_over_from"] == "cloud-agent"
        audit = await ok(local, "audit_query", action="task_takeover")
        assert audit["events"][0]["target"] == made["id"]


async def test_task_awaiting_approval_is_never_stale(make_settings, clock) -> None:
    async with (
        Client(build_server(make_settings("cloud"), clock)) as cloud,
        Client(build_server(make_settings("local"), clock)) as local,
    ):
        made = await ok(cloud, "task_create", domain="email", title="T", body="b")
        await ok(cloud, "task_claim", task_id=made["id"])
        await ok(
            cloud,
            "approval_request",
            task_id=made["id"],
            action="send_email",
            params={"to": "a@example.test"},
            summary="Send it",
        )
        clock.advance(hours=5)
        assert (await ok(local, "task_claim", task_id=made["id"]))["claimed"] is False


async def test_release_and_fail(make_settings, clock) -> None:
    async with Client(build_server(make_settings("cloud"), clock)) as c:
        made = await ok(c, "task_create", domain="accounting", title="Bill", body="b")
        await ok(c, "task_claim", task_id=made["id"])
        released = await ok(c, "task_release", task_id=made["id"], note="not mine")
        assert released["task"]["path"] == f"Needs_Action/accounting/{made['id']}.md"
        for attempt in (1, 2):
            await ok(c, "task_claim", task_id=made["id"])
            failed = await ok(c, "task_fail", task_id=made["id"], reason="Odoo down")
            assert failed["task"]["state"] == "needs_action"
            assert failed["task"]["meta"]["attempts"] == attempt
        await ok(c, "task_claim", task_id=made["id"])
        failed = await ok(c, "task_fail", task_id=made["id"], reason="Odoo down")
        assert failed["task"]["state"] == "failed"


async def test_approval_flow_and_decide(make_settings, clock) -> None:
    shown: list[str] = []
    async with (
        Client(build_server(make_settings("cloud"), clock)) as cloud,
        Client(
            build_server(make_settings("local"), clock),
            elicitation_callback=person_answers("approve", shown=shown),
        ) as local,
    ):
        made = await ok(cloud, "task_create", domain="email", title="T", body="b")
        await ok(cloud, "task_claim", task_id=made["id"])
        req = await ok(
            cloud,
            "approval_request",
            task_id=made["id"],
            action="send_email",
            params={"to": "a@example.test", "body": "Hi"},
            summary="Reply to A",
            editable=["body"],
        )
        assert req["approval"]["path"] == f"Pending_Approval/email/{req['id']}.md"
        same = await ok(
            cloud,
            "approval_request",
            task_id=made["id"],
            action="send_email",
            params={"to": "a@example.test", "body": "Hi"},
            summary="Reply to A",
            editable=["body"],
        )
        assert same["id"] == req["id"] and same["created"] is False
        pending = await ok(local, "approval_list", state="pending")
        assert [a["id"] for a in pending["approvals"]] == [req["id"]]
        decided = await ok(local, "approval_decide", approval_id=req["id"], decision="approve")
        assert decided["approval"]["state"] == "approved"
        assert decided["approval"]["path"] == f"Approved/{req['id']}.md"
        assert decided["approval"]["decided_via"] == "elicitation"
        assert len(shown) == 1 and "a@example.test" in shown[0]
        text = await error_text(local, "approval_decide", approval_id=req["id"], decision="reject")
        assert "already approved" in text


async def test_dashboard_merges_updates(make_settings, vault_path, clock) -> None:
    async with (
        Client(build_server(make_settings("cloud"), clock)) as cloud,
        Client(build_server(make_settings("local"), clock)) as local,
    ):
        await ok(cloud, "heartbeat", note="watching inbox")
        await ok(cloud, "update_post", title="Drafted reply to Alice", body="Needs approval.")
        made = await ok(cloud, "task_create", domain="email", title="T", body="b")
        await ok(cloud, "task_claim", task_id=made["id"])
        req = await ok(
            cloud,
            "approval_request",
            task_id=made["id"],
            action="send_email",
            params={"to": "a@example.test"},
            summary="Reply to Alice",
        )
        result = await ok(local, "dashboard_refresh")
        assert result["merged_updates"] == 1
        text = (vault_path / "Dashboard.md").read_text()
        assert "Drafted reply to Alice" in text
        assert f"[[{req['id']}]]" in text
        assert "cloud-agent" in text and "watching inbox" in text
        assert list((vault_path / "Updates").glob("*.md")) == []
        assert len(list((vault_path / "Updates" / "Archive").glob("*.md"))) == 1
        resource = await local.read_resource("vault://dashboard")
        assert "Drafted reply to Alice" in resource.contents[0].text  # type: ignore[union-attr]


async def test_task_resource(make_settings) -> None:
    async with Client(build_server(make_settings("cloud"))) as c:
        made = await ok(c, "task_create", domain="general", title="Read me", body="body text")
        res = await c.read_resource(f"vault://task/{made['id']}")
        assert "body text" in res.contents[0].text  # type: ignore[union-attr]
