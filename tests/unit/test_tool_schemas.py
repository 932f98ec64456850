"""The tools as a model sees them, walked from a live ``tools/list`` of every server in both
roles: a title and a description on every tool, a description on every parameter, closed
objects, closed sets as enums, ids with their pattern, limits with a maximum; an argument a
tool does not take refused by name; and every result at its maximum limits under the size
budget of ``shared.budget``, on real data big enough to exceed it without paging (a real
vault, Dovecot, the Odoo stand-in), through a real MCP client session."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import pytest
from mcp import Client
from mcp.server import MCPServer
from mcp.types import Tool, ToolAnnotations
from pydantic import Field

from devstack.mail_servers import MailServers
from devstack.odoo_standin import StandinThread
from servers.email_mcp.server import build_server as email_server
from servers.odoo_mcp.server import build_server as odoo_server
from servers.vault_mcp.server import build_server as vault_server
from shared.budget import TEXT_BUDGET, compact
from shared.serving import tool as register_tool
from shared.settings import CoreSettings, ImapSettings, OdooSettings, SmtpSettings
from shared.vault import Vault
from tests.support.mail_fixtures import imap_settings, incoming
from tests.support.odoo_fixtures import odoo_settings, raw_odoo
from tests.support.tool_calls import error_text, ok

pytestmark = pytest.mark.anyio

# Nothing listens on port 9: listing tools and refusing arguments must not need the mailbox
# or Odoo (a refused call never reaches them).
DEAD_IMAP = ImapSettings(host="127.0.0.1", port=9, user="ops@example.test", password="x",
                         security="none", timeout_s=2)  # fmt: skip
DEAD_SMTP = SmtpSettings(host="127.0.0.1", port=9, user="ops@example.test", password="x",
                         security="none", timeout_s=2)  # fmt: skip
DEAD_ODOO = OdooSettings(url="http://127.0.0.1:9", db="acme", user="ops", password="x",
                         timeout_s=2)  # fmt: skip
ROLES = ("cloud", "local")
SERVERS = ("vault", "email", "odoo")

# Deliberate exceptions, each with its reason:
# the parameters a person approves: any JSON object, rendered to them as it is
OPEN_MAPS = {("approval_request", ".params")}
# ids made elsewhere, in no fixed form: a mail's Message-ID, the source of a task
FREE_FORM_IDS = {"message_id", "source_id"}
# a regular expression that only lists words, e.g. ^(draft|posted|cancel)$: an enum's job
CLOSED_SET = re.compile(r"\^?\(?(?:\?:)?[\w ]+(?:\|[\w ]+)+\)?\$?")
# every tool that pages or caps a list: each is filled past the budget below
LIST_TOOLS = {"task_list", "approval_list", "audit_query", "mail_list", "mail_search",
              "invoice_list", "partner_find"}  # fmt: skip


def build(server: str, role: str, vault: Path) -> MCPServer[Any]:
    core = CoreSettings(role=role, vault=vault)  # type: ignore[arg-type]
    if server == "vault":
        return vault_server(core)
    if server == "email":
        return email_server(core, DEAD_IMAP, DEAD_SMTP if role == "local" else None)
    return odoo_server(core, DEAD_ODOO)


@asynccontextmanager
async def every_server(vault: Path) -> AsyncIterator[dict[tuple[str, str], Client]]:
    async with AsyncExitStack() as stack:
        yield {
            (server, role): await stack.enter_async_context(
                Client(build(server, role, vault), mode="legacy")
            )
            for server in SERVERS
            for role in ROLES
        }


def schema_problems(tool: Tool) -> list[str]:
    """What a model would find wrong in one tool's listing, one line each."""
    problems = [] if tool.title else [f"{tool.name}: no title"]
    if not tool.description or len(tool.description) < 30:
        problems.append(f"{tool.name}: no description a model can act on")
    schema = tool.input_schema
    walked: set[str] = set()

    def walk_object(obj: dict[str, Any], where: str) -> None:
        if obj.get("additionalProperties") is not False and (tool.name, where) not in OPEN_MAPS:
            problems.append(f"{tool.name}{where or ' (arguments)'}: open object")
        for prop, spec in obj.get("properties", {}).items():
            if not spec.get("description"):
                problems.append(f"{tool.name}{where}.{prop}: no description")
            walk_value(spec, f"{where}.{prop}", prop)

    def walk_value(spec: dict[str, Any], where: str, prop: str) -> None:
        for variant in spec.get("anyOf", [spec]):
            if "anyOf" in variant:
                walk_value(variant, where, prop)
            ref = variant.get("$ref", "")
            if ref and ref not in walked:
                walked.add(ref)
                walk_object(schema["$defs"][ref.rsplit("/", 1)[-1]], where)
            if variant.get("type") == "object":
                walk_object(variant, where)
            if variant.get("type") == "array":
                walk_value(variant.get("items", {}), f"{where}[]", prop)
            pattern = variant.get("pattern", "")
            if pattern and CLOSED_SET.fullmatch(pattern):
                problems.append(f"{tool.name}{where}: a closed set as a pattern ({pattern})")
            is_id = prop.endswith("_id") and prop not in FREE_FORM_IDS
            if is_id and variant.get("type") == "string" and not pattern:
                problems.append(f"{tool.name}{where}: an id without its pattern")
            if prop in ("limit", "batch") and "maximum" not in variant:
                problems.append(f"{tool.name}{where}: a limit without a maximum")

    walk_object(schema, "")
    return problems


async def test_the_walk_finds_what_a_model_would_miss() -> None:
    """The checker's own control: a tool registered the SDK's plain way shows each fault;
    the same tool through shared.serving.tool is a closed object (its _tighten works)."""

    def sloppy(
        state: Annotated[str, Field(pattern="^(draft|posted|cancel)$")],
        task_id: str,
        limit: int = 10,
        extra: dict[str, Any] | None = None,
    ) -> str:
        """Does nothing at all, for the schema checker's own test only."""
        return state

    plain: MCPServer[Any] = MCPServer("plain")
    plain.add_tool(sloppy)
    tightened: MCPServer[Any] = MCPServer("tight")
    register_tool(tightened, ToolAnnotations(), title="Sloppy")(sloppy)
    async with Client(plain) as a, Client(tightened) as b:
        (listed,) = (await a.list_tools()).tools
        (tight,) = (await b.list_tools()).tools
    assert sorted(schema_problems(listed)) == sorted(
        [
            "sloppy: no title",
            "sloppy (arguments): open object",
            "sloppy.state: no description",
            "sloppy.state: a closed set as a pattern (^(draft|posted|cancel)$)",
            "sloppy.task_id: no description",
            "sloppy.task_id: an id without its pattern",
            "sloppy.limit: no description",
            "sloppy.limit: a limit without a maximum",
            "sloppy.extra: no description",
            "sloppy.extra: open object",
        ]
    )
    assert "sloppy (arguments): open object" not in schema_problems(tight)
    assert tight.input_schema["additionalProperties"] is False


async def test_every_tool_is_shaped_for_a_model(vault_path: Path) -> None:
    problems: list[str] = []
    listed: dict[str, Tool] = {}
    async with every_server(vault_path) as clients:
        for (server, role), client in clients.items():
            tools = (await client.list_tools()).tools
            assert tools, f"{server}/{role} lists no tool"
            for tool in tools:
                listed[tool.name] = tool
                problems += [f"{server}/{role}: {p}" for p in schema_problems(tool)]
    assert problems == []
    paging = {name for name, t in listed.items() if "limit" in t.input_schema["properties"]}
    assert paging == LIST_TOOLS, "a list tool without its size test below, or one gone"
    parameters = sum(len(t.input_schema["properties"]) for t in listed.values())
    assert len(listed) >= 34 and parameters >= 100  # what the walk covered


async def test_resources_and_prompts_are_named_for_people(vault_path: Path) -> None:
    problems: list[str] = []
    async with every_server(vault_path) as clients:
        for (server, role), client in clients.items():
            resources = (await client.list_resources()).resources
            templates = (await client.list_resource_templates()).resource_templates
            for entry in [*resources, *templates]:
                where = f"{server}/{role} resource {entry.name}"
                if not entry.title or not entry.description:
                    problems.append(f"{where}: no title or description")
                if entry.name.endswith(("_resource", "_template")) or not entry.name.islower():
                    problems.append(f"{where}: named after a function")
            for prompt in (await client.list_prompts()).prompts:
                where = f"{server}/{role} prompt {prompt.name}"
                if not prompt.title or not prompt.description:
                    problems.append(f"{where}: no title or description")
                problems += [
                    f"{where}: argument {a.name} undescribed"
                    for a in prompt.arguments or []
                    if not a.description
                ]
        titles = {r.title for r in (await clients["vault", "local"].list_resources()).resources}
    assert problems == []
    assert "Dashboard" in titles


async def test_an_unknown_argument_is_refused_by_name(vault_path: Path) -> None:
    refused: dict[str, str] = {}
    async with every_server(vault_path) as clients:
        for (server, role), client in clients.items():
            for tool in (await client.list_tools()).tools:
                result = await client.call_tool(tool.name, {"zz_bogus": 1})
                text = result.content[0].text  # type: ignore[union-attr]
                if not (result.is_error and "unknown argument 'zz_bogus'" in text):
                    refused[f"{server}/{role} {tool.name}"] = text[:200]
    assert refused == {}


async def test_a_misspelt_argument_is_refused_and_the_right_one_works(
    make_settings: Callable[..., CoreSettings],
) -> None:
    async with Client(vault_server(make_settings("cloud"))) as client:
        made = await ok(client, "task_create", domain="email", title="T", body="b")
        got = await ok(client, "task_get", task_id=made["id"])  # the positive control
        assert got["task"]["id"] == made["id"]
        assert (await ok(client, "task_list", limit=5))["total"] == 1
        text = await error_text(client, "task_list", limt=5)
        assert "unknown argument 'limt'" in text
        assert "this tool takes state, domain, agent, limit, offset" in text
        text = await error_text(client, "task_get", task_id=made["id"], bogus=1, also=2)
        assert "unknown arguments 'bogus', 'also'" in text


async def page_through(client: Client, tool: str, key: str, **args: Any) -> list[Any]:
    """Every item, a page at the tool's maximum limit at a time, each reply checked
    against the budget; and a check that the data is big enough to matter."""
    (listed,) = [t for t in (await client.list_tools()).tools if t.name == tool]
    maximum = listed.input_schema["properties"]["limit"]["maximum"]
    items: list[Any] = []
    offset: int | None = 0
    while offset is not None:
        result = await client.call_tool(tool, {**args, "limit": maximum, "offset": offset})
        assert not result.is_error, result.content[0].text  # type: ignore[union-attr]
        (block,) = result.content
        assert len(block.text) <= TEXT_BUDGET, f"{tool} at offset {offset}: {len(block.text)}"  # type: ignore[union-attr]
        data = result.structured_content or {}
        assert data[key], f"{tool}: an empty page at offset {offset}"
        items += data[key]
        nxt = data["next_offset"]
        assert nxt is None or nxt > offset
        offset = nxt
    assert len(compact(items[:maximum])) > TEXT_BUDGET, f"{tool}: too little data to test"
    return items


LONG = "the October invoice, the delivery to the warehouse and the credit note " * 3


async def test_vault_results_stay_under_the_budget(
    make_settings: Callable[..., CoreSettings], vault_path: Path
) -> None:
    settings = make_settings("cloud")
    store = Vault(settings)
    for n in range(260):
        task, _ = store.tasks.create("email", f"Reply {n:03d} about {LONG}"[:200], "b" * 300)
        if n < 200:
            store.claims.claim(task.id)
            params = {"to": [f"client{n}@example.test"], "subject": LONG, "body": LONG * 5}
            store.request_approval(task.id, "send_email", params, f"Send {n}: {LONG}"[:200])
    huge = "A line of a very long task body, in Markdown.\n" * 20_000  # 940,000 characters
    big, _ = store.tasks.create("general", "A long one", huge)
    stream = vault_path / "Needs_Action" / "email"
    for n in range(2_000):  # a flood of sync-conflict copies, as a broken peer leaves them
        (stream / f"email-{n:012x}.sync-conflict-20261201-120000-ABCDEFG.md").write_text("x")
    async with Client(vault_server(settings)) as client:
        tasks = await page_through(client, "task_list", "tasks", state="in_progress")
        assert len({t["id"] for t in tasks}) == len(tasks) == 200
        approvals = await page_through(client, "approval_list", "approvals")
        assert len({a["id"] for a in approvals}) == len(approvals) == 200
        events = await page_through(client, "audit_query", "events")
        assert len(events) == (await ok(client, "audit_query", limit=1))["total"] >= 660

        _, got = await text_of(client, "task_get", task_id=big.id)
        whole, shown = store.tasks.get(big.id).body, got["task"]["body"]
        assert whole.startswith(shown) and len(shown) + got["body_cut"] == len(whole)
        assert len(shown) > 60_000  # cut to fit, not emptied
        _, status = await text_of(client, "vault_status")
        assert status["not_listed"]["sync_conflict_copies"] > 1_000
        _, resolved = await text_of(client, "conflicts_resolve")
        assert resolved["not_listed"] > 1_000
        assert len(resolved["resolved"]) + resolved["not_listed"] == 2_000
        for n in range(1_500):  # notes for the Dashboard, piled up while the laptop was off
            await ok(client, "update_post", title=f"Note {n}", body="b")
    async with Client(vault_server(make_settings("local"))) as laptop:
        _, refreshed = await text_of(laptop, "dashboard_refresh")
        archived = refreshed["archived"]
        assert refreshed["merged_updates"] == 1_500 and 0 < len(archived) < 1_500
        assert len(compact(archived)) / len(archived) * 1_500 > TEXT_BUDGET  # needed cutting


async def text_of(client: Client, tool: str, **args: Any) -> tuple[str, dict[str, Any]]:
    """One call's text block, checked against the budget, and its structured content."""
    result = await client.call_tool(tool, args)
    assert not result.is_error, result.content[0].text  # type: ignore[union-attr]
    (block,) = result.content
    text: str = block.text  # type: ignore[union-attr]
    assert len(text) <= TEXT_BUDGET, f"{tool}: {len(text)} characters"
    assert result.structured_content is not None
    return text, result.structured_content


async def test_mail_results_stay_under_the_budget(
    mail: MailServers, make_settings: Callable[..., CoreSettings]
) -> None:
    newsletter = "A paragraph of a very long newsletter, read by nobody.\n" * 6_000  # 330,000
    mail.deliver("ops@example.test", incoming("News", "<news@example.test>", body=newsletter))
    crowd = ", ".join(f"Person {n} <p{n}@example.test>" for n in range(3_000))
    spam = incoming("Win " * 2_000, "<crowd@example.test>", Cc=crowd)
    mail.deliver("ops@example.test", spam)
    for n in range(300):  # as an MTA drops them, into the mailbox Dovecot made
        sender = f"Client Number {n} <client{n}@example.test>"
        message = incoming(f"Question {n:03d}: {LONG}", f"<q{n}@client.example.test>", sender)
        mail.deliver_to_maildir("ops@example.test", message)
    core = make_settings("cloud")
    async with Client(email_server(core, imap_settings(mail), None)) as client:
        listed = await page_through(client, "mail_list", "messages")
        assert len({m["uid"] for m in listed}) == len(listed) == 302
        (crowded,) = [m for m in listed if m["message_id"] == "<crowd@example.test>"]
        assert len(compact(crowded)) <= 6_000 and crowded["subject"].endswith("…")
        assert crowded["cc"][0] == "Person 0 <p0@example.test>" and len(crowded["cc"]) < 3_000
        found = await page_through(client, "mail_search", "messages", subject="Question")
        assert len({m["uid"] for m in found}) == len(found) == 300
        (news,) = [m for m in listed if m["message_id"] == "<news@example.test>"]
        _, got = await text_of(client, "mail_get", uid=news["uid"])
        assert len(got["text"]) > 60_000  # cut to fit, not emptied
        whole = newsletter.strip().replace("\n", "\r\n")  # as it travelled
        assert whole.startswith(got["text"]) and len(got["text"]) + got["text_cut"] == len(whole)


async def test_odoo_results_stay_under_the_budget(
    odoo: StandinThread, make_settings: Callable[..., CoreSettings]
) -> None:
    rpc = raw_odoo(odoo)
    partners = [
        rpc.execute_kw(
            "res.partner",
            "create",
            [
                {
                    "name": f"Zephyr Holdings {n:03d} {LONG * 3}",
                    "email": f"ap{n}@acme.example",
                    "vat": f"BE{n:010d}",
                    "phone": "+32 2 555 01 23",
                    "city": "Brussels " * 20,
                }
            ],
        )  # fmt: skip
        for n in range(120)
    ]
    for n in range(150):
        line = {"name": "Consulting", "quantity": 1, "price_unit": 100}
        rpc.execute_kw("account.move", "create", [{
            "move_type": "out_invoice", "partner_id": partners[n % 120],
            "ref": f"PO-{n:05d} {LONG}", "invoice_line_ids": [[0, 0, line]],
        }])  # fmt: skip
    lines = [[0, 0, {"name": f"Line {n}: {LONG * 4}", "quantity": 1, "price_unit": 10}]
             for n in range(100)]  # fmt: skip
    long_one = rpc.execute_kw("account.move", "create", [{
        "move_type": "out_invoice", "partner_id": partners[0], "invoice_line_ids": lines,
    }])  # fmt: skip
    settings = odoo_settings(odoo.url, timeout_s=30)
    async with Client(odoo_server(make_settings("cloud"), settings)) as client:
        invoices = await page_through(client, "invoice_list", "invoices")
        assert len({i["invoice_id"] for i in invoices}) == len(invoices) == 151
        found = await page_through(client, "partner_find", "partners", query="Zephyr")
        assert sorted(p["id"] for p in found) == sorted(partners)
        _, got = await text_of(client, "invoice_get", invoice_id=long_one)
        assert got["lines_not_shown"] > 0
        assert len(got["lines"]) + got["lines_not_shown"] == 100
        assert got["amount_untaxed"] == 1_000  # the amounts count every line
