"""Turning unseen mail into ``Needs_Action/email/`` tasks, once per Message-ID.

Idempotent across restarts and a change of UIDVALIDITY: the task id derives from the
Message-ID, so a mail seen again finds its task. Triaged mail gets the keyword
``$AIETriaged`` (its \\Seen flag is left alone: a person still sees it as unread), which
keeps the next search short. A backlog is worked in batches.
"""

from __future__ import annotations

from email.utils import parseaddr

from servers.email_mcp.models import MailMessage, TriageResult
from servers.email_mcp.parse import parse_message
from servers.email_mcp.service import EmailService

__all__ = ["TRIAGED", "UNTRIAGED", "triage"]

TRIAGED = "$AIETriaged"
UNTRIAGED = ("UNSEEN", "UNKEYWORD", TRIAGED)
MAX_FULL_FETCH = 2 * 1024 * 1024


def _task_text(mail: MailMessage) -> tuple[str, str]:
    name = parseaddr(mail.from_)[0] or parseaddr(mail.from_)[1] or "unknown sender"
    title = f"Reply to {name}: {mail.subject or '(no subject)'}".replace("\n", " ")[:200]
    attachments = "".join(
        f"\n- {a.filename} ({a.content_type}, {a.size} bytes)" for a in mail.attachments
    )
    body = (
        f"**From:** {mail.from_}  \n**To:** {', '.join(mail.to)}  \n"
        f"**Date:** {mail.date}  \n**Message-ID:** `{mail.message_id}`  \n"
        f"**IMAP:** {mail.folder} uid {mail.uid}\n\n"
        f"{mail.text[:4000] or '(no text)'}\n"
    )
    if attachments:
        body += f"\nAttachments:{attachments}\n"
    return title, body


async def triage(service: EmailService, batch: int = 200, folder: str = "INBOX") -> TriageResult:
    session = service.session
    async with session.use() as imap:
        info = await session.select(imap, folder)
        uids = sorted(await session.search(imap, *UNTRIAGED))
        work = uids[:batch]
        sizes = {f.uid: f.size for f in await session.fetch(imap, work, "RFC822.SIZE")}
        small = [u for u in work if sizes.get(u, 0) <= MAX_FULL_FETCH]
        large = [u for u in work if u not in small]
        fetched = await session.fetch(imap, small, "BODY.PEEK[]")
        fetched += await session.fetch(imap, large, "BODY.PEEK[HEADER]")
    created, known = [], 0
    for item in sorted(fetched, key=lambda f: f.uid):
        mail = parse_message(item.data, item.uid, folder, item.flags, item.size)
        title, body = _task_text(mail)
        task, is_new = service.vault.tasks.create(
            "email",
            title,
            body,
            source_id=mail.message_id,
            extra={
                "uid": mail.uid,
                "folder": folder,
                "uidvalidity": info.uidvalidity,
                "message_id": mail.message_id,
                "from": mail.from_,
                "subject": mail.subject,
            },
        )
        if is_new:
            created.append(task.id)
        else:
            known += 1
    if work:
        async with session.use() as imap:
            await session.select(imap, folder)
            await session.store(imap, work, "+FLAGS", TRIAGED)
    if work or created:
        service.vault.audit.record(
            "mail_triage",
            folder,
            params={"scanned": len(work), "created": len(created), "known": known},
        )
    return TriageResult(
        scanned=len(work), created=created, already_known=known, remaining=len(uids) - len(work)
    )
