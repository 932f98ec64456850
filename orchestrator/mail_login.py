"""``ai-employee mail login google|microsoft``: the mailbox's first OAuth 2.0 sign-in.

- **Microsoft** allows the device-code flow for mail scopes: the command prints a code and
  a web address; the person signs in on any browser (a phone will do), so it works on a
  headless VM as well as on the laptop.
- **Google** does not allow the device flow for the mail scope: the command prints an
  address to open in a browser on this machine, and receives the answer on a loopback
  redirect (``http://127.0.0.1:PORT/``, with PKCE). For the VM, which has no browser, sign
  in on the laptop with ``--show-token`` and put the printed token into the VM's ``.env``
  as ``AIE_OAUTH_REFRESH_TOKEN``.

Each machine should sign in on its own: providers that rotate refresh tokens (Microsoft)
invalidate a shared one as soon as the other machine refreshes it. The refresh token is
kept in this machine's state directory (mode 600), where the email server reads it.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import OAuth2Client

from servers.email_mcp.oauth import TokenStore
from shared.settings import CoreSettings, MailAuth

__all__ = ["LoginFailed", "device_login", "loopback_login", "store_refresh_token"]

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


class LoginFailed(RuntimeError):
    """The sign-in did not complete; the message says why and what to do."""


def _client(auth: MailAuth, **extra: Any) -> OAuth2Client:
    secret = auth.oauth_client_secret.get_secret_value() if auth.oauth_client_secret else None
    return OAuth2Client(
        client_id=auth.oauth_client_id,
        client_secret=secret,
        token_endpoint_auth_method="client_secret_post" if secret else "none",
        scope=auth.scope or None,
        timeout=30,
        **extra,
    )


def device_login(
    auth: MailAuth, say: Callable[[str], None], timeout_s: float = 900.0
) -> dict[str, Any]:
    """The device-code flow (RFC 8628): show the code, wait for the person, get the tokens."""
    if not auth.device_url:
        raise LoginFailed(f"{auth.oauth_provider} offers no device sign-in for mail")
    with _client(auth) as client:
        started = client.request(
            "POST",
            auth.device_url,
            data={"client_id": auth.oauth_client_id, "scope": auth.scope},
            withhold_token=True,
        )
        if started.status_code != 200:
            raise LoginFailed(f"the provider refused to start a sign-in: {started.text[:300]}")
        device: dict[str, Any] = started.json()
        say(
            f"Open {device['verification_uri']} in any browser and enter the code "
            f"{device['user_code']} (it expires in {int(device.get('expires_in', 900)) // 60} min)."
        )
        interval = float(device.get("interval") or 5)
        deadline = time.monotonic() + min(timeout_s, float(device.get("expires_in") or 900))
        while time.monotonic() < deadline:
            time.sleep(interval)
            try:
                token: dict[str, Any] = client.fetch_token(
                    auth.token_url, grant_type=DEVICE_GRANT, device_code=device["device_code"]
                )
                return token
            except OAuthError as error:
                if error.error == "slow_down":
                    interval += 5
                elif error.error != "authorization_pending":
                    raise LoginFailed(f"the sign-in ended: {error.error}") from None
    raise LoginFailed("the code was not entered in time; run the command again")


def loopback_login(
    auth: MailAuth, say: Callable[[str], None], timeout_s: float = 600.0
) -> dict[str, Any]:
    """The installed-app flow: a browser on this machine, a redirect to a loopback port."""
    if not auth.authorize_url:
        raise LoginFailed(f"{auth.oauth_provider} has no browser sign-in address configured")
    received: dict[str, str] = {}
    done = threading.Event()

    class Redirect(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            query = parse_qs(urlsplit(self.path).query)
            received.update({k: v[0] for k, v in query.items()})
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.end_headers()
            self.wfile.write(b"Signed in: you can close this page.\n")
            done.set()

        def log_message(self, *args: Any) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Redirect)
    redirect_uri = f"http://127.0.0.1:{server.server_address[1]}/"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    verifier, state = generate_token(48), secrets.token_urlsafe(16)
    try:
        with _client(auth, redirect_uri=redirect_uri, code_challenge_method="S256") as client:
            url, _ = client.create_authorization_url(
                auth.authorize_url,
                state=state,
                code_verifier=verifier,
                access_type="offline",
                prompt="consent",
            )
            say(f"Open this address in a browser on this machine and sign in:\n{url}")
            if not done.wait(timeout_s):
                raise LoginFailed("no answer from the browser in time; run the command again")
            if received.get("state") != state or "code" not in received:
                raise LoginFailed(f"the sign-in was not completed: {received.get('error', '?')}")
            token: dict[str, Any] = client.fetch_token(
                auth.token_url, code=received["code"], code_verifier=verifier
            )
            return token
    finally:
        server.shutdown()
        server.server_close()


def store_refresh_token(
    core: CoreSettings, auth: MailAuth, user: str, token: dict[str, Any]
) -> str:
    """Keep the refresh token where the email server reads it; its path."""
    refresh = token.get("refresh_token")
    if not refresh:
        raise LoginFailed(
            "the provider gave no refresh token (for Google: revoke the app's access in the "
            "account settings and sign in again, so that it asks for offline access)"
        )
    store = TokenStore(core.state_path, auth, user)
    store.save(str(refresh))
    return str(store.path)
