"""A Claude Code session reaches its agent's running servers with a token of its own, scoped
to its skill: the servers list it only that skill's tools, refuse any other as unknown, and
show it no resource or prompt. The agent's own token keeps every tool (the positive
control), and a token the servers do not know gets nothing.

With a wrong token the real CLI drops the server and still exits 0: a session is judged by
what its tools did, never by its exit code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest

from devstack.scripted_model import ScriptedModel, sessions
from orchestrator.claude_code import ClaudeCode, Session
from orchestrator.vault_init import init_vault
from tests.support.claude_cli import claude_code_env
from tests.support.http_servers import agent_servers, connected
from tests.support.node_tools import node_tool
from tests.support.tool_calls import error_text, ok

ACCOUNTING = {"task_get", "task_claim", "task_release", "update_post"}


@pytest.mark.anyio
async def test_a_session_token_reaches_only_its_skills_tools(tmp_path: Path) -> None:
    vault = tmp_path / "Vault"
    init_vault(vault)
    async with agent_servers(vault, "cloud") as servers:
        url = await servers.url("vault")
        async with connected(url, servers.scope_token("odoo-accounting")) as session:
            assert {t.name for t in (await session.list_tools()).tools} == ACCOUNTING
            refused = await error_text(
                session, "task_create", domain="email", title="planted", body="x"
            )
            assert "Unknown tool: task_create" in refused
            assert (await session.list_resources()).resources == []
            assert (await session.list_prompts()).prompts == []
            with pytest.raises(Exception, match="not offered"):
                await session.read_resource("vault://dashboard")
        assert not any((vault / "Needs_Action" / "email").glob("*.md"))

        # the positive control: the agent's own token, on the same server, has every tool
        async with connected(url, servers.token) as agent:
            every = {t.name for t in (await agent.list_tools()).tools}
            assert ACCOUNTING < every and "task_create" in every
            await ok(agent, "task_create", domain="email", title="real", body="x")
        assert len(list((vault / "Needs_Action" / "email").glob("*.md"))) == 1


@pytest.mark.anyio
async def test_a_token_the_servers_do_not_know_gets_nothing(tmp_path: Path) -> None:
    vault = tmp_path / "Vault"
    init_vault(vault)
    async with agent_servers(vault, "cloud") as servers:
        url = await servers.url("vault")
        body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
        async with httpx2.AsyncClient(trust_env=False) as http:
            for headers in ({}, {"Authorization": "Bearer " + "x" * 43}):
                answer = await http.post(url, json=body, headers=headers)
                assert answer.status_code == 401
            # positive control: a session's token is let in
            scoped = {"Authorization": f"Bearer {servers.scope_token('email-triage')}"}
            answer = await http.post(
                url,
                json=body,
                headers=scoped | {"Accept": "application/json, text/event-stream"},
            )
            assert answer.status_code != 401


def _one_session(model: ScriptedModel, tmp_path: Path, vault: Path, token: str | None) -> Session:
    """A real CLI session of approval-execution against the running vault server, with the
    right token or ``token`` instead."""
    skill = "approval-execution"
    claude = ClaudeCode(str(node_tool("claude")), tmp_path / "workspace", timeout_s=90)

    async def run() -> Session:
        async with agent_servers(vault, "cloud") as servers:
            endpoints = {"vault": await servers.url("vault")}
            return await claude.run_skill(
                skill,
                "Use the approval-execution skill: execute what a person approved.",
                endpoints,
                token or servers.scope_token(skill),
            )

    return anyio.run(run)


def test_a_session_with_a_wrong_token_exits_0_having_reached_nothing(
    tmp_path: Path, monkeypatch: Any
) -> None:
    vault = tmp_path / "Vault"
    init_vault(vault)
    with ScriptedModel() as model:
        for name, value in claude_code_env(model, tmp_path / "home").items():
            monkeypatch.setenv(name, value)
        wrong = _one_session(model, tmp_path, vault, "y" * 43)
        assert wrong.finished  # Claude Code says it finished...
        (recorded,) = sessions(model.requests)
        results = [outcome for _, outcome in recorded.mcp_calls() if outcome is not None]
        assert not any(name.startswith("mcp__vault__") for name in recorded.offered())
        assert all(outcome.is_error for outcome in results)  # ...but no tool answered it

        # positive control: the session's own token, the same skill and model
        right = _one_session(model, tmp_path, vault, None)
        assert right.finished
        second = sessions(model.requests)[-1]
        called = [c.name for c, outcome in second.mcp_calls() if outcome and not outcome.is_error]
        assert "mcp__vault__approval_list" in called, json.dumps(called)
