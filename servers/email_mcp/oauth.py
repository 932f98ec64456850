"""OAuth 2.0 access tokens for IMAP and SMTP (SASL XOAUTH2), from a refresh token.

Access tokens live about an hour at Google and Microsoft. One is fetched when first
needed and refreshed a minute before it expires, or at once when the server ends a session
over it (``BYE … AccessTokenExpired``) or refuses it. Microsoft rotates the refresh token
on every refresh: the newest one is kept in the machine's state directory (mode 600,
never in the vault, never logged) and wins over ``AIE_OAUTH_REFRESH_TOKEN``, which only
starts the chain (``ai-employee mail login`` writes the same file).

The HTTP is Authlib's RFC 6749 client on httpx: one well-kept, provider-neutral library
for Google, Microsoft and a custom token endpoint alike (the providers' own libraries,
google-auth and msal, each cover one of them and bring their own HTTP stacks).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import OAuth2Client

from shared.audit import register_secret
from shared.clock import Clock, system_clock
from shared.errors import AIEError, UpstreamError
from shared.settings import MailAuth

__all__ = ["OAuthRevoked", "TokenSource", "TokenStore", "xoauth2_string"]

log = logging.getLogger("email-mcp.oauth")
REFRESH_BEFORE = timedelta(seconds=60)  # or a quarter of a short-lived token


class OAuthRevoked(AIEError):
    """The grant is gone (revoked, expired, or an app in Google's 'testing' status)."""


def xoauth2_string(user: str, token: str) -> str:
    """SASL XOAUTH2's initial response, before base64."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


class TokenStore:
    """The newest refresh token of one account, in the state directory, mode 600."""

    def __init__(self, state_dir: Path, auth: MailAuth, user: str) -> None:
        key = f"{auth.oauth_provider}:{auth.oauth_client_id}:{user}"
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        self.path = state_dir / "oauth" / f"{digest}.json"
        self.user = user

    def load(self) -> str | None:
        try:
            data = json.loads(self.path.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        token = data.get("refresh_token")
        return str(token) if token else None

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """One refresh at a time across this machine's processes (the agent's server, the
        inbox watcher, a Claude Code session's server): with a provider that rotates refresh
        tokens, two refreshing with the same token would leave one refused."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def save(self, refresh_token: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"user": self.user, "refresh_token": refresh_token}, handle)
        os.replace(tmp, self.path)


@dataclass
class _Access:
    token: str
    expires: datetime
    margin: timedelta  # refreshed this long before it expires


class TokenSource:
    """Access tokens for one mailbox, refreshed before they expire."""

    def __init__(
        self, auth: MailAuth, user: str, state_dir: Path, clock: Clock = system_clock
    ) -> None:
        self.auth = auth
        self.user = user
        self.store = TokenStore(state_dir, auth, user)
        self.clock = clock
        self._access: _Access | None = None
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        """The server refused or dropped the current token: fetch a fresh one next time."""
        self._access = None

    async def access_token(self) -> str:
        async with self._lock:
            now = self.clock()
            if self._access is None or self._access.expires - self._access.margin <= now:
                self._access = await self._refresh(now)
            return self._access.token

    async def _refresh(self, now: datetime) -> _Access:
        """In a worker thread: it waits for the machine-wide lock, then for the endpoint."""
        return await asyncio.to_thread(self._refresh_locked, now)

    def _refresh_locked(self, now: datetime) -> _Access:
        with self.store.locked():
            return self._refresh_now(now)

    def _refresh_now(self, now: datetime) -> _Access:
        auth = self.auth
        refresh = self.store.load() or (
            auth.oauth_refresh_token.get_secret_value() if auth.oauth_refresh_token else None
        )
        if not refresh:
            raise OAuthRevoked(self._login_hint("no refresh token is stored"))
        secret = auth.oauth_client_secret.get_secret_value() if auth.oauth_client_secret else None
        client = OAuth2Client(
            client_id=auth.oauth_client_id,
            client_secret=secret,
            token_endpoint_auth_method="client_secret_post" if secret else "none",
            timeout=30,
        )
        try:
            with client:
                token: dict[str, Any] = client.refresh_token(
                    auth.token_url, refresh_token=refresh, scope=auth.scope or None
                )
        except OAuthError as error:
            if error.error in ("invalid_grant", "unauthorized_client", "invalid_client"):
                raise OAuthRevoked(self._login_hint(f"the provider said {error.error}")) from None
            raise UpstreamError(
                f"the OAuth token endpoint refused a refresh ({error.error}); retry later"
            ) from None
        except OSError as error:
            raise UpstreamError(
                f"cannot reach the OAuth token endpoint ({type(error).__name__}); retry later"
            ) from None
        access = str(token.get("access_token") or "")
        if not access:
            raise UpstreamError("the OAuth token endpoint answered without an access token")
        register_secret(access)
        rotated = token.get("refresh_token")
        if rotated and rotated != refresh:
            register_secret(str(rotated))
            self.store.save(str(rotated))
        lifetime = float(token.get("expires_in") or 3600)
        log.info("OAuth access token for %s refreshed (valid %.0f s)", self.user, lifetime)
        margin = min(REFRESH_BEFORE, timedelta(seconds=lifetime / 4))
        return _Access(access, now + timedelta(seconds=lifetime), margin)

    def _login_hint(self, why: str) -> str:
        provider = self.auth.oauth_provider if self.auth.oauth_provider != "custom" else "…"
        return (
            f"the mailbox {self.user} is no longer authorized ({why}): its grant was revoked "
            f"or expired. Sign in again with `ai-employee mail login {provider}` on the "
            "laptop, and carry the token to this machine as that command says"
        )
