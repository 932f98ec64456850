"""Modified UTF-7 (RFC 3501 §5.1.3): how IMAP folder names travel.

``Entwürfe`` (Outlook's localized Drafts) is ``Entw&APw-rfe`` on the wire; a client that
sends UTF-8 instead gets "not valid mUTF-7". ``&`` itself is ``&-``. Printable ASCII
other than ``&`` stands for itself; everything else is UTF-16BE in a modified base64
(``,`` instead of ``/``, no padding) between ``&`` and ``-``.
"""

from __future__ import annotations

import base64
import re

__all__ = ["decode", "encode"]

_SHIFTED = re.compile(r"&([A-Za-z0-9+,]*)-")


def encode(name: str) -> str:
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            raw = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(raw).decode("ascii").rstrip("=").replace("/", ","))
            out.append("-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def decode(name: str) -> str:
    def shifted(match: re.Match[str]) -> str:
        chunk = match.group(1)
        if not chunk:
            return "&"
        data = chunk.replace(",", "/")
        data += "=" * (-len(data) % 4)
        try:
            return base64.b64decode(data).decode("utf-16-be")
        except (ValueError, UnicodeDecodeError):
            return match.group(0)  # not ours to fix: shown as the server sent it

    return _SHIFTED.sub(shifted, name)
