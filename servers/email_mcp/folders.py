"""Drafts and Sent, found by their meaning rather than their name.

Gmail's are ``[Gmail]/Drafts`` and ``[Gmail]/Sent Mail`` (``[Google Mail]/…`` in some
countries, localized elsewhere); Outlook's ``Drafts`` and ``Sent Items``, localized too
(``Entwürfe``, ``Gesendete Elemente``). Each server marks them with RFC 6154 special-use
flags (``\\Drafts``, ``\\Sent``) in a plain LIST, which Outlook does without advertising
the capability: that is what we read. A folder named in the settings
(``AIE_IMAP_DRAFTS_FOLDER``, ``AIE_IMAP_SENT_FOLDER``) wins; without a flag, a folder
literally named ``Drafts`` or ``Sent`` is taken. Not found is an error that names the
setting, raised before anything is sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from servers.email_mcp.imap import ImapSession
from servers.email_mcp.mutf7 import decode
from shared.errors import ImapError

__all__ = ["FolderFinder", "Mailbox", "parse_list"]

_LIST = re.compile(rb'^\(([^)]*)\) (?:NIL|"(?:[^"\\]|\\.)*") ?(.*)$')
_FALLBACK = {"\\Drafts": ("Drafts",), "\\Sent": ("Sent", "Sent Items", "Sent Messages")}
_SETTING = {"\\Drafts": "AIE_IMAP_DRAFTS_FOLDER", "\\Sent": "AIE_IMAP_SENT_FOLDER"}


@dataclass(frozen=True)
class Mailbox:
    name: str  # decoded (UTF-8)
    flags: frozenset[str]


def parse_list(lines: list[Any]) -> list[Mailbox]:
    """The mailboxes of a LIST response (names as quoted strings, atoms or literals)."""
    found: list[Mailbox] = []
    waiting: frozenset[str] | None = None
    for line in lines:
        if isinstance(line, bytearray):  # a literal: the name of the line before
            if waiting is not None:
                found.append(Mailbox(decode(bytes(line).decode("utf-8", "replace")), waiting))
                waiting = None
            continue
        match = _LIST.match(bytes(line))
        if match is None:
            continue
        flags = frozenset(match.group(1).decode("ascii", "replace").split())
        raw = match.group(2).strip()
        if re.fullmatch(rb"\{\d+\+?\}", raw):
            waiting = flags
            continue
        if raw.startswith(b'"') and raw.endswith(b'"'):
            raw = re.sub(rb"\\(.)", rb"\1", raw[1:-1])
        found.append(Mailbox(decode(raw.decode("utf-8", "replace")), flags))
    return found


class FolderFinder:
    """The account's Drafts and Sent, asked of the server once and remembered."""

    def __init__(self, session: ImapSession, drafts: str | None, sent: str | None) -> None:
        self.session = session
        self.explicit = {"\\Drafts": drafts, "\\Sent": sent}
        self._found: dict[str, str] = {}
        self._mailboxes: list[Mailbox] | None = None

    async def drafts(self) -> str:
        return await self._folder("\\Drafts")

    async def sent(self) -> str:
        return await self._folder("\\Sent")

    async def _folder(self, flag: str) -> str:
        if chosen := self.explicit[flag]:
            return chosen
        if flag not in self._found:
            mailboxes = await self._list()
            by_flag = [m.name for m in mailboxes if flag in m.flags]
            names = {m.name for m in mailboxes}
            by_name = [n for n in _FALLBACK[flag] if n in names]
            candidates = by_flag or by_name
            if not candidates:
                shown = ", ".join(sorted(names)[:20]) or "none"
                raise ImapError(
                    f"no {flag[1:]} folder on {self.session.where}: none is marked {flag} and "
                    f"none is named {' or '.join(_FALLBACK[flag])} (folders: {shown}); set "
                    f"{_SETTING[flag]} to the folder's name"
                )
            self._found[flag] = candidates[0]
        return self._found[flag]

    async def _list(self) -> list[Mailbox]:
        if self._mailboxes is None:
            async with self.session.use() as imap:
                response = await self.session.call(imap.list('""', '"*"'))
            if response.result != "OK":
                where = self.session.where
                raise ImapError(f"the IMAP server {where} refused to list its folders")
            self._mailboxes = parse_list(response.lines)
        return self._mailboxes
