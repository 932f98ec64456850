"""The built-in drafter: a polite, short reply that follows Company_Handbook.md.

A fallback for machines without Claude Code (and for the demo). It never answers what the
handbook forbids, nor automated mail; it says why instead, and the task goes to a person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.utils import parseaddr

from servers.email_mcp.handbook import Handbook
from servers.email_mcp.models import MailMessage

__all__ = ["Decision", "draft_reply_text"]

_TOPICS = (
    (
        re.compile(r"invoice|bill|payment|receipt", re.I),
        "I have noted your message about the invoice and will come back to you with the "
        "details shortly.",
    ),
    (
        re.compile(r"meeting|call|appointment|schedule", re.I),
        "Thank you for suggesting a time to talk. I will confirm a slot that works shortly.",
    ),
    (
        re.compile(r"quote|pricing|price|offer", re.I),
        "Thank you for your interest. I will prepare the figures and send them to you soon.",
    ),
)


@dataclass(frozen=True)
class Decision:
    body: str | None  # None: do not draft
    reason: str


def _first_name(sender: str) -> str:
    display, addr = parseaddr(sender)
    if display:
        return display.split()[0].strip("\"'")
    return addr.split("@", 1)[0].split(".")[0].capitalize() or "there"


def draft_reply_text(mail: MailMessage, handbook: Handbook) -> Decision:
    """The reply's own text (greeting and content); the signature is added when drafting."""
    address = parseaddr(mail.from_)[1]
    if mail.automated:
        return Decision(None, f"automated mail, filed without a reply: {mail.automated}")
    topic = handbook.forbidden_topic(f"{mail.subject}\n{mail.text}")
    if topic:
        return Decision(None, f"mentions '{topic}', which the handbook keeps for a person")
    if not handbook.may_auto_reply(address):
        return Decision(None, f"{address} is not a known contact or domain in the handbook")
    content = next(
        (text for pattern, text in _TOPICS if pattern.search(f"{mail.subject} {mail.text}")),
        f'Thank you for your message about "{mail.subject}". '
        "I will look into it and get back to you shortly.",
    )
    greeting = handbook.greeting.replace("{first_name}", _first_name(mail.from_))
    return Decision(f"{greeting}\n\n{content}", "drafted by the built-in rules")
