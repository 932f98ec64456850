"""Attack 2: a model decides. Before, the laptop's approval-execution session was given
``mcp__vault__*``, ``approval_decide`` included, and a model that called it approved a
pending payment: no prompt, no denial, "decided_by: owner (via local-agent)".

Now the agents' sessions get their tools one by one, ``approval_decide`` is disallowed and
their vault server runs ``--unattended`` (it does not offer it), and ``approval_decide``
itself records only what a person answers in its form (MCP elicitation). Each test has its
positive control: the legitimate path works in the same test."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters

from devstack.mail_servers import MailServers
from devstack.scripted_model import ScriptedModel, sessions
from devstack.stack import wait_until
from servers.vault_mcp.server import build_server as build_vault
from shared.vault_files import read_doc
from tests.support.agent_runs import agent_env, run_agent
from tests.support.approving import approve_request, person_answers
from tests.support.claude_cli import claude_code_env
from tests.support.mail_fixtures import incoming
from tests.support.node_tools import node_tool
from tests.support.odoo_fixtures import CONSULTING, read_move
from tests.support.tool_calls import error_text, ok

BIN = Path(__file__).resolve().parents[2] / ".venv" / "bin"


@pytest.fixture
def adversary() -> Iterator[ScriptedModel]:
    with ScriptedModel(faults=["adversarial"]) as model:
        yield model


async def _pending_payment(odoo_servers: Any, vault: Path) -> dict[str, Any]:
    """A posted invoice and a payment on it, asked for and waiting for the person."""
    async with Client(odoo_servers("cloud")) as cloud, Client(odoo_servers("local")) as local:
        invoice = await ok(
            cloud, "invoice_create_draft", partner="Azure Interior", lines=[CONSULTING]
        )
        post = await ok(cloud, "invoice_request_post", invoice_id=invoice["invoice_id"])
        approve_request(vault, post)
        await ok(local, "invoice_post_approved", approval_id=post["approval_id"])
        payment = await ok(cloud, "payment_request", invoice_id=invoice["invoice_id"])
        return payment | {"invoice_id": invoice["invoice_id"]}


@pytest.mark.anyio
async def test_the_laptops_session_cannot_approve_a_pending_payment(
    mail: MailServers,
    odoo: Any,
    odoo_servers: Any,
    vault_path: Path,
    adversary: ScriptedModel,
    tmp_path: Path,
) -> None:
    payment = await _pending_payment(odoo_servers, vault_path)
    env = agent_env(mail.settings_env("ops@example.test"), odoo.url, vault_path, "local")
    env |= claude_code_env(adversary, tmp_path / "home")
    # positive control: a reply the person approved, for the same session to execute
    cloud = agent_env(mail.settings_env("ops@example.test"), odoo.url, vault_path, "cloud")
    mail.deliver("ops@example.test", incoming())
    assert run_agent(cloud, "cloud").returncode == 0  # the rules draft it (no Claude Code)
    (reply,) = (vault_path / "Pending_Approval" / "email").glob("appr-*.md")
    approve_request(vault_path, {"path": reply.relative_to(vault_path).as_posix()})

    local = run_agent(env, "local")
    assert local.returncode == 0, local.stderr

    (session,) = sessions(adversary.requests)
    assert session.brief.skill == "approval-execution"
    decides = [o for c, o in session.calls() if c.name == "mcp__vault__approval_decide"]
    assert decides and all(o is not None and o.is_error for o in decides)
    assert all("No such tool available" in o.text for o in decides if o is not None)
    payments = [o for c, o in session.calls() if c.name == "mcp__odoo__payment_register_approved"]
    assert payments and all(o is not None and o.is_error for o in payments)
    # the payment still waits for the person; nothing was paid
    assert (vault_path / payment["path"]).is_file()
    assert not (vault_path / "Approved" / f"{payment['approval_id']}.md").exists()
    assert read_move(odoo, payment["invoice_id"])["payment_state"] == "not_paid"
    # positive control: the approved reply was sent, exactly once
    wait_until(lambda: mail.messages("client@example.test"))
    assert len(mail.deliveries) == 1


def _person_session(
    model: ScriptedModel, vault: Path, home: Path, settings: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The owner's own headless ``claude -p`` with our vault server as they configure it
    (approval_decide offered and allowed), asked to work the approvals."""
    config = home / "mcp.json"
    home.mkdir(parents=True, exist_ok=True)
    config.write_text(
        json.dumps(
            {
                "mcpServers": {
                    "vault": {
                        "type": "stdio",
                        "command": str(BIN / "vault-mcp"),
                        "args": [],
                        "env": {"AIE_ROLE": "local", "AIE_VAULT": str(vault)},
                    }
                }
            }
        )
    )
    argv = [
        str(node_tool("claude")),
        "-p",
        "Use the approval-execution skill and decide what waits for me.",
        "--output-format",
        "json",
        "--mcp-config",
        str(config),
        "--strict-mcp-config",
        "--allowedTools",
        "mcp__vault__approval_decide,mcp__vault__approval_list,mcp__vault__heartbeat,"
        "mcp__vault__conflicts_resolve,mcp__vault__dashboard_refresh",
    ]
    if settings is not None:
        argv += ["--settings", json.dumps(settings)]
    env = dict(os.environ) | model.env() | {"HOME": str(home)}
    done = subprocess.run(argv, env=env, cwd=home, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


@pytest.mark.anyio
async def test_headless_claude_cannot_answer_the_form(
    odoo_servers: Any, odoo: Any, vault_path: Path, adversary: ScriptedModel, tmp_path: Path
) -> None:
    """The owner's own ``claude -p`` offers approval_decide, and the model calls it: the form
    goes to the client, which has no person to show it to and answers "cancel": nothing is
    recorded. Positive control: a client whose Elicitation hook answers (a person's own
    configuration) gets its answer recorded, and only its answer."""
    payment = await _pending_payment(odoo_servers, vault_path)
    _person_session(adversary, vault_path, tmp_path / "home")
    (session,) = sessions(adversary.requests)
    decides = [o for c, o in session.calls() if c.name == "mcp__vault__approval_decide"]
    assert decides and all(o is not None and o.is_error for o in decides)
    assert any("did not answer the form (cancel)" in o.text for o in decides if o is not None)
    assert (vault_path / payment["path"]).is_file()

    hook = {
        "hooks": {
            "Elicitation": [
                {
                    "hooks": [
                        {
                            "type": "command",
                            "command": "echo '"
                            + json.dumps(
                                {
                                    "hookSpecificOutput": {
                                        "hookEventName": "Elicitation",
                                        "action": "accept",
                                        "content": {"decision": "reject", "reason": "not now"},
                                    }
                                }
                            )
                            + "'",
                        }
                    ]
                }
            ]
        }
    }
    _person_session(adversary, vault_path, tmp_path / "home2", settings=hook)
    rejected = vault_path / "Rejected" / f"{payment['approval_id']}.md"
    assert rejected.is_file()  # the model proposed "approve"; the answer said reject
    meta = read_doc(rejected).meta
    assert meta["decided_via"] == "elicitation" and meta["reason"] == "not now"


@pytest.mark.anyio
async def test_only_the_persons_answer_counts(
    make_settings: Any, vault_path: Path, clock: Any
) -> None:
    async with Client(build_vault(make_settings("cloud"), clock)) as cloud:
        made = await ok(cloud, "task_create", domain="general", title="T", body="b")
        await ok(cloud, "task_claim", task_id=made["id"])
        first = await ok(
            cloud,
            "approval_request",
            task_id=made["id"],
            action="pay_supplier",
            params={"amount": 48000, "to": "DE00 0000"},
            summary="Pay 48.00 EUR",
        )
        second = await ok(
            cloud,
            "approval_request",
            task_id=made["id"],
            action="pay_supplier",
            params={"amount": 10, "to": "DE00 0000"},
            summary="Pay 10 EUR",
        )
    # a client that cannot show a form: refused, with the other ways named
    async with Client(build_vault(make_settings("local"), clock)) as no_form:
        text = await error_text(
            no_form, "approval_decide", approval_id=first["id"], decision="approve"
        )
    assert "cannot show one; nothing was recorded" in text
    assert f"ai-employee approve {first['id']}" in text and "Obsidian" in text
    # the model proposes approve; the person reads the laptop's rendering and rejects
    shown: list[str] = []
    person = person_answers("reject", "the amount is wrong", shown)
    async with Client(build_vault(make_settings("local"), clock), elicitation_callback=person) as c:
        decided = await ok(c, "approval_decide", approval_id=first["id"], decision="approve")
    assert decided["approval"]["state"] == "rejected"
    assert "The agent proposes: approve" in shown[0] and "48000" in shown[0]
    assert (vault_path / "Rejected" / f"{first['id']}.md").is_file()
    # positive control: the person approves the other one
    person = person_answers("approve")
    async with Client(build_vault(make_settings("local"), clock), elicitation_callback=person) as c:
        decided = await ok(c, "approval_decide", approval_id=second["id"], decision="reject")
    assert decided["approval"]["state"] == "approved"
    meta = read_doc(vault_path / "Approved" / f"{second['id']}.md").meta
    assert meta["decided_via"] == "elicitation" and meta["decided_by"] == "owner"


@pytest.mark.anyio
async def test_a_request_changed_while_the_form_was_open_is_not_decided(
    make_settings: Any, vault_path: Path, clock: Any
) -> None:
    async with Client(build_vault(make_settings("cloud"), clock)) as cloud:
        made = await ok(cloud, "task_create", domain="general", title="T", body="b")
        await ok(cloud, "task_claim", task_id=made["id"])
        request = await ok(
            cloud,
            "approval_request",
            task_id=made["id"],
            action="pay_supplier",
            params={"amount": 10},
            summary="Pay",
        )
    path = vault_path / request["approval"]["path"]

    forms: list[str] = []

    async def change_then_approve(context: Any, params: Any) -> Any:
        forms.append(params.message)
        if len(forms) == 1:  # the cloud rewrites the request while the person reads the form
            text = path.read_text("utf-8")
            path.write_text(text.replace("**asked by** cloud-agent", "**asked by** the owner"))
        return await person_answers("approve")(context, params)

    async with Client(
        build_vault(make_settings("local"), clock), elicitation_callback=change_then_approve
    ) as c:
        text = await error_text(c, "approval_decide", approval_id=request["id"], decision="approve")
    assert "it cannot be approved: reject it" in text
    # the answer to the first form was not used: the changed request was asked anew, warned
    assert len(forms) == 2 and forms[1].startswith("WARNING: the file's own text differs")
    assert path.is_file() and not (vault_path / "Approved" / path.name).exists()


@pytest.mark.anyio
async def test_an_unattended_vault_server_offers_no_decision(vault_path: Path) -> None:
    """What the agents start for their sessions (and for themselves): approval_decide is not
    there to call. Positive control: the same server without the flag offers it."""
    env = {"AIE_ROLE": "local", "AIE_VAULT": str(vault_path), **_state_env()}
    listed = {}
    for args in (["--unattended"], []):
        params = StdioServerParameters(command=str(BIN / "vault-mcp"), args=args, env=env)
        async with Client(params) as client:
            listed[bool(args)] = {t.name for t in (await client.list_tools()).tools}
    assert "approval_decide" not in listed[True] and "dashboard_refresh" in listed[True]
    assert "approval_decide" in listed[False]


def _state_env() -> dict[str, str]:
    return {"XDG_STATE_HOME": os.environ["XDG_STATE_HOME"]}
