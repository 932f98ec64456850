"""The SMTP adapter: one send over aiosmtplib, TLS verified, timeouts, clear errors."""

from __future__ import annotations

import re
import ssl
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

import aiosmtplib

from servers.email_mcp.imap import tls_context
from shared.errors import SmtpError
from shared.settings import SmtpSettings

if TYPE_CHECKING:
    from servers.email_mcp.oauth import TokenSource

__all__ = ["reply_message_id", "send"]

_REPLY_ID = re.compile(r"<[^<>\s@]+@[^<>\s@]+>")


def reply_message_id(reply: str) -> str:
    """The Message-ID a provider gave the mail, when its 250 reply names one (Microsoft:
    ``250 2.0.0 OK <id@….prod.outlook.com> [Hostname=…]``); else ""."""
    found = _REPLY_ID.search(reply)
    return found.group(0) if found else ""


async def send(
    settings: SmtpSettings,
    message: EmailMessage,
    recipients: list[str],
    tokens: TokenSource | None = None,
) -> str:
    """Send and return the server's reply; raise SmtpError when it was not accepted. With
    ``tokens``, sign in with XOAUTH2 (a refused token is replaced once: nothing was sent)."""
    try:
        return await _send(settings, message, recipients, tokens)
    except aiosmtplib.SMTPAuthenticationError:
        if tokens is None:
            raise _auth_refused(settings, None) from None
        tokens.invalidate()
        try:
            return await _send(settings, message, recipients, tokens)
        except aiosmtplib.SMTPAuthenticationError:
            raise _auth_refused(settings, tokens) from None


def _auth_refused(settings: SmtpSettings, tokens: TokenSource | None) -> SmtpError:
    check = "the OAuth settings (AIE_OAUTH_*)" if tokens else "AIE_SMTP_PASSWORD"
    return SmtpError(
        f"the SMTP server {settings.host}:{settings.port} refused the login; check "
        f"AIE_SMTP_USER and {check}; nothing was sent"
    )


async def _send(
    settings: SmtpSettings,
    message: EmailMessage,
    recipients: list[str],
    tokens: TokenSource | None,
) -> str:
    context = tls_context(str(settings.ca_file) if settings.ca_file else None)
    where = f"{settings.host}:{settings.port}"
    sign_in: dict[str, Any] = (
        {"oauth_token_generator": tokens.access_token}
        if tokens is not None
        else {"password": settings.password.get_secret_value() if settings.password else ""}
    )
    try:
        _, reply = await aiosmtplib.send(
            message,
            recipients=recipients,
            hostname=settings.host,
            port=settings.port,
            username=settings.user,
            use_tls=settings.security == "ssl",
            start_tls=True if settings.security == "starttls" else False,
            tls_context=context,
            timeout=settings.timeout_s,
            **sign_in,
        )
    except aiosmtplib.SMTPRecipientsRefused as error:
        refused = ", ".join(r.recipient for r in error.recipients)
        raise SmtpError(
            f"the SMTP server {where} refused the recipients {refused}; nothing was sent"
        ) from None
    except aiosmtplib.SMTPAuthenticationError:
        raise  # send() replaces a refused OAuth token once, or says which setting to check
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
        if _is_tls(error):
            raise SmtpError(
                f"TLS with the SMTP server {where} failed ({error}); check "
                "AIE_SMTP_SECURITY and AIE_SMTP_CA_FILE; nothing was accepted"
            ) from None
        raise SmtpError(
            f"sending through {where} failed ({type(error).__name__}: {error}); "
            "nothing was accepted, retry later"
        ) from None
    return reply


def _is_tls(error: BaseException) -> bool:
    """aiosmtplib wraps a failed handshake in SMTPConnectError on the implicit-TLS port."""
    return any(isinstance(e, ssl.SSLError) for e in (error, error.__cause__, error.__context__))
