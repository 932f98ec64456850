"""An OAuth 2.0 authorization server on loopback, as Google's and Microsoft's token endpoints
behave for a mail client: a refresh-token grant gives a short-lived access token (20 s in
the tests, so that refreshing and reconnecting are exercised) and, like Microsoft, a new
refresh token each time (the old one stops working). Dovecot checks access tokens against
its RFC 7662 introspection endpoint (``passdb { driver = oauth2 }``), and the private SMTP
relay asks :meth:`OAuthProvider.user_of` for SASL XOAUTH2.

    with OAuthProvider(access_ttl_s=20) as provider:
        refresh = provider.grant("ops@example.test")
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs

from devstack.loopback_http import LoopbackHttp

__all__ = ["OAuthProvider"]


@dataclass
class _Access:
    user: str
    expires: float


class OAuthProvider:
    def __init__(self, access_ttl_s: float = 20.0, rotate: bool = True) -> None:
        self.access_ttl_s = access_ttl_s
        self.rotate = rotate
        self.refreshes = 0
        self._refresh: dict[str, str] = {}  # refresh token -> user
        self._access: dict[str, _Access] = {}
        self._devices: dict[str, dict[str, str]] = {}  # device code -> user code, user
        self._codes: dict[str, tuple[str, str]] = {}  # authorization code -> user, challenge
        self.signs_in_as = "ops@example.test"  # who consents at /authorize
        self._lock = threading.Lock()
        self.http = LoopbackHttp(_handler(self))
        self.port = self.http.port

    @property
    def token_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/token"

    @property
    def introspection_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/introspect"

    @property
    def device_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/devicecode"

    @property
    def authorize_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/authorize"

    def __enter__(self) -> OAuthProvider:
        self.http.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.http.stop()

    # -- what a test does as the account's owner or its admin --------------------------------
    def grant(self, user: str) -> str:
        """The first refresh token, as the consent screen would give it."""
        token = "rt-" + secrets.token_urlsafe(24)
        with self._lock:
            self._refresh[token] = user
        return token

    def revoke(self, user: str) -> None:
        """The owner (or an admin) revokes the app: refresh and access tokens stop working."""
        with self._lock:
            self._refresh = {t: u for t, u in self._refresh.items() if u != user}
            self._access = {t: a for t, a in self._access.items() if a.user != user}

    def expire_access_tokens(self) -> None:
        """Every access token expires now, as a server-side invalidation does."""
        with self._lock:
            self._access.clear()

    def approve_device(self, user_code: str, user: str) -> None:
        """The person entered the code and signed in as ``user``."""
        with self._lock:
            for device in self._devices.values():
                if device["user_code"] == user_code:
                    device["user"] = user

    def user_of(self, access_token: str) -> str | None:
        with self._lock:
            found = self._access.get(access_token)
        if found is None or found.expires <= time.monotonic():
            return None
        return found.user

    # -- the endpoints ------------------------------------------------------------------------
    def device_code(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        code, user_code = secrets.token_urlsafe(16), secrets.token_hex(4).upper()
        with self._lock:
            self._devices[code] = {"user_code": user_code, "user": ""}
        return 200, {
            "device_code": code,
            "user_code": user_code,
            "verification_uri": f"http://127.0.0.1:{self.port}/device",
            "expires_in": 60,
            "interval": 0.2,
        }

    def authorize(self, query: dict[str, str]) -> str:
        """The consent screen, answered at once: where the browser is sent next."""
        code = secrets.token_urlsafe(16)
        with self._lock:
            self._codes[code] = (self.signs_in_as, query.get("code_challenge", ""))
        return f"{query['redirect_uri']}?code={code}&state={query.get('state', '')}"

    def _issue(self, user: str, form: dict[str, str]) -> dict[str, Any]:
        self.refreshes += 1
        access = "at-" + secrets.token_urlsafe(24)
        self._access[access] = _Access(user, time.monotonic() + self.access_ttl_s)
        refresh = "rt-" + secrets.token_urlsafe(24)
        self._refresh[refresh] = user
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.access_ttl_s,
            "refresh_token": refresh,
            "scope": form.get("scope", ""),
        }

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        grant = form.get("grant_type")
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            with self._lock:
                device = self._devices.get(form.get("device_code", ""))
                if device is None:
                    return 400, {"error": "expired_token"}
                if not device["user"]:
                    return 400, {"error": "authorization_pending"}
                del self._devices[form["device_code"]]
                return 200, self._issue(device["user"], form)
        if grant == "authorization_code":
            with self._lock:
                found = self._codes.pop(form.get("code", ""), None)
            if found is None:
                return 400, {"error": "invalid_grant"}
            consented, challenge = found
            verifier = form.get("code_verifier", "")
            digest = hashlib.sha256(verifier.encode()).digest()
            if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != challenge:
                return 400, {"error": "invalid_grant", "error_description": "PKCE failed"}
            with self._lock:
                return 200, self._issue(consented, form)
        if grant != "refresh_token":
            return 400, {"error": "unsupported_grant_type"}
        with self._lock:
            user = self._refresh.get(form.get("refresh_token", ""))
            if user is None:
                return 400, {"error": "invalid_grant", "error_description": "token revoked"}
            self.refreshes += 1
            access = "at-" + secrets.token_urlsafe(24)
            self._access[access] = _Access(user, time.monotonic() + self.access_ttl_s)
            answer: dict[str, Any] = {
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": self.access_ttl_s,
                "scope": form.get("scope", ""),
            }
            if self.rotate:
                del self._refresh[form["refresh_token"]]
                rotated = "rt-" + secrets.token_urlsafe(24)
                self._refresh[rotated] = user
                answer["refresh_token"] = rotated
        return 200, answer

    def introspect(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        user = self.user_of(form.get("token", ""))
        return 200, ({"active": True, "email": user} if user else {"active": False})


def _handler(provider: OAuthProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode("utf-8", "replace")
            form = {k: v[0] for k, v in parse_qs(raw).items()}
            route = self.path.split("?", 1)[0]
            if route == "/token":
                status, body = provider.token(form)
            elif route == "/introspect":
                status, body = provider.introspect(form)
            elif route == "/devicecode":
                status, body = provider.device_code(form)
            else:
                status, body = 404, {"error": "not_found"}
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            route, _, raw = self.path.partition("?")
            if route != "/authorize":
                self.send_response(404)
                self.end_headers()
                return
            query = {k: v[0] for k, v in parse_qs(raw).items()}
            self.send_response(302)
            self.send_header("Location", provider.authorize(query))
            self.end_headers()

        def log_message(self, *args: Any) -> None:  # quiet
            return

    return Handler
