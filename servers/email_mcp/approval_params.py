"""What a ``send_email`` approval carries: the shared model
(:class:`shared.actions.SendEmailParams`, which the laptop also renders for the person), and
how a draft in Drafts becomes one. ``body`` is the field a person may edit before approving."""

from __future__ import annotations

from servers.email_mcp.models import MailMessage
from shared.actions import SendEmailParams

__all__ = ["SendEmailParams", "params_from_draft"]


def params_from_draft(draft: MailMessage, draft_id: str) -> SendEmailParams:
    """The message as it sits in Drafts (its text ends with a newline)."""
    return SendEmailParams(
        from_=draft.from_,
        to=draft.to,
        cc=draft.cc,
        subject=draft.subject,
        body=draft.text + "\n",
        in_reply_to=draft.in_reply_to,
        references=draft.references,
        message_id=draft.message_id,
        draft_id=draft_id,
    )
