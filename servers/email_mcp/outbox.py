"""Sending an approved reply exactly once (local machine only).

The Message-ID is fixed when the draft is made. The execution ledger records each step
before the next one touches the outside world: ``started`` (intent), ``sending`` (just
before SMTP), ``accepted`` (SMTP said 250), then ``done``. After a crash:

- ``started``: SMTP was never reached; send.
- ``accepted``: it was sent; file it in Sent if missing, finish, never send again.
- ``sending``: SMTP may or may not have accepted it. If Sent holds the Message-ID it was
  sent. Otherwise nobody can tell, and we do not send again: the approval is filed with
  the outcome ``uncertain`` and the error tells the person what to check.

An approval that lacks a field the message needs (see :mod:`.approval_params`) is refused
by name and audited before anything is sent.
"""

from __future__ import annotations

import asyncio
import logging
from email.message import EmailMessage
from typing import TYPE_CHECKING

from servers.email_mcp import compose, smtp
from servers.email_mcp.approval_params import SendEmailParams
from servers.email_mcp.folders import FolderFinder
from servers.email_mcp.imap import ImapSession, quote_string
from servers.email_mcp.models import SendResult
from servers.email_mcp.oauth import TokenSource
from shared.approvals import Executable
from shared.errors import AIEError, InvalidInput, ParamsChanged, SmtpError, WrongState
from shared.faults import crash_point
from shared.ledger import LedgerEntry
from shared.settings import SmtpSettings
from shared.vault import Vault

if TYPE_CHECKING:
    from servers.email_mcp.service import EmailService

PROVIDER_COPY_WAIT_S = 15.0  # the provider files its copy soon after its 250

log = logging.getLogger("email-mcp.outbox")
__all__ = ["Outbox", "send_approved"]

ACTION = "send_email"


async def send_approved(service: EmailService, approval_id: str) -> SendResult:
    """:meth:`EmailService.send_approved`, for callers that hold a service."""
    return await service.send_approved(approval_id)


class Outbox:
    """Sends approved replies with the adapters it is given: the vault (approvals, ledger,
    audit), the IMAP session (to file in Sent and clear Drafts) and the SMTP settings."""

    def __init__(
        self,
        vault: Vault,
        imap: ImapSession,
        smtp_settings: SmtpSettings | None,
        folders: FolderFinder,
        tokens: TokenSource | None = None,
    ) -> None:
        self.tokens = tokens
        self.vault = vault
        self.imap = imap
        self.smtp = smtp_settings
        self.folders = folders

    async def send_approved(self, approval_id: str) -> SendResult:
        vault = self.vault
        vault.require_local("mail_send_approved")
        if self.smtp is None:
            raise WrongState(
                "SMTP is not configured (AIE_SMTP_*); the local machine needs it to send"
            )
        item = vault.approvals.load_for_execution(approval_id, ACTION)
        params = self._read_params(item)
        await self.folders.sent()  # a Sent folder that cannot be found stops us before sending
        with vault.audit.refusals(ACTION, approval_id, InvalidInput):
            message = compose.build_message(params.to_params(), vault.clock())
        recipients = params.recipients
        message_id = params.message_id
        intent = {"message_id": message_id, "to": recipients}
        with vault.ledger.run(approval_id, intent) as entry:
            if entry.interrupted and entry.status in ("sending", "accepted"):
                return await self._recover(entry, item, message, params)
            vault.ledger.mark(entry, "sending")
            vault.audit.record(
                "send_email_start",
                message_id,
                approval_id=approval_id,
                params={"to": recipients, "subject": params.subject, "edited": list(item.edited)},
            )
            try:
                reply = await smtp.send(self.smtp, message, recipients, self.tokens)
            except SmtpError as error:
                vault.ledger.mark(entry, "started")  # refused before acceptance: safe to retry
                vault.audit.record(
                    ACTION,
                    message_id,
                    approval_id=approval_id,
                    result="failed",
                    detail=str(error),
                )
                raise
            crash_point("after_smtp")  # the exactly-once test kills the process here
            provider_id = smtp.reply_message_id(reply)
            entry.intent["provider_message_id"] = provider_id
            vault.ledger.mark(entry, "accepted")
            vault.audit.record(
                ACTION,
                message_id,
                approval_id=approval_id,
                params={
                    "to": recipients,
                    "smtp_reply": reply[:200],
                    "provider_message_id": provider_id,
                },
                detail="a person edited " + ", ".join(item.edited) + " before approving"
                if item.edited
                else None,
            )
            return await self._file_and_finish(entry, item, message, params)

    def _read_params(self, item: Executable) -> SendEmailParams:
        """The approval's parameters as the message's model, or an audited refusal."""
        with self.vault.audit.refusals(ACTION, item.approval_id, ParamsChanged):
            return item.params_as(SendEmailParams, "nothing was sent")

    async def _in_sent(self, message_id: str, provider_id: str = "") -> bool:
        """Whether Sent holds this mail: under its Message-ID, under the original id a
        provider keeps when it rewrites it (Microsoft, Google), or under the id the
        provider gave it in its 250 reply."""
        sent = await self.folders.sent()
        original = quote_string(message_id)
        criteria = [
            "OR",
            "OR",
            "HEADER",
            "Message-ID",
            original,
            "HEADER",
            "X-Microsoft-Original-Message-ID",
            original,
            "HEADER",
            "X-Google-Original-Message-ID",
            original,
        ]
        if provider_id:
            criteria = ["OR", *criteria, "HEADER", "Message-ID", quote_string(provider_id)]
        async with self.imap.use() as imap:
            await self.imap.select(imap, sent)
            found = await self.imap.search(imap, *criteria)
        return bool(found)

    async def _provider_copy(self, message_id: str, provider_id: str) -> bool:
        """The provider's own copy in Sent, given a few seconds to appear."""
        deadline = asyncio.get_running_loop().time() + PROVIDER_COPY_WAIT_S
        while True:
            if await self._in_sent(message_id, provider_id):
                return True
            if asyncio.get_running_loop().time() > deadline:
                return False
            await asyncio.sleep(0.5)

    async def _recover(
        self,
        entry: LedgerEntry,
        item: Executable,
        message: EmailMessage,
        params: SendEmailParams,
    ) -> SendResult:
        vault = self.vault
        provider_id = str(entry.intent.get("provider_message_id") or "")
        in_sent = await self._in_sent(params.message_id, provider_id)
        if entry.status == "accepted" or in_sent:
            vault.audit.record(
                "send_email_recovered",
                params.message_id,
                approval_id=item.approval_id,
                detail="sent before a crash; not sent again",
            )
            return await self._file_and_finish(entry, item, message, params)
        outcome = {"sent": "uncertain", "message_id": params.message_id}
        vault.ledger.finish(entry, outcome)
        vault.finish_execution(
            item,
            outcome,
            "The mail may have been sent before the sender "
            "stopped; it was not sent again. Check with the recipient.",
        )
        vault.audit.record(
            ACTION,
            params.message_id,
            approval_id=item.approval_id,
            result="uncertain",
            detail="stopped during the SMTP exchange",
        )
        raise AIEError(
            f"approval {item.approval_id}: the sender stopped during the SMTP exchange, so the "
            f"mail {params.message_id} may already have been delivered. It was NOT sent again. "
            "Check the recipient's thread; to send it anyway, draft it again and ask for a new "
            "approval."
        )

    async def _file_and_finish(
        self,
        entry: LedgerEntry,
        item: Executable,
        message: EmailMessage,
        params: SendEmailParams,
    ) -> SendResult:
        vault = self.vault
        message_id = params.message_id
        sent = await self.folders.sent()
        provider_id = str(entry.intent.get("provider_message_id") or "")
        if self.smtp is not None and self.smtp.provider_files_sent_copy:
            filed = await self._provider_copy(message_id, provider_id)
            if not filed:
                log.warning("no Sent copy from the provider for %s: filing ours", message_id)
        else:
            filed = await self._in_sent(message_id, provider_id)
        if not filed:
            async with self.imap.use() as imap:
                await self.imap.select(imap, sent)
                await self.imap.append(imap, sent, message.as_bytes(), "\\Seen")
            filed = True
        await self._remove_draft(params.draft_id)
        outcome = {
            "sent": True,
            "message_id": message_id,
            "provider_message_id": provider_id or None,
            "edited": list(item.edited),
        }
        vault.ledger.finish(entry, outcome)
        to = list(params.to)
        summary = f"Sent “{params.subject}” to {', '.join(to)} ({message_id})."
        if item.edited:
            summary += " A person edited the " + ", ".join(item.edited) + " before approving."
        vault.finish_execution(item, outcome, summary)
        vault.audit.record(
            "send_email_filed",
            message_id,
            approval_id=item.approval_id,
            params={"folder": sent},
        )
        return SendResult(
            approval_id=item.approval_id,
            message_id=message_id,
            to=to,
            sent=True,
            edited=list(item.edited),
            filed_in_sent=filed,
            task_id=item.task_id,
        )

    async def _remove_draft(self, draft_id: str) -> None:
        """The draft has been sent: take it out of Drafts, as a mail client does."""
        try:
            validity, uid = (int(part) for part in draft_id.split("-", 1))
        except ValueError:
            return
        try:
            drafts = await self.folders.drafts()
            async with self.imap.use() as imap:
                info = await self.imap.select(imap, drafts)
                if info.uidvalidity == validity:
                    await self.imap.store(imap, [uid], "+FLAGS", "\\Deleted")
                    await self.imap.expunge(imap, [uid])
        except AIEError:
            pass  # a leftover draft is harmless; the send itself is done
