"""Sending an approved reply exactly once (local machine only).

The Message-ID is fixed when the draft is made. The execution ledger records each step
before the next one touches the outside world: ``started`` (intent), ``sending`` (just
before SMTP), ``accepted`` (SMTP said 250), then ``done``. After a crash:

- ``started``: SMTP was never reached; send.
- ``accepted``: it was sent; file it in Sent if missing, finish, never send again.
- ``sending``: SMTP may or may not have accepted it. If Sent holds the Message-ID it was
  sent. Otherwise nobody can tell, and we do not send again: the approval is filed with
  the outcome ``uncertain`` and the error tells the person what to check.
"""

from __future__ import annotations

from typing import Any

from servers.email_mcp import compose, smtp
from servers.email_mcp.models import SendResult
from servers.email_mcp.service import EmailService
from shared.errors import AIEError, InvalidInput, SmtpError, WrongState
from shared.faults import crash_point
from shared.ledger import LedgerEntry

__all__ = ["send_approved"]


async def send_approved(service: EmailService, approval_id: str) -> SendResult:
    vault = service.vault
    vault.require_local("mail_send_approved")
    if service.smtp is None:
        raise WrongState("SMTP is not configured (AIE_SMTP_*); the local machine needs it to send")
    item = vault.approvals.load_for_execution(approval_id, "send_email")
    params = item.params
    with vault.audit.refusals("send_email", approval_id, InvalidInput):
        message = compose.build_message(params, vault.clock())
    recipients = list(params["to"]) + list(params.get("cc") or [])
    message_id = str(params["message_id"])
    intent = {"message_id": message_id, "to": recipients}
    with vault.ledger.run(approval_id, intent) as entry:
        if entry.interrupted and entry.status in ("sending", "accepted"):
            return await _recover(service, entry, item, message, params)
        vault.ledger.mark(entry, "sending")
        vault.audit.record(
            "send_email_start",
            message_id,
            approval_id=approval_id,
            params={
                "to": recipients,
                "subject": params.get("subject"),
                "edited": list(item.edited),
            },
        )
        try:
            reply = await smtp.send(service.smtp, message, recipients)
        except SmtpError as error:
            vault.ledger.mark(entry, "started")  # refused before acceptance: safe to retry
            vault.audit.record(
                "send_email",
                message_id,
                approval_id=approval_id,
                result="failed",
                detail=str(error),
            )
            raise
        crash_point("after_smtp")  # the exactly-once test kills the process here
        vault.ledger.mark(entry, "accepted")
        vault.audit.record(
            "send_email",
            message_id,
            approval_id=approval_id,
            params={"to": recipients, "smtp_reply": reply[:200]},
            detail="a person edited " + ", ".join(item.edited) + " before approving"
            if item.edited
            else None,
        )
        return await _file_and_finish(service, entry, item, message, params)


async def _recover(
    service: EmailService, entry: LedgerEntry, item: Any, message: Any, params: dict[str, Any]
) -> SendResult:
    vault = service.vault
    sent_folder = service.imap_settings.sent_folder
    in_sent = bool(await service.find_by_message_id(sent_folder, str(params["message_id"])))
    if entry.status == "accepted" or in_sent:
        vault.audit.record(
            "send_email_recovered",
            str(params["message_id"]),
            approval_id=item.approval_id,
            detail="sent before a crash; not sent again",
        )
        return await _file_and_finish(service, entry, item, message, params)
    outcome = {"sent": "uncertain", "message_id": params["message_id"]}
    vault.ledger.finish(entry, outcome)
    vault.finish_execution(
        item,
        outcome,
        "The mail may have been sent before the sender "
        "stopped; it was not sent again. Check with the recipient.",
    )
    vault.audit.record(
        "send_email",
        str(params["message_id"]),
        approval_id=item.approval_id,
        result="uncertain",
        detail="stopped during the SMTP exchange",
    )
    raise AIEError(
        f"approval {item.approval_id}: the sender stopped during the SMTP exchange, so the "
        f"mail {params['message_id']} may already have been delivered. It was NOT sent again. "
        "Check the recipient's thread; to send it anyway, draft it again and ask for a new "
        "approval."
    )


async def _file_and_finish(
    service: EmailService, entry: LedgerEntry, item: Any, message: Any, params: dict[str, Any]
) -> SendResult:
    vault = service.vault
    sent_folder = service.imap_settings.sent_folder
    message_id = str(params["message_id"])
    filed = bool(await service.find_by_message_id(sent_folder, message_id))
    if not filed:
        async with service.session.use() as imap:
            await service.session.select(imap, sent_folder)
            await service.session.append(imap, sent_folder, message.as_bytes(), "\\Seen")
        filed = True
    await _remove_draft(service, str(params.get("draft_id", "")))
    outcome = {"sent": True, "message_id": message_id, "edited": list(item.edited)}
    vault.ledger.finish(entry, outcome)
    to = list(params["to"])
    summary = f"Sent “{params.get('subject')}” to {', '.join(to)} ({message_id})."
    if item.edited:
        summary += " A person edited the " + ", ".join(item.edited) + " before approving."
    vault.finish_execution(item, outcome, summary)
    vault.audit.record(
        "send_email_filed", message_id, approval_id=item.approval_id, params={"folder": sent_folder}
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


async def _remove_draft(service: EmailService, draft_id: str) -> None:
    """The draft has been sent: take it out of Drafts, as a mail client does."""
    try:
        validity, uid = (int(part) for part in draft_id.split("-", 1))
    except ValueError:
        return
    drafts = service.imap_settings.drafts_folder
    try:
        async with service.session.use() as imap:
            info = await service.session.select(imap, drafts)
            if info.uidvalidity == validity:
                await service.session.store(imap, [uid], "+FLAGS", "\\Deleted")
                await service.session.expunge(imap, [uid])
    except AIEError:
        pass  # a leftover draft is harmless; the send itself is done
