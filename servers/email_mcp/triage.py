"""Turning new mail into ``Needs_Action/email/`` tasks, once per Message-ID.

What is new is decided by UID against this machine's record (:mod:`.triage_record`), not
by ``\\Seen`` (the owner may have read it on the phone) and not by a server keyword
(Exchange has none): every mail from the recorded UID on is triaged, and at the first run
the unread mail already there. Idempotent across restarts and a change of UIDVALIDITY: the
task id derives from the Message-ID, so a mail met again finds its task (a different mail
that reuses a Message-ID gets a task of its own). Where the server keeps keywords
(PERMANENTFLAGS has ``\\*``), triaged mail also gets ``$AIETriaged`` for people to see;
its ``\\Seen`` flag is left alone. A backlog is worked in batches.

No mail can stop the inbox: each is filed on its own. A mail that cannot become a normal
task becomes a quarantine task that names the reason, and the result lists it. Only a
vault that cannot be written stops the pass; the mail not yet filed stays untriaged, so
the next pass picks it up.
"""

from __future__ import annotations

import hashlib
import logging
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any

from servers.email_mcp.imap import Fetched, FolderInfo, ImapSession
from servers.email_mcp.models import MailMessage, TriageProblem, TriageResult
from servers.email_mcp.parse import parse_message
from servers.email_mcp.triage_record import FolderRecord, TriageRecord
from shared.errors import VaultWriteError
from shared.text import fenced, md_text, one_line
from shared.vault import Vault

if TYPE_CHECKING:
    from servers.email_mcp.service import EmailService

__all__ = ["TRIAGED", "has_new_mail", "task_title", "triage", "triage_folder"]

log = logging.getLogger("email-mcp.triage")
TRIAGED = "$AIETriaged"
MAX_FULL_FETCH = 2 * 1024 * 1024
MAX_TITLE = 200


def task_title(mail: MailMessage) -> str:
    """One line of at most 200 characters, whatever the headers hold."""
    name = parseaddr(mail.from_)[0] or parseaddr(mail.from_)[1] or "unknown sender"
    sender = one_line(name, 60, "unknown sender")
    subject = one_line(mail.subject, MAX_TITLE, "(no subject)")
    verb = "File" if mail.automated else "Reply to"
    return one_line(f"{verb} {sender}: {subject}", MAX_TITLE)


def _task_body(mail: MailMessage) -> str:
    """The mail as the owner reads it in Obsidian: every header escaped, the text in a
    fenced block, so nothing a stranger wrote (Markdown, HTML, links, Templater or Dataview
    code) renders or runs."""
    attachments = "".join(
        f"\n- {md_text(a.filename)} ({md_text(a.content_type)}, {a.size} bytes)"
        for a in mail.attachments
    )
    body = (
        f"**From:** {md_text(mail.from_)}  \n**To:** {md_text(', '.join(mail.to))}  \n"
        f"**Date:** {md_text(mail.date)}  \n**Message-ID:** {md_text(mail.message_id)}  \n"
        f"**IMAP:** {md_text(mail.folder)} uid {mail.uid}\n\n"
    )
    if mail.automated:
        body += f"**Automated mail, not to be answered:** {md_text(mail.automated)}\n\n"
    body += fenced(mail.text[:4000] or "(no text)") + "\n"
    if attachments:
        body += f"\nAttachments:{attachments}\n"
    return body


def _file(
    vault: Vault, item: Fetched, folder: str, uidvalidity: int
) -> tuple[str, bool, MailMessage]:
    mail = parse_message(item.data, item.uid, folder, item.flags, item.size)
    extra: dict[str, object] = {
        "uid": mail.uid,
        "folder": folder,
        "uidvalidity": uidvalidity,
        "message_id": mail.message_id,
        "from": one_line(mail.from_, 500),
        "subject": one_line(mail.subject, 1000),
    }
    if mail.automated:
        extra["automated"] = mail.automated
    title, body = task_title(mail), _task_body(mail)
    tasks = vault.tasks
    task, is_new = tasks.create("email", title, body, source_id=mail.message_id, extra=extra)
    if not is_new and _another_mail(task.meta, extra):
        # A different mail with a Message-ID seen before: its own task, keyed by content.
        digest = hashlib.sha256(item.data).hexdigest()[:16]
        task, is_new = tasks.create(
            "email", title, body, source_id=f"{mail.message_id} {digest}", extra=extra
        )
    return task.id, is_new, mail


def _another_mail(meta: dict[str, object], extra: dict[str, object]) -> bool:
    return any(str(meta.get(key) or "") != str(extra[key]) for key in ("from", "subject"))


def _quarantine(vault: Vault, item: Fetched, folder: str, uidvalidity: int, problem: str) -> str:
    """A task that shows the owner a mail the triage could not read, with the reason."""
    source = f"quarantine:{folder}:{uidvalidity}:{item.uid}"
    body = (
        f"The mail with uid {item.uid} in {folder} (UIDVALIDITY {uidvalidity}) could not "
        f"become a normal task:\n\n> {md_text(one_line(problem, 1000))}\n\n"
        "Read it in the mail client and answer it by hand if it needs an answer.\n"
    )
    task, _ = vault.tasks.create(
        "email",
        f"Mail uid {item.uid} needs a person: it could not be triaged",
        body,
        source_id=source,
        extra={
            "uid": item.uid,
            "folder": folder,
            "uidvalidity": uidvalidity,
            "quarantined": one_line(problem, 500),
        },
    )
    return task.id


async def triage(service: EmailService, batch: int = 200, folder: str = "INBOX") -> TriageResult:
    """:meth:`EmailService.triage`, for callers that hold a service."""
    return await service.triage(batch, folder)


def has_new_mail(record: TriageRecord, folder: str, info: FolderInfo) -> bool:
    """Whether ``folder`` (as just selected) holds mail the record has not triaged."""
    known = record.load(folder)
    if known is None or known.uidvalidity != info.uidvalidity:
        return info.exists > 0
    return bool(known.backlog) or info.uidnext > known.next_uid


async def _untriaged(
    session: ImapSession, imap: Any, info: FolderInfo, record: FolderRecord | None
) -> FolderRecord:
    """The folder's record, begun at the first run (or after a renumbering): new mail from
    UIDNEXT on, and the unread mail already there as the backlog."""
    if record is not None and record.uidvalidity == info.uidvalidity:
        return record
    criteria = ["UNSEEN", "UNKEYWORD", TRIAGED] if info.keywords else ["UNSEEN"]
    unread = await session.search(imap, *criteria)
    start = info.uidnext or (max(unread, default=0) + 1)
    return FolderRecord(info.uidvalidity, start, sorted(u for u in unread if u < start))


async def triage_folder(
    session: ImapSession, vault: Vault, batch: int = 200, folder: str = "INBOX"
) -> TriageResult:
    """One pass over ``folder``'s untriaged mail, at most ``batch`` of them."""
    records = TriageRecord(vault.settings.state_path)
    async with session.use() as imap:
        info = await session.select(imap, folder)
        record = await _untriaged(session, imap, info, records.load(folder))
        newer = [u for u in await session.search(imap, "UID", f"{record.next_uid}:*")]
        uids = sorted(set(record.backlog) | {u for u in newer if u >= record.next_uid})
        work = uids[:batch]
        sizes = {f.uid: f.size for f in await session.fetch(imap, work, "RFC822.SIZE")}
        small = [u for u in work if sizes.get(u, 0) <= MAX_FULL_FETCH]
        large = [u for u in work if u not in small]
        fetched = await session.fetch(imap, small, "BODY.PEEK[]")
        fetched += await session.fetch(imap, large, "BODY.PEEK[HEADER]")
    result = TriageResult(scanned=0, created=[], already_known=0, remaining=0)
    filed: list[int] = []
    stopped: VaultWriteError | None = None
    for item in sorted(fetched, key=lambda f: f.uid):
        try:
            task_id, is_new, mail = _file(vault, item, folder, info.uidvalidity)
        except VaultWriteError as error:
            stopped = error  # the vault is full or read-only: this mail and the rest wait
            break
        except Exception as error:  # noqa: BLE001 - one poison mail must not stop the inbox
            problem = f"{type(error).__name__}: {error}"
            log.warning("triage: uid %s quarantined: %s", item.uid, problem)
            try:
                quarantined = _quarantine(vault, item, folder, info.uidvalidity, problem)
            except VaultWriteError as write_error:
                stopped = write_error
                break
            result.problems.append(
                TriageProblem(uid=item.uid, problem=problem, quarantine_task=quarantined)
            )
            result.created.append(quarantined)
            filed.append(item.uid)
            continue
        filed.append(item.uid)
        if is_new:
            result.created.append(task_id)
        else:
            result.already_known += 1
        if mail.automated:
            result.automated.append(task_id)
    done = set(filed)
    record.backlog = [u for u in record.backlog if u not in done]
    untouched = [u for u in work if u not in done and u >= record.next_uid]
    reached = max([u for u in filed if u >= record.next_uid], default=record.next_uid - 1)
    record.next_uid = min(untouched) if untouched else max(record.next_uid, reached + 1)
    records.save(folder, record)
    if filed and info.keywords:  # for people to see; our record is what counts
        async with session.use() as imap:
            await session.select(imap, folder)
            await session.store(imap, filed, "+FLAGS", TRIAGED)
    result.scanned = len(filed)
    result.remaining = len(uids) - len(filed)
    if stopped is not None:
        raise VaultWriteError(
            f"{stopped} {len(filed)} mail(s) were filed; {result.remaining} stay untriaged "
            "and the next pass picks them up."
        ) from stopped
    if work or result.created:
        vault.audit.record(
            "mail_triage",
            folder,
            params={
                "scanned": len(filed),
                "created": len(result.created),
                "known": result.already_known,
                "automated": len(result.automated),
                "problems": [p.model_dump() for p in result.problems],
            },
        )
    return result
