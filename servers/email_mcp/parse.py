"""Raw mail to a model: any charset, malformed MIME, missing headers still give a result."""

from __future__ import annotations

import hashlib
import re
from email import policy
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from typing import Any

import html2text

from servers.email_mcp.automated import automated_reason
from servers.email_mcp.models import Attachment, MailMessage

__all__ = ["decode", "header_text", "message_id_of", "parse_message", "split_ids"]

_ID = re.compile(r"<[!-;=?-~]{1,248}>")  # printable ASCII: what a reply can quote back
MAX_TEXT_CHARS = 200_000


def header_text(value: object) -> str:
    """A header as text: RFC 2047 decoded, unknown charsets replaced, never raises."""
    if value is None:
        return ""
    raw = str(value)
    try:
        return str(make_header(decode_header(raw))).strip()
    except (LookupError, UnicodeDecodeError, ValueError, AssertionError, HeaderParseError):
        return raw.encode("utf-8", "replace").decode("utf-8").strip()


def split_ids(value: object) -> list[str]:
    return _ID.findall(str(value or ""))


def message_id_of(msg: Message, raw: bytes) -> str:
    ids = split_ids(msg.get("Message-ID", ""))
    if ids:
        return ids[0]
    return f"<synthetic-{hashlib.sha256(raw).hexdigest()[:32]}@aie.invalid>"


def _addresses(msg: Message, name: str) -> list[str]:
    values = [header_text(v) for v in msg.get_all(name, [])]
    found = []
    for display, addr in getaddresses(values):
        if addr:
            found.append(f"{display} <{addr}>" if display else addr)
    return found


def decode(part: Message) -> str:
    """A text part's payload with its declared charset, falling back when it lies."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return str(part.get_payload() or "")
    declared = part.get_content_charset() or "utf-8"
    for charset in (declared, "utf-8", "cp1252"):
        try:
            return payload.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("latin-1")


def _date(msg: Message) -> str:
    raw = header_text(msg.get("Date"))
    try:
        return parsedate_to_datetime(raw).isoformat()
    except (TypeError, ValueError, IndexError):
        return raw


def parse_message(
    raw: bytes, uid: int, folder: str, flags: list[str] | None = None, size: int | None = None
) -> MailMessage:
    msg = BytesParser(policy=policy.compat32).parsebytes(raw)
    text_parts: list[str] = []
    html_parts: list[str] = []
    attachments: list[Attachment] = []
    defects = [type(d).__name__ for d in msg.defects]
    for part in msg.walk():
        if part.is_multipart():
            continue
        defects += [type(d).__name__ for d in part.defects]
        disposition = (part.get("Content-Disposition") or "").lower()
        filename = header_text(part.get_filename() or "")
        ctype = part.get_content_type()
        if filename or disposition.startswith("attachment"):
            payload = part.get_payload(decode=True)
            attachments.append(
                Attachment(
                    filename=filename or "(unnamed)",
                    content_type=ctype,
                    size=len(payload) if isinstance(payload, bytes) else 0,
                )
            )
        elif ctype == "text/plain":
            text_parts.append(decode(part))
        elif ctype == "text/html":
            html_parts.append(decode(part))
    html_only = not text_parts and bool(html_parts)
    if html_only:
        converter = html2text.HTML2Text()
        converter.ignore_images = True
        converter.body_width = 0
        text = "\n".join(converter.handle(h) for h in html_parts).strip()
    else:
        text = "\n".join(text_parts).strip()
    senders = _addresses(msg, "From")
    sender_address = getaddresses(senders)[0][1] if senders else ""
    sender: dict[str, Any] = {"from": ", ".join(senders) or header_text(msg.get("From"))}
    return MailMessage(
        uid=uid,
        folder=folder,
        message_id=message_id_of(msg, raw),
        **sender,
        automated=automated_reason(msg, sender_address),
        to=_addresses(msg, "To"),
        cc=_addresses(msg, "Cc"),
        reply_to=_addresses(msg, "Reply-To"),
        subject=header_text(msg.get("Subject")),
        date=_date(msg),
        flags=flags or [],
        size=size if size is not None else len(raw),
        has_attachments=bool(attachments),
        in_reply_to=(split_ids(msg.get("In-Reply-To")) or [""])[0],
        references=split_ids(msg.get("References")),
        text=text[:MAX_TEXT_CHARS],
        text_cut=max(len(text) - MAX_TEXT_CHARS, 0),
        html_only=html_only,
        attachments=attachments,
        defects=sorted(set(defects)),
    )


def as_email_message(raw: bytes) -> EmailMessage:
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(parsed, EmailMessage)
    return parsed
