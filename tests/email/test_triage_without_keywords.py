"""Triage that needs no server keyword and no ``\\Seen`` test.

Before: Exchange refused ``STORE +FLAGS ($AIETriaged)`` (and ``UNKEYWORD`` searches), so
every triage pass failed and the watcher never reached IDLE; and catch-up took only
``UNSEEN`` mail, so a mail the owner read on the phone while the watcher was down never
became a task. Now the record of what was triaged is ours, by folder, UIDVALIDITY and UID.
The Exchange side is played by an IMAP proxy in front of Dovecot that refuses keywords as
Exchange does (devstack/imap_proxy.py)."""

from __future__ import annotations

import asyncio
import imaplib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devstack.imap_proxy import ImapProxy
from devstack.mail_servers import MailServers
from servers.email_mcp.service import EmailService
from servers.email_mcp.watcher import InboxWatcher
from shared.settings import ImapSettings
from tests.support.mail_fixtures import imap_settings, incoming

pytestmark = pytest.mark.anyio


@pytest.fixture
def exchange(mail: MailServers) -> Iterator[ImapProxy]:
    with ImapProxy(mail.imap_port) as proxy:
        yield proxy


def _through(proxy: ImapProxy, mail: MailServers) -> ImapSettings:
    return ImapSettings(
        host="127.0.0.1",
        port=proxy.port,
        user="ops@example.test",
        password=mail.users["ops@example.test"],
        security="none",
        timeout_s=10,
    )


def _tasks(vault: Path) -> set[str]:
    return {p.stem for p in (vault / "Needs_Action" / "email").glob("email-*.md")}


def _read_on_the_phone(mail: MailServers) -> None:
    """The owner opens every mail on another device: all \\Seen before triage runs."""
    client = imaplib.IMAP4("127.0.0.1", mail.imap_port)
    client.login("ops@example.test", mail.users["ops@example.test"])
    client.select("INBOX")
    client.store("1:*", "+FLAGS", "(\\Seen)")
    client.logout()


async def test_exchange_without_keywords_triages_and_idles(
    mail: MailServers, exchange: ImapProxy, make_settings: Any, vault_path: Path
) -> None:
    mail.deliver("ops@example.test", incoming(message_id="<x1@c>", subject="One"))
    mail.deliver("ops@example.test", incoming(message_id="<x2@c>", subject="Two"))
    service = EmailService(make_settings("cloud"), _through(exchange, mail), None)
    first = await service.triage()
    assert len(first.created) == 2
    again = await service.triage()
    assert again.created == [] and again.scanned == 0  # nothing new, nothing fetched again
    watcher = InboxWatcher(service, cycle_s=30)
    running = asyncio.ensure_future(watcher.run())
    try:
        deadline = time.monotonic() + 15
        while not watcher.idling and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert watcher.idling  # before: every pass failed and it never got here
        mail.deliver("ops@example.test", incoming(message_id="<x3@c>", subject="Three"))
        deadline = time.monotonic() + 10
        while len(_tasks(vault_path)) < 3 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert len(_tasks(vault_path)) == 3
    finally:
        watcher.stop()
        await asyncio.wait_for(running, 15)
    assert exchange.refused == []  # we never asked for a keyword


async def test_our_old_keyword_calls_are_what_exchange_refuses(
    mail: MailServers, exchange: ImapProxy
) -> None:
    """Positive control: the proxy refuses what Exchange refuses."""
    client = imaplib.IMAP4("127.0.0.1", exchange.port)
    client.login("ops@example.test", mail.users["ops@example.test"])
    mail.deliver("ops@example.test", incoming())
    typ, data = client.select("INBOX")
    assert typ == "OK"
    with pytest.raises(imaplib.IMAP4.error, match="Command Argument Error"):
        client.uid("SEARCH", "UNSEEN", "UNKEYWORD", "$AIETriaged")
    with pytest.raises(imaplib.IMAP4.error, match="Command Argument Error"):
        client.store("1", "+FLAGS", "($AIETriaged)")
    assert b"\\*" not in b" ".join(client.untagged_responses.get("PERMANENTFLAGS", [b""]))
    client.logout()


@pytest.mark.parametrize("server", ["dovecot", "exchange"])
async def test_mail_read_elsewhere_still_becomes_one_task(
    mail: MailServers, make_settings: Any, vault_path: Path, server: str
) -> None:
    with ImapProxy(mail.imap_port) as proxy:
        settings = imap_settings(mail) if server == "dovecot" else _through(proxy, mail)
        service = EmailService(make_settings("cloud"), settings, None)
        assert (await service.triage()).created == []  # the record begins: an empty inbox
        mail.deliver("ops@example.test", incoming(message_id="<phone@c>", subject="Read"))
        _read_on_the_phone(mail)  # while the watcher was down
        created = (await service.triage()).created
        assert len(created) == 1
        assert (await service.triage()).created == []  # exactly one task
        await service.close()
    assert len(_tasks(vault_path)) == 1
