"""Building outgoing mail: threaded replies, and the message sent from approved parameters.

Every header value is checked for CR/LF (header injection) and every address for shape;
sizes and recipient counts are capped. A reply gets ``Re:`` once, ``In-Reply-To`` the
original's Message-ID, ``References`` its chain plus that id, the original quoted.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.errors import MessageError
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid, parseaddr
from typing import Any

from servers.email_mcp.models import MailMessage
from shared.errors import InvalidInput

__all__ = [
    "MAX_BODY_CHARS",
    "MAX_MESSAGE_BYTES",
    "MAX_RECIPIENTS",
    "build_message",
    "check_header",
    "check_id",
    "clean_addresses",
    "reply_headers",
]

MAX_RECIPIENTS = 50
MAX_SUBJECT_CHARS = 900
MAX_BODY_CHARS = 500_000
MAX_MESSAGE_BYTES = 25 * 1024 * 1024
_ADDR = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}"
    r"[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)
# What Python's email package treats as a line end, and other control characters (tab is
# fine): any of them in a header value is refused, never "cleaned".
_BREAKS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]")
_MSG_ID = re.compile(r"<[!-;=?-~]{1,248}>")
_RE = re.compile(r"^\s*(re|aw|sv|antw)\s*:\s*", re.IGNORECASE)


def check_header(name: str, value: str) -> str:
    if _BREAKS.search(value):
        raise InvalidInput(
            f"{name} contains a line break or control character; header injection is refused"
        )
    if len(value) > 998:
        raise InvalidInput(f"{name} is longer than 998 characters")
    return value


def clean_addresses(name: str, values: list[str]) -> list[str]:
    """Bare addresses, checked; refuses line breaks, malformed and too many addresses."""
    if len(values) > MAX_RECIPIENTS:
        raise InvalidInput(f"{name} has {len(values)} addresses; at most {MAX_RECIPIENTS}")
    found: list[str] = []
    for value in values:
        check_header(name, value)
        for _, addr in getaddresses([value]):
            if not _ADDR.fullmatch(addr):
                raise InvalidInput(f"{name}: {addr[:80]!r} is not a valid email address")
            if addr.lower() not in {a.lower() for a in found}:
                found.append(addr)
    if len(found) > MAX_RECIPIENTS:
        raise InvalidInput(f"{name} has {len(found)} addresses; at most {MAX_RECIPIENTS}")
    return found


def _bare(addresses: list[str]) -> list[str]:
    return [parseaddr(a)[1] for a in addresses if parseaddr(a)[1]]


def reply_headers(original: MailMessage, me: str, reply_all: bool) -> dict[str, Any]:
    """To, Cc, Subject and threading headers for a reply to ``original``."""
    to = _bare(original.reply_to) or _bare([original.from_])
    cc: list[str] = []
    if reply_all:
        everyone = _bare(original.to) + _bare(original.cc)
        cc = [
            a
            for a in everyone
            if a.lower() != me.lower() and a.lower() not in {t.lower() for t in to}
        ]
    # Outside text: line breaks become spaces; an absurd length is cut to fit one header.
    subject = " ".join(_BREAKS.sub(" ", original.subject).split())[:MAX_SUBJECT_CHARS]
    subject = subject if _RE.match(subject) else f"Re: {subject}".strip()
    references = [r for r in original.references if r != original.message_id]
    references.append(original.message_id)
    return {
        "to": to,
        "cc": cc,
        "subject": subject,
        "in_reply_to": original.message_id,
        "references": references[-20:],
    }


def quote(original: MailMessage) -> str:
    lines = original.text.splitlines() or [""]
    quoted = "\n".join(f"> {line}" if line else ">" for line in lines[:400])
    return f"On {original.date}, {original.from_} wrote:\n{quoted}"


def build_message(params: dict[str, Any], now: datetime) -> EmailMessage:
    """The exact message for ``params`` (from, to, cc, subject, body, in_reply_to,
    references, message_id), dated ``now`` unless ``params`` has a date. Validates every
    field; raises InvalidInput."""
    body = str(params.get("body", ""))
    if len(body) > MAX_BODY_CHARS:
        raise InvalidInput(f"body has {len(body)} characters; at most {MAX_BODY_CHARS}")
    to = clean_addresses("to", list(params.get("to") or []))
    cc = clean_addresses("cc", list(params.get("cc") or []))
    if not to:
        raise InvalidInput("to is empty; a reply needs at least one recipient")
    sender = clean_addresses("from", [str(params.get("from", ""))])
    if len(sender) != 1:
        raise InvalidInput(f"from must be exactly one address, not {len(sender)}")
    message_id = check_id("message_id", str(params.get("message_id") or ""))
    in_reply_to = str(params.get("in_reply_to") or "")
    if in_reply_to:
        check_id("in_reply_to", in_reply_to)
    refs = [check_id("references", str(r)) for r in params.get("references") or []]
    msg = EmailMessage()
    try:
        msg["From"] = sender[0]
        msg["To"] = ", ".join(to)
        if cc:
            msg["Cc"] = ", ".join(cc)
        msg["Subject"] = check_header("subject", str(params.get("subject", "")))
        msg["Date"] = check_header(
            "date", str(params.get("date") or format_datetime(now.astimezone(UTC)))
        )
        msg["Message-ID"] = message_id
        if in_reply_to:
            msg["In-Reply-To"] = in_reply_to
        if refs:
            msg["References"] = " ".join(refs)
        msg["X-Mailer"] = "ai-employee"
        msg.set_content(body)
        size = len(msg.as_bytes())
    except (ValueError, UnicodeError, MessageError) as error:  # the email package's refusals
        raise InvalidInput(f"the message cannot be encoded: {error}") from None
    except IndexError:  # Python's header parser on some ids, e.g. "<[>" (found by fuzzing)
        raise InvalidInput(
            "a Message-ID, In-Reply-To or References value cannot be parsed as one"
        ) from None
    if size > MAX_MESSAGE_BYTES:
        raise InvalidInput(f"the message is larger than {MAX_MESSAGE_BYTES // 2**20} MB")
    return msg


def check_id(name: str, value: str) -> str:
    """A Message-ID as it must appear in a header: <printable ASCII>, bounded."""
    if not _MSG_ID.fullmatch(check_header(name, value)):
        raise InvalidInput(
            f"{name} {value[:80]!r} is not a Message-ID (<...>, printable ASCII, at most "
            "250 characters)"
        )
    return value


def new_message_id(sender: str) -> str:
    domain = sender.rsplit("@", 1)[-1] if "@" in sender else "ai-employee.invalid"
    return make_msgid(idstring="aie", domain=domain)
