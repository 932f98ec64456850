"""The email service: every operation the email tools offer, on top of the IMAP and SMTP
adapters. Reading, drafting and asking to send are here; the service hands its adapters to
:mod:`servers.email_mcp.triage` (mail into tasks) and :mod:`servers.email_mcp.outbox`
(sending approved replies exactly once).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import aioimaplib

from servers.email_mcp import compose
from servers.email_mcp.approval_params import SendEmailParams, params_from_draft
from servers.email_mcp.drafter import draft_reply_text
from servers.email_mcp.folders import FolderFinder
from servers.email_mcp.handbook import load_handbook
from servers.email_mcp.imap import Fetched, FolderInfo, ImapSession, quote_string
from servers.email_mcp.models import (
    DraftResult,
    MailListResult,
    MailMessage,
    MailSummary,
    SendRequestResult,
    SendResult,
    SuggestResult,
    TriageResult,
)
from servers.email_mcp.oauth import TokenSource
from servers.email_mcp.outbox import Outbox
from servers.email_mcp.params import DRAFT_ID_PATTERN
from servers.email_mcp.parse import parse_message
from servers.email_mcp.shown import shown_message, shown_summary, shown_triage
from servers.email_mcp.triage import triage_folder
from shared.budget import fitting
from shared.clock import Clock, system_clock
from shared.errors import ImapError, InvalidInput, NotFound, WrongState
from shared.settings import (
    CoreSettings,
    ImapSettings,
    MailAuth,
    SmtpSettings,
    resolve_mail_address,
)
from shared.vault import Vault

__all__ = ["EmailService", "Query"]

MAX_FETCH_BYTES = 20 * 1024 * 1024


def _imap_date(day: date) -> str:
    return day.strftime("%d-%b-%Y")


class Query:
    """Search criteria for IMAP UID SEARCH, built from checked values only."""

    def __init__(
        self,
        unseen_only: bool = False,
        since: date | None = None,
        before: date | None = None,
        from_: str | None = None,
        subject: str | None = None,
        text: str | None = None,
        message_id: str | None = None,
    ) -> None:
        parts: list[str] = []
        if unseen_only:
            parts.append("UNSEEN")
        if since:
            parts += ["SINCE", _imap_date(since)]
        if before:
            parts += ["BEFORE", _imap_date(before)]
        for key, value in (("FROM", from_), ("SUBJECT", subject), ("TEXT", text)):
            if value:
                parts += [key, quote_string(value)]
        if message_id:
            parts += ["HEADER", "Message-ID", quote_string(message_id)]
        self.criteria = parts or ["ALL"]


class EmailService:
    def __init__(
        self,
        core: CoreSettings,
        imap: ImapSettings,
        smtp: SmtpSettings | None,
        clock: Clock = system_clock,
        address: str | None = None,
        auth: MailAuth | None = None,
    ) -> None:
        self.vault = Vault(core, clock)
        self.imap_settings = imap
        self.tokens = (
            TokenSource(auth, imap.user, core.state_path, clock)
            if auth is not None and auth.mail_auth == "oauth2"
            else None
        )
        self._session = ImapSession(imap, self.tokens)
        self.folders = FolderFinder(self._session, imap.drafts_folder, imap.sent_folder)
        self._outbox = Outbox(self.vault, self._session, smtp, self.folders, self.tokens)
        try:  # the From of drafts (AIE_MAIL_ADDRESS); sends take theirs from the approval
            self.address, self.address_problem = resolve_mail_address(address or "", imap.user), ""
        except ValueError as error:
            self.address, self.address_problem = "", str(error)

    async def close(self) -> None:
        await self._session.close()

    # -- reading --------------------------------------------------------------------------------
    async def list_mail(self, folder: str, query: Query, limit: int, offset: int) -> MailListResult:
        async with self._session.use() as imap:
            info = await self._session.select(imap, folder)
            uids = sorted(await self._session.search(imap, *query.criteria), reverse=True)
            page = uids[offset : offset + limit]
            fetched = await self._session.fetch(imap, page, "BODY.PEEK[HEADER]")
        by_uid = {f.uid: f for f in fetched}
        messages = [shown_summary(self._summary(by_uid[u], folder)) for u in page if u in by_uid]
        following = offset + limit
        if (fit := fitting(messages)) < len(messages):  # too long for one reply
            following = offset + page.index(messages[fit].uid)
            messages = messages[:fit]
        return MailListResult(
            folder=folder,
            uidvalidity=info.uidvalidity,
            total=len(uids),
            messages=messages,
            next_offset=following if following < len(uids) else None,
        )

    @staticmethod
    def _summary(item: Fetched, folder: str) -> MailSummary:
        parsed = parse_message(item.data, item.uid, folder, item.flags, item.size)
        summary = MailSummary.model_validate(parsed.model_dump(by_alias=True))
        content_type = next(
            (
                line
                for line in item.data.decode("latin-1").splitlines()
                if line.lower().startswith("content-type:")
            ),
            "",
        )
        summary.has_attachments = "multipart/mixed" in content_type.lower()
        return summary

    async def read(
        self, uid: int, folder: str = "INBOX", uidvalidity: int | None = None
    ) -> MailMessage:
        """One mail as a reply shows it (``mail_get``): cut to fit, saying what was cut."""
        return shown_message(await self.get(uid, folder, uidvalidity))

    async def get(
        self, uid: int, folder: str = "INBOX", uidvalidity: int | None = None
    ) -> MailMessage:
        async with self._session.use() as imap:
            info = await self._session.select(imap, folder)
            _check_validity(info, uid, uidvalidity)
            sized = await self._session.fetch(imap, [uid], "RFC822.SIZE")
            if not sized:
                raise NotFound(
                    f"no message with uid {uid} in {folder!r}; call mail_list for current uids"
                )
            too_big = sized[0].size > MAX_FETCH_BYTES
            part = "BODY.PEEK[HEADER]" if too_big else "BODY.PEEK[]"
            (item,) = await self._session.fetch(imap, [uid], part)
        message = parse_message(item.data, uid, folder, item.flags, sized[0].size)
        if too_big:
            message.defects.append(f"larger than {MAX_FETCH_BYTES // 2**20} MB: body not fetched")
        return message

    async def suggest_reply(
        self, uid: int, folder: str = "INBOX", uidvalidity: int | None = None
    ) -> SuggestResult:
        """The built-in drafter's reply text, following the handbook, or why not."""
        mail = await self.get(uid, folder, uidvalidity)
        decision = draft_reply_text(mail, load_handbook(self.vault.root))
        return SuggestResult(body=decision.body, reason=decision.reason, automated=mail.automated)

    # -- triage and sending ---------------------------------------------------------------------
    async def triage(self, batch: int = 200, folder: str = "INBOX") -> TriageResult:
        """Turn unseen mail into tasks, once per Message-ID (see :mod:`.triage`)."""
        return shown_triage(await triage_folder(self._session, self.vault, batch, folder))

    async def send_approved(self, approval_id: str) -> SendResult:
        """Send an approved reply exactly once, local machine only (see :mod:`.outbox`)."""
        return await self._outbox.send_approved(approval_id)

    # -- drafting -----------------------------------------------------------------------------
    async def draft_reply(
        self,
        uid: int,
        body: str,
        reply_all: bool = False,
        folder: str = "INBOX",
        uidvalidity: int | None = None,
    ) -> DraftResult:
        """Save a threaded reply with the handbook's signature and the quoted original. It
        replaces the drafts this mailbox saved earlier for the same mail (after they were
        re-drafted, e.g. when a session ended half way), once the new one is saved: Drafts
        holds one reply per mail."""
        if self.address_problem:
            raise WrongState(f"cannot draft: setting {self.address_problem}")
        original = await self.get(uid, folder, uidvalidity)
        handbook = load_handbook(self.vault.root)
        headers = compose.reply_headers(original, self.address, reply_all)
        text = f"{body.rstrip()}\n\n{handbook.signature.rstrip()}\n\n{compose.quote(original)}\n"
        params = SendEmailParams(
            from_=self.address,
            **headers,
            body=text,
            message_id=compose.new_message_id(self.address),
        )
        message = compose.build_message(params.to_params(), self.vault.clock())
        drafts = await self.folders.drafts()
        async with self._session.use() as imap:
            info = await self._session.select(imap, drafts)
            earlier = await self._drafts_answering(imap, original.message_id)
            draft_uid = await self._session.append(imap, drafts, message.as_bytes(), "\\Draft")
            if draft_uid is None:
                raise ImapError("the IMAP server did not report the draft's uid (no UIDPLUS)")
            earlier = [uid for uid in earlier if uid != draft_uid]
            if earlier:
                await self._session.store(imap, earlier, "+FLAGS", "\\Deleted")
                await self._session.expunge(imap, earlier)
        self.vault.audit.record(
            "mail_draft_reply",
            params.message_id,
            params={
                "in_reply_to": original.message_id,
                "to": headers["to"],
                "folder": drafts,
                "uid": draft_uid,
                "replaced_drafts": len(earlier),
            },
        )
        return DraftResult(
            draft_id=f"{info.uidvalidity}-{draft_uid}",
            message_id=params.message_id,
            folder=drafts,
            to=headers["to"],
            cc=headers["cc"],
            subject=headers["subject"],
            in_reply_to=headers["in_reply_to"],
            references=headers["references"],
            replaced_drafts=len(earlier),
        )

    async def _drafts_answering(self, imap: aioimaplib.IMAP4, message_id: str) -> list[int]:
        """UIDs in the selected Drafts of our own drafts that reply to ``message_id``."""
        if not message_id:
            return []
        return await self._session.search(
            imap,
            "DRAFT",
            "FROM",
            quote_string(self.address),
            "HEADER",
            "In-Reply-To",
            quote_string(message_id),
        )

    async def load_draft(self, draft_id: str) -> MailMessage:
        try:
            if not re.fullmatch(DRAFT_ID_PATTERN, draft_id):
                raise ValueError(draft_id)
            validity, uid = (int(part) for part in draft_id.split("-", 1))
        except ValueError:
            raise InvalidInput(
                f"draft_id {draft_id[:40]!r} is not valid; use the draft_id "
                "mail_draft_reply returned"
            ) from None
        drafts = await self.folders.drafts()
        async with self._session.use() as imap:
            info = await self._session.select(imap, drafts)
            fetched = await self._session.fetch(imap, [uid], "BODY.PEEK[]")
        if info.uidvalidity != validity or not fetched:
            raise NotFound(
                f"draft {draft_id} is no longer in {drafts!r}; draft the reply "
                "again with mail_draft_reply"
            )
        return parse_message(fetched[0].data, uid, drafts, fetched[0].flags)

    async def request_send(self, task_id: str, draft_id: str) -> SendRequestResult:
        """Ask a person to approve sending this draft, showing the whole message."""
        task = self.vault.tasks.get(task_id)
        draft = await self.load_draft(draft_id)
        about = str(task.meta.get("message_id") or "")
        if about and draft.in_reply_to != about:
            raise InvalidInput(
                f"draft {draft_id} answers {draft.in_reply_to or 'no message'}, but task "
                f"{task_id} is about {about}; draft the reply to the task's own mail "
                "(uid and uidvalidity are in the task's meta)"
            )
        params = params_from_draft(draft, draft_id)
        compose.build_message(params.to_params(), self.vault.clock())  # sendable before asking
        approval, created = self.vault.request_approval(
            task_id,
            "send_email",
            params.to_params(),
            f"Send “{draft.subject}” to {', '.join(draft.to)}",
            editable=("body",),
        )
        return SendRequestResult(approval_id=approval.id, path=approval.path, created=created)

    def state_path(self) -> Path:
        return self.vault.settings.state_path


def _check_validity(info: FolderInfo, uid: int, expected: int | None) -> None:
    if expected is not None and expected != info.uidvalidity:
        raise NotFound(
            f"{info.name!r} was renumbered (UIDVALIDITY {expected} is now "
            f"{info.uidvalidity}), so uid {uid} no longer names that mail; find it with "
            "mail_search(message_id=...) and use the uid it returns"
        )
