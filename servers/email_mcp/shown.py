"""Mail as one reply shows it: within the size budget of :mod:`shared.budget`.

A newsletter's text or a mail to ten thousand recipients would otherwise make a reply
no model can read whole; what is cut is said (``text_cut``, ``not_listed``), and the mail
itself is untouched (drafting quotes it from the server)."""

from __future__ import annotations

from typing import Final

from servers.email_mcp.models import MailMessage, MailSummary, TriageResult
from shared.budget import cap_lists, size, trim_text

__all__ = ["ITEM_BUDGET", "shown_message", "shown_summary", "shown_triage"]

# what one mail of a listing may take: a page still holds a dozen of the longest
ITEM_BUDGET: Final = 6_000
_LISTS: Final = ("to", "cc", "reply_to", "references", "attachments", "defects", "flags")


def shown_message(message: MailMessage) -> MailMessage:
    """One mail for ``mail_get``: a text too long cut at its end, then long address and
    id lists cut short."""
    shown, cut = trim_text(message, "text")
    shown, left_out = cap_lists(shown, _LISTS)
    if not cut and not left_out:
        return message
    return shown.model_copy(update={"text_cut": message.text_cut + cut, "not_listed": left_out})


def shown_summary(summary: MailSummary) -> MailSummary:
    """One mail of a listing: a subject or address lists too long for a listing cut
    short, the subject ending in '…'."""
    if size(summary) <= ITEM_BUDGET:
        return summary
    subject = summary.subject
    if len(subject) > 1_000:
        summary = summary.model_copy(update={"subject": subject[:999] + "…"})
    return cap_lists(summary, ("to", "cc", "flags"), ITEM_BUDGET)[0]


def shown_triage(result: TriageResult) -> TriageResult:
    """A triage pass's result: every created task listed (an agent counts them), the
    problems cut short when a batch of bad mail would make the reply too long."""
    shown, left_out = cap_lists(result, ["problems"])
    if not left_out:
        return result
    return shown.model_copy(update={"problems_not_listed": left_out["problems"]})
