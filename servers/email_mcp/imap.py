"""The IMAP adapter: one aioimaplib session, reused, serialised, with timeouts everywhere.

Tool calls run concurrently, so every use of the session holds a lock. A command that
times out or meets a dropped connection closes the session; the next use reconnects with
backoff. aioimaplib sends arguments unquoted and has no STARTTLS: mailbox names are
quoted here, and STARTTLS is done here with ``loop.start_tls``. Every library failure
leaves this module as an :class:`~shared.errors.ImapError` that says what to check.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import ssl
import time
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import aioimaplib
from aioimaplib.aioimaplib import Command

from servers.email_mcp import mutf7
from shared.errors import ImapError, InvalidInput
from shared.settings import ImapSettings

if TYPE_CHECKING:
    from servers.email_mcp.oauth import TokenSource

__all__ = ["Fetched", "FolderInfo", "ImapSession", "quote_mailbox", "quote_string", "tls_context"]

log = logging.getLogger("email-mcp.imap")
T = TypeVar("T")

_META = re.compile(rb"UID (\d+)|FLAGS \(([^)]*)\)|RFC822\.SIZE (\d+)")
_APPENDUID = re.compile(rb"APPENDUID (\d+) (\d+)")
_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
_UIDNEXT = re.compile(rb"UIDNEXT (\d+)")
_PERMANENTFLAGS = re.compile(rb"PERMANENTFLAGS \(([^)]*)\)")
_EXISTS = re.compile(rb"^(\d+) EXISTS")
_UIDS = re.compile(rb"[\d ]*")
BACKOFF_S = (0.2, 0.5, 1.0, 2.0, 5.0)
FETCH_CHUNK = 100
PROBE_AFTER_S = 60.0


@dataclass
class FolderInfo:
    name: str
    uidvalidity: int
    exists: int
    uidnext: int = 0
    keywords: bool = False  # PERMANENTFLAGS has \*: the server keeps keywords we invent


@dataclass
class Fetched:
    uid: int
    flags: list[str]
    size: int
    data: bytes


def quote_mailbox(name: str) -> str:
    """A folder name as it travels: modified UTF-7 (``Entwürfe`` is ``Entw&APw-rfe``),
    quoted."""
    if not name or len(name) > 200 or any(c in name for c in "\r\n\0"):
        raise InvalidInput(f"mailbox name {name[:60]!r} is not valid")
    wire = mutf7.encode(name)
    return '"' + wire.replace("\\", "\\\\").replace('"', '\\"') + '"'


def quote_string(value: str) -> str:
    """A search argument as one IMAP quoted string."""
    if any(c in value for c in "\r\n\0"):
        raise InvalidInput("search text must be one line")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def tls_context(ca_file: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class ImapSession:
    """A lazily opened, self-healing IMAP session for one account."""

    def __init__(self, settings: ImapSettings, tokens: TokenSource | None = None) -> None:
        self.settings = settings
        self.tokens = tokens  # OAuth 2.0 (XOAUTH2) when set, else LOGIN with the password
        self.timeout = settings.timeout_s
        self._imap: aioimaplib.IMAP4 | None = None
        self._lost = asyncio.Event()
        self._selected: str | None = None
        self._lock = asyncio.Lock()
        self._failures = 0
        self._used = time.monotonic()

    @property
    def where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    async def call(self, awaitable: Awaitable[T], timeout: float | None = None) -> T:
        """Await an aioimaplib call, bounded: by the connection's loss (at once) and by a
        deadline. aioimaplib's own timeouts are not enough: a server that dies during the
        greeting leaves a lock held, and ``wait_for`` then waits forever for the cancelled
        call. So the call runs as a task that is cancelled, never awaited, when abandoned."""
        task = asyncio.ensure_future(awaitable)
        lost = asyncio.ensure_future(self._lost.wait())
        limit = (timeout or self.timeout) + 1.0  # let aioimaplib's own timeout speak first
        try:
            done, _ = await asyncio.wait(
                {task, lost}, timeout=limit, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            lost.cancel()
            if not task.done():
                task.cancel()
        if task in done:
            return task.result()
        if lost in done:
            raise ConnectionResetError("the connection was lost")
        raise TimeoutError(f"no answer within {limit:.0f} s")

    # -- connection ------------------------------------------------------------------------
    async def _open(self) -> aioimaplib.IMAP4:
        s = self.settings
        context = tls_context(str(s.ca_file) if s.ca_file else None)
        self._lost = lost = asyncio.Event()
        imap: aioimaplib.IMAP4 | None = None
        try:
            # IMAP4 with a context is IMAP4_SSL, which cannot take conn_lost_cb.
            imap = aioimaplib.IMAP4(
                s.host,
                s.port,
                timeout=self.timeout,
                conn_lost_cb=lambda _e: lost.set(),
                ssl_context=context if s.security == "ssl" else None,
            )
            await self.call(imap.wait_hello_from_server())
            if s.security == "starttls":
                await self._starttls(imap, context)
            if self.tokens is not None:
                response = await self._xoauth2(imap)
            else:
                password = s.password.get_secret_value() if s.password else ""
                response = await self.call(imap.login(s.user, password))
        except ssl.SSLError as error:
            _close(imap)
            raise ImapError(
                f"TLS with the IMAP server {self.where} failed ({error.reason}); "
                "check AIE_IMAP_SECURITY and AIE_IMAP_CA_FILE"
            ) from None
        except (OSError, TimeoutError, aioimaplib.AioImapException) as e:
            _close(imap)
            raise ImapError(
                f"cannot reach the IMAP server {self.where} "
                f"({type(e).__name__}: {e or 'timed out'}); check that it is up "
                "and AIE_IMAP_HOST/AIE_IMAP_PORT, then retry"
            ) from None
        except ImapError:
            _close(imap)
            raise
        if response.result != "OK":
            _close(imap)
            what = "OAuth token" if self.tokens is not None else "login"
            check = "the OAuth settings (AIE_OAUTH_*)" if self.tokens else "AIE_IMAP_PASSWORD"
            raise ImapError(
                f"the IMAP server {self.where} refused the {what} for "
                f"{s.user!r}; check AIE_IMAP_USER and {check}"
            )
        return imap

    async def _xoauth2(self, imap: aioimaplib.IMAP4) -> Any:
        """AUTHENTICATE XOAUTH2, with a fresh token once more if the first is refused.

        On a refused token the server sends a ``+`` continuation (a JSON error) and waits
        for an empty line before its ``NO``; aioimaplib never answers it and hangs until its
        timeout, so the empty line is sent here. Its capabilities from before the login are
        asked again after it (Dovecot and Gmail list UIDPLUS only then)."""
        assert self.tokens is not None
        protocol = imap.protocol
        handle = protocol._continuation

        def continuation(line: bytes) -> None:
            command = protocol.pending_sync_command
            if command is not None and command.name == "AUTHENTICATE":
                protocol.transport.write(b"\r\n")
                return
            handle(line)

        protocol._continuation = continuation
        response: Any = None
        for _attempt in range(2):
            token = await self.tokens.access_token()
            response = await self.call(imap.xoauth2(self.settings.user, token))
            if response.result == "OK":
                await self.call(protocol.capability())
                break
            self.tokens.invalidate()
        return response

    async def _starttls(self, imap: aioimaplib.IMAP4, context: ssl.SSLContext) -> None:
        protocol = imap.protocol
        if "STARTTLS" not in protocol.capabilities:
            raise ImapError(
                f"the IMAP server {self.where} does not offer STARTTLS; use AIE_IMAP_SECURITY=ssl"
            )
        command = Command("STARTTLS", protocol.new_tag(), loop=protocol.loop)
        response = await self.call(protocol.execute(command))
        if response.result != "OK":
            raise ImapError(f"STARTTLS refused by {self.where}")
        loop = asyncio.get_running_loop()
        transport = await self.call(
            loop.start_tls(
                protocol.transport, protocol, context, server_hostname=self.settings.host
            )
        )
        protocol.transport = transport
        await self.call(protocol.capability())

    async def _drop(self) -> None:
        imap, self._imap, self._selected = self._imap, None, None
        _close(imap)

    @contextlib.asynccontextmanager
    async def use(self) -> AsyncIterator[aioimaplib.IMAP4]:
        """The session, connected, for one sequence of commands under the lock."""
        async with self._lock:
            if self._imap is not None and (self._lost.is_set() or not await self._alive()):
                await self._drop()  # dropped while unused (a server restart): reopen now
            if self._imap is None:
                if self._failures:
                    await asyncio.sleep(BACKOFF_S[min(self._failures, len(BACKOFF_S)) - 1])
                try:
                    self._imap = await self._open()
                except ImapError:
                    self._failures += 1
                    raise
                self._failures = 0
            try:
                yield self._imap
                self._used = time.monotonic()
            except (OSError, TimeoutError, aioimaplib.AioImapException) as error:
                await self._drop()
                raise ImapError(
                    f"the IMAP server {self.where} stopped answering "
                    f"({type(error).__name__}); retry in a moment"
                ) from None
            except ImapError:
                await self._drop()
                raise

    async def _alive(self) -> bool:
        """After a quiet spell, NOOP first: NAT boxes and firewalls drop idle connections
        without a word, and the next real command would only time out."""
        if self._imap is None or time.monotonic() - self._used < PROBE_AFTER_S:
            return True
        try:
            response = await self.call(self._imap.noop(), min(self.timeout, 5.0))
        except (OSError, TimeoutError, aioimaplib.AioImapException):
            return False
        return bool(response.result == "OK")

    async def close(self) -> None:
        async with self._lock:
            if self._imap is not None:
                with contextlib.suppress(Exception):
                    await self.call(self._imap.logout(), 1.0)
            await self._drop()

    # -- commands (call inside ``use``) -----------------------------------------------------
    async def select(self, imap: aioimaplib.IMAP4, folder: str) -> FolderInfo:
        response = await self.call(imap.select(quote_mailbox(folder)))
        if response.result != "OK":
            self._selected = None
            said = _said(response.lines)
            raise ImapError(
                f"the IMAP server cannot open the folder {folder!r} ({said}); check the "
                "name (mail_list with folder='INBOX' works on every working server)"
            )
        self._selected = folder
        uidvalidity, exists, uidnext, keywords = 0, 0, 0, False
        for line in response.lines:
            if m := _PERMANENTFLAGS.search(line):
                keywords = b"\\*" in m.group(1).split()
            if m := _UIDVALIDITY.search(line):
                uidvalidity = int(m.group(1))
            if m := _UIDNEXT.search(line):
                uidnext = int(m.group(1))
            if m := _EXISTS.match(line):
                exists = int(m.group(1))
        return FolderInfo(folder, uidvalidity, exists, uidnext, keywords)

    async def search(self, imap: aioimaplib.IMAP4, *criteria: str) -> list[int]:
        """UIDs matching, read from the result line whatever else rides along."""
        response = await self.call(imap.uid_search(*criteria))
        if response.result != "OK":
            raise ImapError(f"the IMAP server refused the search {' '.join(criteria)!r}")
        uids: list[int] = []
        for line in response.lines[:-1]:
            if _UIDS.fullmatch(line):
                uids += [int(u) for u in line.split()]
        return uids

    async def fetch(self, imap: aioimaplib.IMAP4, uids: list[int], part: str) -> list[Fetched]:
        """``part`` is e.g. ``BODY.PEEK[]`` or ``BODY.PEEK[HEADER]``."""
        found: list[Fetched] = []
        # aioimaplib parses a response recursively, a few frames per message: a FETCH of
        # 1,000 messages overflows the stack, so fetch in chunks.
        for start in range(0, len(uids), FETCH_CHUNK):
            chunk = uids[start : start + FETCH_CHUNK]
            response = await self.call(
                imap.protocol.fetch(
                    _uid_set(chunk), f"(UID FLAGS RFC822.SIZE {part})", by_uid=True
                ),
                self.timeout * 3,
            )
            if response.result != "OK":
                raise ImapError(
                    f"the IMAP server refused to fetch messages ({_said(response.lines)})"
                )
            found += _parse_fetch(response.lines)
        return found

    async def append(
        self, imap: aioimaplib.IMAP4, folder: str, raw: bytes, flags: str
    ) -> int | None:
        response = await self.call(
            imap.append(raw, mailbox=quote_mailbox(folder), flags=flags), self.timeout * 3
        )
        if response.result != "OK":
            raise ImapError(f"the IMAP server refused to store the message in {folder!r}")
        for line in response.lines:
            if m := _APPENDUID.search(line):
                return int(m.group(2))
        return None

    async def store(self, imap: aioimaplib.IMAP4, uids: list[int], op: str, flags: str) -> None:
        response = await self.call(imap.uid("store", _uid_set(uids), op, f"({flags})"))
        if response.result != "OK":
            raise ImapError(f"the IMAP server refused to set flags {flags}")

    async def expunge(self, imap: aioimaplib.IMAP4, uids: list[int]) -> None:
        """Remove these messages (already flagged \\Deleted) and no others (UIDPLUS)."""
        response = await self.call(imap.uid("expunge", _uid_set(uids)))
        if response.result != "OK":
            raise ImapError("the IMAP server refused to expunge")


def _close(imap: aioimaplib.IMAP4 | None) -> None:
    transport = imap.protocol.transport if imap is not None else None
    if transport is not None:
        with contextlib.suppress(Exception):
            transport.close()


def _said(lines: list[bytes | bytearray]) -> str:
    """The server's completion text, short and printable."""
    text = bytes(lines[-1]).decode("utf-8", "replace") if lines else ""
    return "".join(c for c in text if c.isprintable())[:120] or "no reason given"


def _uid_set(uids: list[int]) -> str:
    return ",".join(str(u) for u in uids)


def _parse_fetch(lines: list[bytes | bytearray]) -> list[Fetched]:
    """Walk a FETCH response in order: a meta line, its literal, a closing line."""
    found: list[Fetched] = []
    pending: dict[str, object] | None = None
    for line in lines:
        if isinstance(line, bytearray):
            if pending is not None:
                pending["data"] = bytes(line)
            continue
        if b" FETCH (" in line:
            if pending is not None and "uid" in pending:
                found.append(_fetched(pending))
            pending = {}
        if pending is None:
            continue
        for m in _META.finditer(line):
            if m.group(1):
                pending["uid"] = int(m.group(1))
            elif m.group(2) is not None:
                pending["flags"] = m.group(2).decode("ascii", "replace").split()
            elif m.group(3):
                pending["size"] = int(m.group(3))
    if pending is not None and "uid" in pending:
        found.append(_fetched(pending))
    return found


def _fetched(raw: dict[str, object]) -> Fetched:
    flags = raw.get("flags", [])
    size = raw.get("size", 0)
    data = raw.get("data", b"")
    return Fetched(
        uid=int(str(raw["uid"])),
        flags=list(flags) if isinstance(flags, list) else [],
        size=int(size) if isinstance(size, int) else 0,
        data=data if isinstance(data, bytes) else b"",
    )
