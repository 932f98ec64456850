"""Whether a mail was sent by a machine, which must not be answered (RFC 3834 section 2).

Answering automated mail starts mail loops and wastes the owner's attention. A mail is
automated when any of these says so: ``Auto-Submitted`` other than ``no``;
``Precedence: bulk|list|junk``; ``List-Id`` or ``List-Unsubscribe``; ``X-Autoreply`` or
``X-Autorespond``; a ``multipart/report`` (a delivery or read notification); or a sender
address that machines use (mailer-daemon, postmaster, noreply, notifications, ...).
"""

from __future__ import annotations

import re
from email.message import Message

__all__ = ["automated_reason"]

AUTOMATED_SENDER = re.compile(
    r"^(no-?reply|do-?not-?reply|mailer-daemon|postmaster|notifications?|bounces?)"
    r"([+-][^@]*)?@",
    re.I,
)
BULK_PRECEDENCE = {"bulk", "list", "junk"}


def _first_word(value: object) -> str:
    text = str(value or "").strip().lower()
    return re.split(r"[\s;(]", text, maxsplit=1)[0] if text else ""


def automated_reason(msg: Message, sender_address: str) -> str | None:
    """Why ``msg`` is automated mail, in words a person reads; None for a person's mail."""
    auto = _first_word(msg.get("Auto-Submitted"))
    if auto and auto != "no":
        return f"Auto-Submitted: {auto} (an automatic reply or notification)"
    precedence = _first_word(msg.get("Precedence"))
    if precedence in BULK_PRECEDENCE:
        return f"Precedence: {precedence} (bulk or list mail)"
    for header in ("List-Id", "List-Unsubscribe"):
        if msg.get(header) is not None:
            return f"{header} header (mailing list or newsletter)"
    for header in ("X-Autoreply", "X-Autorespond"):
        if msg.get(header) is not None:
            return f"{header} header (an automatic reply)"
    if msg.get_content_type() == "multipart/report":
        kind = str(msg.get_param("report-type") or "report")
        return f"multipart/report; report-type={kind} (a delivery or read notification)"
    if AUTOMATED_SENDER.match(sender_address):
        return f"{sender_address} is an automated sender"
    return None
