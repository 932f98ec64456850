"""Reading on a real Dovecot: search and paging, attachments, concurrent calls on one
connection, a renumbered mailbox (UIDVALIDITY), and an IMAP server that goes away."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage

import anyio
import pytest
from mcp import Client

from devstack.mail_servers import MailServers
from tests.support.mail_fixtures import incoming
from tests.support.tool_calls import error_text, ok

pytestmark = pytest.mark.anyio


def _logins(mail: MailServers) -> int:
    return (mail.run_dir / "dovecot.log").read_text().count("imap-login: Info: Login:")


async def renumber(mail: MailServers, user: str = "ops@example.test") -> None:
    """What a mailbox rebuilt or moved to another server looks like: new UIDVALIDITY,
    every mail unseen again, our $AIETriaged keyword gone."""
    await anyio.to_thread.run_sync(mail.stop_imap)  # the event loop sees the server go
    root = mail.maildir(user)
    for index in root.glob("dovecot*"):
        index.unlink()
    for sub in ("cur", "new"):
        for path in (root / sub).iterdir():
            path.rename(root / "new" / path.name.split(":")[0])
    await anyio.sleep(1.1)  # Dovecot derives the new UIDVALIDITY from the clock, in seconds
    await anyio.to_thread.run_sync(mail.start_imap)


async def test_search_by_sender_subject_text_and_message_id_with_paging(
    mail: MailServers, email_servers
) -> None:
    for n in range(5):
        mail.deliver(
            "ops@example.test",
            incoming(
                subject=f"Order {n}",
                message_id=f"<order{n}@x>",
                sender="Bob <bob@example.test>" if n % 2 else "Alice <client@example.test>",
                body=f"Order number {n}, colour {'red' if n == 3 else 'blue'}\n",
            ),
        )
    async with Client(email_servers("cloud")) as c:
        page1 = await ok(c, "mail_list", limit=2)
        assert page1["total"] == 5 and page1["next_offset"] == 2
        assert [m["subject"] for m in page1["messages"]] == ["Order 4", "Order 3"]
        page3 = await ok(c, "mail_list", limit=2, offset=4)
        assert [m["subject"] for m in page3["messages"]] == ["Order 0"]
        assert page3["next_offset"] is None

        bob = await ok(c, "mail_search", from_address="bob@example.test")
        assert {m["subject"] for m in bob["messages"]} == {"Order 1", "Order 3"}
        red = await ok(c, "mail_search", text="red")
        assert [m["message_id"] for m in red["messages"]] == ["<order3@x>"]
        both = await ok(c, "mail_search", subject="Order", from_address="client@example.test")
        assert both["total"] == 3
        by_id = await ok(c, "mail_search", message_id="<order2@x>")
        assert [m["subject"] for m in by_id["messages"]] == ["Order 2"]
        assert (await ok(c, "mail_search", unseen_only=True))["total"] == 5
        nothing = await error_text(c, "mail_search")
        assert "at least one criterion" in nothing
        missing = await error_text(c, "mail_get", uid=999)
        assert "no message with uid 999" in missing and "mail_list" in missing


async def test_attachments_are_metadata(mail: MailServers, email_servers) -> None:
    msg = EmailMessage()
    msg["From"] = "client@example.test"
    msg["To"] = "ops@example.test"
    msg["Subject"] = "Invoice attached"
    msg["Message-ID"] = "<att@x>"
    msg.set_content("See attached.\n")
    msg.add_attachment(
        b"%PDF-1.4 " + b"x" * 2000, "application", "pdf", filename="Rechnung Mai.pdf"
    )
    msg.add_attachment("a,b\n1,2\n", subtype="csv", filename="données.csv")
    mail.deliver("ops@example.test", msg.as_bytes())
    async with Client(email_servers("cloud")) as c:
        (summary,) = (await ok(c, "mail_list"))["messages"]
        assert summary["has_attachments"]
        got = await ok(c, "mail_get", uid=summary["uid"])
    assert got["text"] == "See attached."
    assert [(a["filename"], a["content_type"]) for a in got["attachments"]] == [
        ("Rechnung Mai.pdf", "application/pdf"),
        ("données.csv", "text/csv"),
    ]
    assert got["attachments"][0]["size"] == 2009


async def test_concurrent_calls_share_one_connection(mail: MailServers, email_servers) -> None:
    for n in range(10):
        mail.deliver("ops@example.test", incoming(message_id=f"<c{n}@x>", subject=f"C {n}"))
    async with Client(email_servers("cloud")) as c:
        uids = [m["uid"] for m in (await ok(c, "mail_list"))["messages"]]
        results = await asyncio.gather(
            *[ok(c, "mail_get", uid=u) for u in uids],
            *[ok(c, "mail_list", limit=3) for _ in range(5)],
            ok(c, "mail_search", subject="C 7"),
        )
    assert sorted(r["subject"] for r in results[:10]) == sorted(f"C {n}" for n in range(10))
    assert results[-1]["total"] == 1
    assert _logins(mail) == 1


async def test_renumbered_mailbox_makes_no_second_task_and_stale_uids_are_refused(
    mail: MailServers, email_servers, vault_path
) -> None:
    for n in range(3):
        mail.deliver("ops@example.test", incoming(message_id=f"<r{n}@x>", subject=f"R {n}"))
    async with Client(email_servers("cloud")) as c:
        first = await ok(c, "mail_triage")
        assert len(first["created"]) == 3
        before = (await ok(c, "mail_list"))["uidvalidity"]
        await renumber(mail)
        mail.deliver("ops@example.test", incoming(message_id="<r3@x>", subject="R 3"))
        again = await ok(c, "mail_triage")  # the session reconnects by itself
        assert again["scanned"] == 4 and again["already_known"] == 3
        assert len(again["created"]) == 1
        listed = await ok(c, "mail_list")
        assert listed["uidvalidity"] != before

        stale = await error_text(c, "mail_get", uid=1, uidvalidity=before)
        assert "renumbered" in stale and "mail_search" in stale
        (found,) = (await ok(c, "mail_search", message_id="<r1@x>"))["messages"]
        got = await ok(c, "mail_get", uid=found["uid"], uidvalidity=listed["uidvalidity"])
        assert got["subject"] == "R 1"
    tasks = list((vault_path / "Needs_Action" / "email").glob("email-*.md"))
    assert len(tasks) == 4


async def test_tools_recover_when_the_imap_server_restarts(
    mail: MailServers, email_servers
) -> None:
    mail.deliver("ops@example.test", incoming())
    async with Client(email_servers("cloud")) as c:
        assert (await ok(c, "mail_list"))["total"] == 1
        await anyio.to_thread.run_sync(mail.restart_imap)  # the loop runs meanwhile
        assert (await ok(c, "mail_list"))["total"] == 1  # reconnected, no error shown

        await anyio.to_thread.run_sync(mail.stop_imap)
        with anyio.fail_after(60):  # a guard against hanging, not a speed claim
            down = await error_text(c, "mail_list")
        assert "cannot reach the IMAP server" in down or "stopped answering" in down
        await anyio.to_thread.run_sync(mail.start_imap)
        assert (await ok(c, "mail_list"))["total"] == 1
