"""The owner's prompts (Claude Code's slash commands) through a real MCP client: offered
only where a person watches, each naming tools that exist, with its arguments applied."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from mcp import Client, MCPError

from servers.odoo_mcp.server import build_server as odoo_server
from servers.vault_mcp.server import build_server
from shared.clock import to_iso
from shared.settings import CoreSettings, OdooSettings
from tests.support.clock import FakeClock

pytestmark = pytest.mark.anyio

NO_ODOO = OdooSettings(url="http://127.0.0.1:9", db="acme", user="ops", password="x")


async def prompt_text(client: Client, name: str, **arguments: str) -> str:
    got = await client.get_prompt(name, arguments)
    (message,) = got.messages
    assert message.role == "user"
    text: str = message.content.text  # type: ignore[union-attr]
    return text


async def tool_names(*servers: Any) -> set[str]:
    names: set[str] = set()
    for server in servers:
        async with Client(server) as client:
            names |= {t.name for t in (await client.list_tools()).tools}
    return names


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_the_prompts_a_person_runs(
    make_settings: Callable[..., CoreSettings], clock: FakeClock, mode: str
) -> None:
    local = make_settings("local")
    async with Client(build_server(local, clock), mode=mode) as client:  # type: ignore[arg-type]
        prompts = {p.name: p for p in (await client.list_prompts()).prompts}
        assert set(prompts) == {"review_pending", "morning_briefing"}
        assert prompts["review_pending"].title == "Review what waits for me"
        assert prompts["morning_briefing"].title == "Morning briefing"
        review = await prompt_text(client, "review_pending")
        only_mail = await prompt_text(client, "review_pending", domain="email")
        briefing = await prompt_text(client, "morning_briefing", hours="8")
        default = await prompt_text(client, "morning_briefing")
        with pytest.raises(MCPError):
            await client.get_prompt("morning_briefing", {"hours": "0"})
        with pytest.raises(MCPError):
            await client.get_prompt("review_pending", {"domain": "weather"})
    assert "approval_list" in review and "approval_decide" in review
    assert "in the email domain" in only_mail and "in the email domain" not in review
    assert f'since "{to_iso(clock() - timedelta(hours=8))}"' in briefing
    assert f'since "{to_iso(clock() - timedelta(hours=16))}"' in default
    assert "not local-agent" in briefing  # the other agents' work, not this machine's
    # every tool a prompt tells the model to call exists, on the vault or the odoo server
    named = set(re.findall(r"`([a-z_]+)`", review + briefing)) - {"review_pending"}
    assert named >= {"approval_list", "approval_decide", "vault_status", "account_summary"}
    assert named <= await tool_names(build_server(local, clock), odoo_server(local, NO_ODOO))


async def test_no_prompt_where_nobody_watches(
    make_settings: Callable[..., CoreSettings], clock: FakeClock
) -> None:
    for server in (
        build_server(make_settings("cloud"), clock),
        build_server(make_settings("local"), clock, unattended=True),
    ):
        async with Client(server) as client:
            assert (await client.list_prompts()).prompts == []
