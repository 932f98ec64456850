"""The mailbox: IMAP sign-in (a password or OAuth 2.0), the Drafts and Sent folders, IDLE
and keywords; SMTP sign-in on the laptop, without sending anything. The clients are the
email server's own (its IMAP session, folder finder and token source)."""

from __future__ import annotations

import asyncio
from typing import Any

import aioimaplib
import aiosmtplib

from orchestrator.doctor.checks import Check, Probe, fail, ok, skip, skipped, warn
from orchestrator.doctor.setup import Setup
from servers.email_mcp.folders import FolderFinder
from servers.email_mcp.imap import ImapSession, tls_context
from servers.email_mcp.oauth import TokenSource
from shared.errors import AIEError
from shared.settings import ImapSettings, SmtpSettings

__all__ = ["probes"]

AREA = "mail"
LOGIN, FOLDERS, IDLE = "IMAP login", "IMAP folders", "IMAP IDLE and keywords"
IMAP_NAMES = (LOGIN, FOLDERS, IDLE)
SMTP = "SMTP login"
_OAUTH_FIX = (
    "sign in again with `ai-employee mail login google|microsoft` (AIE_OAUTH_* name the app)"
)


def probes(setup: Setup, timeout_s: float) -> list[Probe]:
    return [
        Probe(
            AREA,
            IMAP_NAMES,
            lambda: _run(check_imap(setup, timeout_s), timeout_s),
            "AIE_IMAP_HOST and AIE_IMAP_PORT",
        ),
        Probe(
            AREA,
            (SMTP,),
            lambda: _run(check_smtp(setup, timeout_s), timeout_s),
            "AIE_SMTP_HOST and AIE_SMTP_PORT",
        ),
    ]


def _run(work: Any, timeout_s: float) -> list[Check]:
    async def bounded() -> list[Check]:
        result: list[Check] = await asyncio.wait_for(work, timeout_s)
        return result

    return asyncio.run(bounded())


def _tokens(setup: Setup, user: str) -> TokenSource | None:
    if setup.auth is None or setup.auth.mail_auth != "oauth2" or setup.core is None:
        return None
    return TokenSource(setup.auth, user, setup.core.state_path)


def _login_fix(message: str, prefix: str, oauth: bool) -> str:
    if "TLS" in message:
        return f"check {prefix}SECURITY (ssl or starttls) and {prefix}CA_FILE"
    if "refused the" in message or "no longer authorized" in message:
        if oauth:
            return _OAUTH_FIX
        return (
            f"set {prefix}USER and {prefix}PASSWORD to the mailbox's sign-in (Gmail and "
            "Microsoft 365 want an app password, or AIE_MAIL_AUTH=oauth2)"
        )
    return f"check that the mail server is up and {prefix}HOST and {prefix}PORT"


def _bounded(settings: ImapSettings, timeout_s: float) -> ImapSettings:
    return settings.model_copy(update={"timeout_s": min(settings.timeout_s, timeout_s)})


async def check_imap(setup: Setup, timeout_s: float) -> list[Check]:
    if setup.imap is None:
        why = "settings did not load" if setup.problems.get("mail") else "AIE_IMAP_HOST unset"
        if setup.problems.get("mail"):
            return skipped(AREA, IMAP_NAMES, f"not checked: the {why}")
        return [
            warn(
                AREA,
                LOGIN,
                f"email is not configured ({why}): this machine's agent works without mail",
                "set AIE_IMAP_HOST, _PORT, _USER, _PASSWORD and _SECURITY (.env.example)",
            ),
            *skipped(AREA, IMAP_NAMES[1:], "not checked: email is not configured"),
        ]
    settings = _bounded(setup.imap, timeout_s)
    tokens = _tokens(setup, settings.user)
    session = ImapSession(settings, tokens)
    how = "OAuth 2.0 (XOAUTH2)" if tokens else "a password"
    try:
        try:
            async with session.use() as imap:
                inbox = await session.select(imap, "INBOX")
        except AIEError as error:
            return [
                fail(AREA, LOGIN, str(error), _login_fix(str(error), "AIE_IMAP_", bool(tokens))),
                *skipped(AREA, IMAP_NAMES[1:], "not checked: the IMAP login failed"),
            ]
        login = ok(AREA, LOGIN, f"{settings.user} at {session.where} with {how}")
        folders = await _folders(session, settings)
        idle = await _idle(session)
    finally:
        await session.close()
    return [login, folders, _capabilities(idle, inbox.keywords)]


async def _idle(session: ImapSession) -> str:
    """Why the server does not idle on INBOX as the watcher does (IDLE, its ``+``, DONE,
    its OK), or "" when it does: a server may list IDLE and still refuse it."""
    try:
        async with session.use() as imap:
            if not imap.has_capability("IDLE"):
                return "the server does not offer IDLE"
            await session.select(imap, "INBOX")
            try:
                running = await session.call(imap.idle_start(timeout=session.timeout))
            except aioimaplib.Abort as error:
                return f"the server lists IDLE but refused it ({error})"
            imap.idle_done()
            done = await session.call(running)
    except AIEError as error:
        return f"IDLE failed: {error}"
    if done.result != "OK":
        return f"the server did not end IDLE cleanly ({done.result})"
    return ""


def _capabilities(idle: str, keywords: bool) -> Check:
    kept = "keywords: yes" if keywords else "keywords: no (triage keeps its own record)"
    if idle:
        return warn(
            AREA,
            IDLE,
            f"{idle} ({kept}): new mail is seen when the watcher polls, not within seconds",
            "nothing to set: the watcher polls each cycle (email-watch --cycle); a provider "
            "with IDLE makes replies faster",
        )
    return ok(AREA, IDLE, f"IDLE: yes (idled on INBOX); {kept}")


async def _folders(session: ImapSession, settings: ImapSettings) -> Check:
    finder = FolderFinder(session, settings.drafts_folder, settings.sent_folder)
    found, problems = {}, []
    for label, find in (("Drafts", finder.drafts), ("Sent", finder.sent)):
        try:
            name = await find()
            async with session.use() as imap:
                await session.select(imap, name)
            found[label] = name
        except AIEError as error:
            problems.append(str(error))
    if problems:
        return fail(
            AREA,
            FOLDERS,
            "; ".join(problems),
            "set AIE_IMAP_DRAFTS_FOLDER / AIE_IMAP_SENT_FOLDER to the folders' names as your "
            "mail app shows them (or create the folder)",
        )
    return ok(AREA, FOLDERS, ", ".join(f"{k}: {v!r}" for k, v in found.items()))


async def check_smtp(setup: Setup, timeout_s: float) -> list[Check]:
    if setup.role == "cloud":
        if setup.configured("AIE_SMTP_PASSWORD") or setup.configured("AIE_SMTP_HOST"):
            return [
                warn(
                    AREA,
                    SMTP,
                    "the cloud holds SMTP settings, but only the laptop sends",
                    "remove AIE_SMTP_* from the VM's .env: a compromised VM cannot send what "
                    "it has no credentials for",
                )
            ]
        return [skip(AREA, SMTP, "the cloud never sends: only the laptop signs in to SMTP")]
    if setup.smtp is None:
        if setup.problems.get("mail"):
            return [skip(AREA, SMTP, "not checked: the settings did not load")]
        return [
            fail(
                AREA,
                SMTP,
                "SMTP is not configured (AIE_SMTP_HOST unset): approved replies cannot be sent",
                "set AIE_SMTP_HOST, _PORT, _USER, _PASSWORD and _SECURITY (.env.example)",
            )
        ]
    return [await _smtp_login(setup, setup.smtp, timeout_s)]


async def _smtp_login(setup: Setup, settings: SmtpSettings, timeout_s: float) -> Check:
    tokens = _tokens(setup, settings.user)
    where = f"{settings.host}:{settings.port}"
    sign_in: dict[str, Any] = (
        {"oauth_token_generator": tokens.access_token}
        if tokens is not None
        else {"password": settings.password.get_secret_value() if settings.password else ""}
    )
    client = aiosmtplib.SMTP(
        hostname=settings.host,
        port=settings.port,
        username=settings.user,
        use_tls=settings.security == "ssl",
        start_tls=settings.security == "starttls",
        tls_context=tls_context(str(settings.ca_file) if settings.ca_file else None),
        timeout=min(settings.timeout_s, timeout_s),
        **sign_in,
    )
    try:
        await client.connect()  # greeting, EHLO, TLS, AUTH: everything before a MAIL FROM
    except aiosmtplib.SMTPAuthenticationError as error:
        return fail(
            AREA,
            SMTP,
            f"the SMTP server {where} refused the login of {settings.user!r} "
            f"({error.code} {error.message.strip()[:80]})",
            _login_fix("refused the", "AIE_SMTP_", tokens is not None),
        )
    except AIEError as error:  # the OAuth token could not be had
        return fail(AREA, SMTP, str(error), _login_fix(str(error), "AIE_SMTP_", True))
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
        message = f"cannot sign in to the SMTP server {where} ({type(error).__name__}: {error})"
        tls = "TLS" in message or "SSL" in message or "certificate" in message
        return fail(AREA, SMTP, message, _login_fix("TLS" if tls else "", "AIE_SMTP_", False))
    finally:
        if client.is_connected:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                client.close()
    how = "OAuth 2.0 (XOAUTH2)" if tokens else "a password"
    return ok(AREA, SMTP, f"{settings.user} at {where} with {how}; nothing sent")
