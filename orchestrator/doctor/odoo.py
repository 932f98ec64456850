"""Odoo: its version and the protocol odoo-mcp speaks to it, the login, and the user's
rights. On the cloud the user must not be able to post: it is in our addon's draft-only
group and not in Invoicing. On the laptop it must be able to post. Odoo answers
``res.users.has_group`` for the user itself (seen on a real Odoo 18; an unknown group is
``false``), through odoo-mcp's own client."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from orchestrator.doctor.checks import Check, Probe, fail, ok, skipped, warn
from orchestrator.doctor.setup import Setup
from servers.odoo_mcp.json2 import http_client, plain_errors, server_version
from servers.odoo_mcp.rpc import OdooClient, OdooLoginFailed
from shared.errors import OdooError
from shared.settings import OdooSettings

__all__ = ["DRAFT_ONLY_GROUP", "INVOICING_GROUP", "probes"]

AREA = "odoo"
SERVER, LOGIN, RIGHTS = "Odoo server", "Odoo login", "Odoo rights"
NAMES = (SERVER, LOGIN, RIGHTS)
INVOICING_GROUP = "account.group_account_invoice"
DRAFT_ONLY_GROUP = "aie_draft_only.group_draft_only"
TESTED = (17, 18, 19)
_GUIDE = "deployment/cloud/README-odoo.md, 'Two users'"


def probes(setup: Setup, timeout_s: float) -> list[Probe]:
    return [Probe(AREA, NAMES, lambda: check_odoo(setup, timeout_s), "AIE_ODOO_URL")]


def check_odoo(setup: Setup, timeout_s: float) -> list[Check]:
    if setup.odoo is None:
        if setup.problems.get("odoo"):
            return skipped(AREA, NAMES, "not checked: the Odoo settings did not load")
        return [
            warn(
                AREA,
                SERVER,
                "Odoo is not configured (AIE_ODOO_URL unset): the agent works without it",
                "set AIE_ODOO_URL, _DB, _USER and _PASSWORD (.env.example)",
            ),
            *skipped(AREA, NAMES[1:], "not checked: Odoo is not configured"),
        ]
    settings = setup.odoo.model_copy(update={"timeout_s": min(setup.odoo.timeout_s, timeout_s)})
    try:
        major, version = _version(settings)
    except (OSError, ValueError, KeyError, TypeError, httpx.HTTPError) as error:
        return [
            fail(
                AREA,
                SERVER,
                f"Odoo at {settings.url} does not answer as Odoo ({type(error).__name__}: {error})",
                "check that Odoo is up and AIE_ODOO_URL is its address (for a private "
                "certificate: AIE_ODOO_CA_FILE)",
            ),
            *skipped(AREA, NAMES[1:], "not checked: Odoo did not answer"),
        ]
    server = _server_check(settings, major, version)
    if server.status == "fail":
        return [server, *skipped(AREA, NAMES[1:], "not checked: see the Odoo server check")]
    return [server, *asyncio.run(_login_and_rights(setup, settings))]


def _version(settings: OdooSettings) -> tuple[int, str]:
    """(major, version): ``/web/version`` (Odoo 19 on), else the JSON-RPC version_info."""
    with http_client(settings, authorised=False) as client:
        major, version = plain_errors(lambda: server_version(client))
        if major:
            return major, version
        body = {"jsonrpc": "2.0", "method": "call", "params": {}}
        answer = plain_errors(lambda: client.post("/web/webclient/version_info", json=body))
        answer.raise_for_status()
        info: Any = answer.json()["result"]
    version = str(info["server_version"])
    digits = version.split(".", 1)[0].split("~")[-1]
    return (int(digits) if digits.isdigit() else 0), version


def _server_check(settings: OdooSettings, major: int, version: str) -> Check:
    protocol = settings.protocol
    chosen = protocol if protocol != "auto" else ("json2" if major >= 19 else "jsonrpc")
    if chosen == "json2" and major < 19:
        return fail(
            AREA,
            SERVER,
            f"Odoo {version} has no JSON-2 API (Odoo 19 and later), but AIE_ODOO_PROTOCOL=json2",
            "set AIE_ODOO_PROTOCOL=auto (or jsonrpc)",
        )
    detail = f"Odoo {version} at {settings.url}, protocol {chosen}"
    if protocol == "auto":
        detail += " (auto)"
    if major not in TESTED:
        return warn(
            AREA,
            SERVER,
            f"{detail}; odoo-mcp is tested with Odoo 17 and 18 (19 from its documentation)",
            "use Odoo 17 or 18 where you can",
        )
    return ok(AREA, SERVER, detail)


async def _login_and_rights(setup: Setup, settings: OdooSettings) -> list[Check]:
    client = OdooClient(settings)
    try:
        session = await client.connect()
    except OdooLoginFailed as error:
        return [
            fail(
                AREA,
                LOGIN,
                str(error),
                "set AIE_ODOO_USER to the login and AIE_ODOO_PASSWORD to its password or an "
                "API key (Preferences > Account Security > New API Key)",
            ),
            *skipped(AREA, (RIGHTS,), "not checked: the Odoo login failed"),
        ]
    except OdooError as error:
        return [
            fail(AREA, LOGIN, str(error), "check AIE_ODOO_DB (the database's name) and Odoo"),
            *skipped(AREA, (RIGHTS,), "not checked: the Odoo login failed"),
        ]
    login = ok(AREA, LOGIN, f"{settings.user!r} (uid {session.uid}) on database {settings.db!r}")

    async def has(group: str) -> bool:
        uid = session.uid
        return bool(await client.call("res.users", "has_group", [uid], group_ext_id=group))

    try:
        invoicing = await has(INVOICING_GROUP)
        draft_only = await has(DRAFT_ONLY_GROUP) if setup.role == "cloud" else False
    except OdooError as error:
        return [login, fail(AREA, RIGHTS, str(error), "ask Odoo's administrator")]
    return [login, _rights(setup, settings, invoicing, draft_only)]


def _rights(setup: Setup, settings: OdooSettings, invoicing: bool, draft_only: bool) -> Check:
    user = repr(settings.user)
    if setup.role == "cloud":
        if invoicing:
            return fail(
                AREA,
                RIGHTS,
                f"this user can post invoices: {user} is in Invoicing ({INVOICING_GROUP}), so "
                "whoever holds the VM's credentials could post and pay",
                "give the VM its own Odoo user, without any Invoicing level and in 'AI "
                f"Employee: draft invoices only' ({DRAFT_ONLY_GROUP}); see {_GUIDE}",
            )
        if not draft_only:
            return fail(
                AREA,
                RIGHTS,
                f"{user} is not in our draft-only group ({DRAFT_ONLY_GROUP}): it cannot "
                "draft invoices",
                "install the addon deployment/odoo_addons/aie_draft_only and put the user in "
                f"'AI Employee: draft invoices only'; see {_GUIDE}",
            )
        return ok(AREA, RIGHTS, f"{user} drafts only: in {DRAFT_ONLY_GROUP}, not in Invoicing")
    if not invoicing:
        return fail(
            AREA,
            RIGHTS,
            f"this user cannot post invoices: {user} is not in Invoicing ({INVOICING_GROUP}), "
            "so approved invoices and payments would be refused",
            "in Odoo, Settings > Users > the laptop's user: set Invoicing to Billing (or "
            f"Administrator); see {_GUIDE}",
        )
    if setup.odoo_mode == "draft":
        return warn(
            AREA,
            RIGHTS,
            f"{user} can post, but AIE_ODOO_MODE=draft: approved invoices are not posted",
            "unset AIE_ODOO_MODE (live is the laptop's default)",
        )
    return ok(AREA, RIGHTS, f"{user} can post invoices and register payments (Invoicing)")
