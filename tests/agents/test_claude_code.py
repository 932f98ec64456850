"""The agents hand each task to the real Claude Code CLI (``AIE_CLAUDE_CODE=1``), whose model
is the scripted Messages API on loopback: every tool call below went through Claude Code
to our MCP servers. Outcomes are read from the mailbox and Odoo, not only from logs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import pytest

from devstack.mail_servers import MailServers
from devstack.scripted_model import SEARCHES, ScriptedModel, Session, sessions
from devstack.stack import wait_until
from tests.support.agent_runs import INVOICE_TASK, agent_env, create_task, run_agent
from tests.support.approving import approve_all
from tests.support.claude_cli import claude_code_env, follows_skill_order
from tests.support.mail_fixtures import incoming
from tests.support.odoo_fixtures import count


@pytest.fixture
def model() -> Iterator[ScriptedModel]:
    with ScriptedModel() as scripted:
        yield scripted


def envs(
    mail: MailServers, odoo: object, vault: Path, model: ScriptedModel, home: Path, **extra: str
) -> tuple[dict[str, str], dict[str, str]]:
    mail_env = mail.settings_env("ops@example.test")
    url = odoo.url  # type: ignore[attr-defined]
    claude = claude_code_env(model, home) | extra
    return (
        agent_env(mail_env, url, vault, "cloud") | claude,
        agent_env(mail_env, url, vault, "local") | claude,
    )


def mcp_names(session: Session) -> list[str]:
    return [call.name for call, _ in session.mcp_calls()]


def servers_reached(session: Session) -> set[str]:
    """The MCP servers whose tools the session was offered or found."""
    found = session.offered() | {
        name for call, outcome in session.calls() if call.name == "ToolSearch" and outcome
        for name in outcome.references
    }  # fmt: skip
    return {name.split("__")[1] for name in found if name.startswith("mcp__")}


def assert_followed_its_skill(session: Session) -> None:
    skill = session.brief.skill
    assert skill is not None
    called = mcp_names(session)
    assert follows_skill_order(called, skill), f"{skill}: {called}"
    found = {name for _, refs in session.searches() for name in refs}
    for tool, words in SEARCHES[skill].items():
        if tool in called:  # the tool search found it with the words the skill uses
            assert tool in found, f"searching {words!r} did not find {tool}"
    for call, outcome in session.mcp_calls():
        assert outcome is not None and not outcome.is_error, (call, outcome)


def assert_nothing_refused(*runs: str) -> None:
    for stderr in runs:
        assert "Claude Code was refused" not in stderr  # permission_denials was empty


def replies_to(mail: MailServers, message_id: str) -> list[Message]:
    received = [message_from_bytes(raw) for raw in mail.messages("client@example.test")]
    return [m for m in received if m["In-Reply-To"] == message_id]


def test_us1_a_reply_drafted_and_sent_through_claude_code(
    mail: MailServers, odoo: object, vault_path: Path, model: ScriptedModel, tmp_path: Path
) -> None:
    cloud_env, local_env = envs(mail, odoo, vault_path, model, tmp_path / "home")
    mail.deliver("ops@example.test", incoming())

    cloud = run_agent(cloud_env, "cloud")
    assert cloud.returncode == 0, cloud.stderr
    assert "Claude Code finished email-" in cloud.stderr, cloud.stderr
    assert len(mail.messages("ops@example.test", "Drafts")) == 1
    assert len(list((vault_path / "Pending_Approval" / "email").glob("appr-*.md"))) == 1
    assert mail.deliveries == []

    approve_all(vault_path)
    local = run_agent(local_env, "local")
    assert local.returncode == 0, local.stderr
    assert "Claude Code executed appr-" in local.stderr, local.stderr
    wait_until(lambda: replies_to(mail, "<q1@client.example.test>"))
    assert len(mail.deliveries) == 1
    assert len(replies_to(mail, "<q1@client.example.test>")) == 1  # one threaded reply
    assert mail.messages("ops@example.test", "Drafts") == []
    assert len(list((vault_path / "Done").glob("email-*.md"))) == 1

    again = run_agent(local_env, "local")  # exactly once: nothing is sent again
    assert again.returncode == 0 and len(mail.deliveries) == 1
    assert_nothing_refused(cloud.stderr, local.stderr, again.stderr)

    triage, execution = sessions(model.requests)
    assert triage.brief.skill == "email-triage" and execution.brief.skill == "approval-execution"
    assert mcp_names(triage) == [
        "mcp__vault__heartbeat",
        "mcp__vault__task_get",
        "mcp__email__mail_get",
        "mcp__email__mail_suggest_reply",
        "mcp__email__mail_draft_reply",
        "mcp__email__mail_request_send",
        "mcp__vault__update_post",
    ]
    assert "mcp__email__mail_send_approved" in mcp_names(execution)
    for session in (triage, execution):
        assert_followed_its_skill(session)
        assert servers_reached(session) == {"vault", "email"}  # no Odoo for a mail
    # the arguments came from earlier results: the draft the triage session made is the
    # one it asked to send
    calls = {call.name: (call, outcome) for call, outcome in triage.mcp_calls()}
    draft = calls["mcp__email__mail_draft_reply"][1]
    assert draft is not None
    request = calls["mcp__email__mail_request_send"][0]
    assert request.input["draft_id"] == draft.data()["draft_id"]


def test_us2_an_invoice_drafted_and_posted_through_claude_code(
    mail: MailServers, odoo: object, vault_path: Path, model: ScriptedModel, tmp_path: Path
) -> None:
    cloud_env, local_env = envs(mail, odoo, vault_path, model, tmp_path / "home")
    create_task(vault_path, cloud_env, "Invoice Azure for November", INVOICE_TASK)

    cloud = run_agent(cloud_env, "cloud")
    assert cloud.returncode == 0, cloud.stderr
    assert "Claude Code finished accounting-" in cloud.stderr, cloud.stderr
    assert count(odoo, "account.move", [["state", "=", "draft"]]) == 1  # type: ignore[arg-type]
    assert count(odoo, "account.move", [["state", "=", "posted"]]) == 0  # type: ignore[arg-type]

    approve_all(vault_path)
    local = run_agent(local_env, "local", passes=2)
    assert local.returncode == 0, local.stderr
    assert "Claude Code executed appr-" in local.stderr, local.stderr
    posted = [["state", "=", "posted"], ["ref", "=", "PO-2026-11"]]
    assert count(odoo, "account.move", posted) == 1  # type: ignore[arg-type]
    assert count(odoo, "account.move", [["state", "=", "posted"]]) == 1  # type: ignore[arg-type]
    assert_nothing_refused(cloud.stderr, local.stderr)

    drafting, execution = sessions(model.requests)
    assert mcp_names(drafting) == [
        "mcp__vault__task_get",
        "mcp__odoo__partner_find",
        "mcp__odoo__invoice_create_draft",
        "mcp__odoo__invoice_request_post",
        "mcp__vault__update_post",
    ]
    assert "mcp__odoo__invoice_post_approved" in mcp_names(execution)
    for session in (drafting, execution):
        assert_followed_its_skill(session)
        assert servers_reached(session) == {"vault", "odoo"}  # no mailbox for accounting
    found = {c.name: (c, o) for c, o in drafting.mcp_calls()}
    partner = found["mcp__odoo__partner_find"][1]
    assert partner is not None
    best = partner.data()["partners"][0]
    assert found["mcp__odoo__invoice_create_draft"][0].input["partner"] == best["id"]


def test_a_session_that_ends_unfinished_leaves_the_task_to_the_rules(
    mail: MailServers, odoo: object, vault_path: Path, model: ScriptedModel, tmp_path: Path
) -> None:
    model.faults = frozenset({"unfinished"})
    cloud_env, _ = envs(mail, odoo, vault_path, model, tmp_path / "home")
    mail.deliver("ops@example.test", incoming())
    cloud = run_agent(cloud_env, "cloud")
    assert cloud.returncode == 0, cloud.stderr
    assert "without finishing" in cloud.stderr and "the built-in rules take it" in cloud.stderr
    (session,) = sessions(model.requests)
    assert mcp_names(session)[-1] == "mcp__email__mail_draft_reply"  # it stopped half way
    assert len(mail.messages("ops@example.test", "Drafts")) == 1  # the rules' draft replaced it
    assert len(list((vault_path / "Pending_Approval" / "email").glob("appr-*.md"))) == 1


def test_the_model_api_down_leaves_the_task_to_the_rules(
    mail: MailServers, odoo: object, vault_path: Path, model: ScriptedModel, tmp_path: Path
) -> None:
    model.stop()  # nothing answers at its address any more
    cloud_env, _ = envs(mail, odoo, vault_path, model, tmp_path / "home")
    mail.deliver("ops@example.test", incoming())
    cloud = run_agent(cloud_env, "cloud")
    assert cloud.returncode == 0, cloud.stderr
    assert "Claude Code failed on email-" in cloud.stderr, cloud.stderr
    assert "the built-in rules take it" in cloud.stderr
    assert len(mail.messages("ops@example.test", "Drafts")) == 1
    assert len(list((vault_path / "Pending_Approval" / "email").glob("appr-*.md"))) == 1


def test_a_wrong_tool_or_wrong_arguments_come_back_to_the_model(
    mail: MailServers, odoo: object, vault_path: Path, model: ScriptedModel, tmp_path: Path
) -> None:
    model.faults = frozenset({"bad_tool", "bad_args"})
    cloud_env, _ = envs(mail, odoo, vault_path, model, tmp_path / "home")
    mail.deliver("ops@example.test", incoming())
    cloud = run_agent(cloud_env, "cloud")
    assert cloud.returncode == 0, cloud.stderr
    (session,) = sessions(model.requests)
    errors = {c.name: o.text for c, o in session.calls() if o is not None and o.is_error}
    # the error's text reached the model: the unknown tool named, the bad argument named
    assert "No such tool available: mcp__email__mail_fetch" in errors["mcp__email__mail_fetch"]
    assert "uid" in errors["mcp__email__mail_draft_reply"]
    assert "valid integer" in errors["mcp__email__mail_draft_reply"]
    assert "Claude Code finished email-" in cloud.stderr  # and it went on to finish
    assert len(mail.messages("ops@example.test", "Drafts")) == 1  # nothing half done
    assert len(list((vault_path / "Pending_Approval" / "email").glob("appr-*.md"))) == 1


def test_a_session_that_times_out_is_killed_and_the_task_released(
    mail: MailServers, odoo: object, vault_path: Path, model: ScriptedModel, tmp_path: Path
) -> None:
    model.faults = frozenset({"hang"})
    cloud_env, _ = envs(mail, odoo, vault_path, model, tmp_path / "home", AIE_CLAUDE_TIMEOUT="6")
    mail.deliver("ops@example.test", incoming())
    cloud = run_agent(cloud_env, "cloud")
    assert cloud.returncode == 0, cloud.stderr
    assert "Claude Code timed out on email-" in cloud.stderr and "task released" in cloud.stderr
    (task,) = list((vault_path / "Needs_Action" / "email").glob("email-*.md"))
    assert "timed out" in task.read_text()
    assert list((vault_path / "Pending_Approval").rglob("appr-*.md")) == []
    assert not _processes_using(vault_path)  # Claude Code and its MCP servers are gone


def test_the_cloud_cannot_send_through_claude_code(
    mail: MailServers, odoo: object, vault_path: Path, model: ScriptedModel, tmp_path: Path
) -> None:
    model.faults = frozenset({"send_on_cloud"})
    cloud_env, _ = envs(mail, odoo, vault_path, model, tmp_path / "home")
    mail.deliver("ops@example.test", incoming())
    cloud = run_agent(cloud_env, "cloud")
    assert cloud.returncode == 0, cloud.stderr
    (session,) = sessions(model.requests)
    tried = [o for c, o in session.calls() if c.name == "mcp__email__mail_send_approved"]
    assert len(tried) == 1 and tried[0] is not None and tried[0].is_error
    assert "No such tool available" in tried[0].text  # the refusal reached the model
    (shell,) = [o for c, o in session.calls() if c.name == "Bash"]
    assert shell is not None and shell.is_error  # denied: not an allowed tool
    assert "Claude Code was refused Bash" in cloud.stderr  # permission_denials, logged
    assert mail.deliveries == []  # nothing was sent
    assert mail.messages("client@example.test") == []
    assert len(list((vault_path / "Pending_Approval" / "email").glob("appr-*.md"))) == 1
    never = {"mail_send_approved", "invoice_post_approved", "payment_register_approved"}
    offered = session.offered() | {n for _, refs in session.searches() for n in refs}
    assert not {n for n in offered if n.split("__")[-1] in never}


def _processes_using(vault: Path) -> list[int]:
    """Processes whose environment names this vault (the agent's children inherit it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if str(vault).encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found
