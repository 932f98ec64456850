"""The one door to Odoo: every remote call of the server goes through :class:`OdooClient`.

A transport speaks one wire protocol (today :class:`JsonRpcTransport`, odoorpc over
``/jsonrpc``; an Odoo 19 JSON-2 transport can sit beside it with the same three methods).
The client on top of it:

- logs in on first use, not at start, so the server lists its tools while Odoo is down;
- keeps one session and serialises its use (odoorpc is blocking: calls run in a worker
  thread, one at a time);
- logs in again once when Odoo answers ``AccessDenied`` or "Session Expired" (a restarted
  Odoo, a rotated key), then gives up with a clear error;
- turns Odoo's errors into our error tree with Odoo's own message, and a dropped or
  refused connection into :class:`OdooUnavailable` (reads are retried once; writes never
  are, since Odoo may have done them).
"""

from __future__ import annotations

import http.client
import logging
import ssl
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import anyio.to_thread
import odoorpc
import odoorpc.error

from servers.odoo_mcp.json2 import (
    Json2Fault,
    Json2LoginRefused,
    Json2Transport,
    http_client,
    plain_errors,
    server_version,
)
from shared.errors import OdooError
from shared.settings import OdooSettings

__all__ = [
    "AutoTransport",
    "JsonRpcTransport",
    "OdooClient",
    "OdooForbidden",
    "OdooLoginFailed",
    "OdooRefused",
    "OdooUnavailable",
    "Transport",
]

log = logging.getLogger(__name__)


class OdooUnavailable(OdooError):
    """Odoo could not be reached, or stopped answering."""


class OdooLoginFailed(OdooError):
    """Odoo refused our credentials."""


class OdooRefused(OdooError):
    """Odoo refused the operation (UserError, ValidationError, MissingError)."""

    def __init__(self, kind: str, odoo_message: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.odoo_message = odoo_message


class OdooForbidden(OdooRefused):
    """Odoo's access rules refused the operation (AccessError)."""


class _SessionExpired(Exception):
    pass


class Transport(Protocol):
    """One wire protocol to one Odoo database, blocking."""

    @property
    def server_version(self) -> str: ...

    def login(self) -> int: ...

    def execute_kw(
        self, model: str, method: str, args: list[Any], kwargs: dict[str, Any]
    ) -> Any: ...


class JsonRpcTransport:
    """odoorpc over ``/jsonrpc`` (Odoo 8 to 19; deprecated in 19, to be removed later)."""

    def __init__(self, settings: OdooSettings) -> None:
        self.settings = settings
        self.server_version = ""
        self._odoo: Any = None

    def _connect(self) -> Any:
        parts = urlsplit(self.settings.url)
        secure = parts.scheme == "https"
        opener = None
        if secure and (self.settings.ca_file or not self.settings.verify_tls):
            context = ssl.create_default_context(
                cafile=str(self.settings.ca_file) if self.settings.ca_file else None
            )
            if not self.settings.verify_tls:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            opener = urllib.request.build_opener(
                urllib.request.HTTPSHandler(context=context), urllib.request.HTTPCookieProcessor()
            )
        return odoorpc.ODOO(
            parts.hostname,
            protocol="jsonrpc+ssl" if secure else "jsonrpc",
            port=parts.port or (443 if secure else 80),
            timeout=self.settings.timeout_s,
            opener=opener,
        )

    def login(self) -> int:
        odoo = self._connect()
        password = self.settings.password.get_secret_value()
        try:
            odoo.login(self.settings.db, self.settings.user, password)
        except odoorpc.error.RPCError as error:
            if not isinstance(error.info, dict):  # odoorpc's "Wrong login ID or password"
                raise OdooLoginFailed(
                    f"Odoo refused the login of {self.settings.user!r} on database "
                    f"{self.settings.db!r}: check AIE_ODOO_USER and AIE_ODOO_PASSWORD "
                    "(a password or an API key)"
                ) from None
            raise
        self._odoo = odoo
        self.server_version = str(odoo.version)
        return int(odoo.env.uid)

    def execute_kw(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if self._odoo is None:
            raise _SessionExpired()
        return self._odoo.execute_kw(model, method, args, kwargs)


@dataclass
class Session:
    uid: int
    version: str

    @property
    def major(self) -> int:
        digits = self.version.split(".", 1)[0]
        return int(digits) if digits.isdigit() else 0


class OdooClient:
    """The server's one Odoo session."""

    def __init__(self, settings: OdooSettings, transport: Transport | None = None) -> None:
        self.settings = settings
        self.transport: Transport = transport or choose_transport(settings)
        self.session: Session | None = None
        self._lock = threading.Lock()
        self.context: dict[str, Any] = {}

    async def call(
        self,
        model: str,
        method: str,
        *args: Any,
        write: bool = False,
        context: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """``model.method(*args, **kwargs)`` in Odoo, as the configured user."""
        kwargs["context"] = {**self.context, **(context or {})}
        return await anyio.to_thread.run_sync(
            self._call_blocking, model, method, list(args), kwargs, write, abandon_on_cancel=True
        )

    async def connect(self) -> Session:
        """Log in now if not logged in yet (``account_summary`` and health checks use it)."""
        return await anyio.to_thread.run_sync(self._session_blocking, abandon_on_cancel=True)

    # -- blocking part, one thread at a time -----------------------------------------------
    def _session_blocking(self) -> Session:
        with self._lock:
            return self._ensure_session()

    def _ensure_session(self) -> Session:
        if self.session is None:
            uid = self._guard(self.transport.login)
            self.session = Session(uid, self.transport.server_version)
            self.context = {"uid": uid}
            log.info("logged in to Odoo %s as uid %s", self.session.version, uid)
        return self.session

    def _call_blocking(
        self, model: str, method: str, args: list[Any], kwargs: dict[str, Any], write: bool
    ) -> Any:
        with self._lock:
            for attempt in (1, 2):
                self._ensure_session()
                try:
                    return self._guard(
                        lambda: self.transport.execute_kw(model, method, args, kwargs)
                    )
                except _SessionExpired:
                    self.session = None
                    if attempt == 2:
                        raise OdooLoginFailed(
                            f"Odoo refused the credentials of {self.settings.user!r} again "
                            "after a new login: check AIE_ODOO_PASSWORD (an API key may have "
                            "been revoked or expired)"
                        ) from None
                except OdooUnavailable:
                    self.session = None
                    if write or attempt == 2:
                        raise
            raise AssertionError("unreachable")

    def _guard(self, operation: Any) -> Any:
        """Run one transport operation; translate what can go wrong."""
        url = self.settings.url
        try:
            return operation()
        except odoorpc.error.RPCError as error:
            raise _translate(error) from None
        except Json2LoginRefused as fault:
            raise OdooLoginFailed(
                f"Odoo refused the API key in AIE_ODOO_PASSWORD for database "
                f"{self.settings.db!r} ({fault.message}): JSON-2 takes an API key, not a "
                "password (or set AIE_ODOO_PROTOCOL=jsonrpc)"
            ) from None
        except Json2Fault as fault:
            if fault.status == 401:  # a key revoked since the login
                raise _SessionExpired() from None
            raise _refusal(fault.name, fault.message) from None
        except (urllib.error.HTTPError, http.client.HTTPException) as error:
            raise OdooUnavailable(f"Odoo at {url} answered badly ({error}); try again") from None
        except urllib.error.URLError as error:
            reason = error.reason
            if isinstance(reason, ssl.SSLError):
                raise OdooUnavailable(
                    f"TLS to Odoo at {url} failed ({reason.reason or reason}); for a private "
                    "certificate set AIE_ODOO_CA_FILE"
                ) from None
            raise OdooUnavailable(
                f"Odoo at {url} is unreachable ({reason}); the tool will work once it is up"
            ) from None
        except TimeoutError:
            raise OdooUnavailable(
                f"Odoo at {url} did not answer within {self.settings.timeout_s:g} s "
                "(AIE_ODOO_TIMEOUT_S); it may still have done a write: check before retrying"
            ) from None
        except OSError as error:
            raise OdooUnavailable(f"Odoo at {url} is unreachable ({error})") from None
        except odoorpc.error.InternalError as error:
            raise OdooError(f"Odoo client error: {error}") from None
        except (KeyError, ValueError) as error:  # odoorpc on a malformed answer
            raise OdooUnavailable(
                f"Odoo at {url} sent an answer we cannot read ({error!r})"
            ) from None


def choose_transport(settings: OdooSettings) -> Transport:
    """``AIE_ODOO_PROTOCOL``: ``jsonrpc``, ``json2``, or ``auto``, which asks the server
    its version once (``/web/version``, Odoo 19 and later) and takes JSON-2 from 19 on."""
    if settings.protocol == "json2":
        return Json2Transport(settings)
    if settings.protocol == "jsonrpc":
        return JsonRpcTransport(settings)
    return AutoTransport(settings)


class AutoTransport:
    """Picks JSON-2 or JSON-RPC at the first login, then stays with it."""

    def __init__(self, settings: OdooSettings) -> None:
        self.settings = settings
        self.chosen: Transport | None = None

    @property
    def server_version(self) -> str:
        return self.chosen.server_version if self.chosen else ""

    def login(self) -> int:
        if self.chosen is None:
            with http_client(self.settings, authorised=False) as probe:
                major, _ = plain_errors(lambda: server_version(probe))
            if major >= 19:
                self.chosen = Json2Transport(self.settings)
            else:
                self.chosen = JsonRpcTransport(self.settings)
            log.info("Odoo protocol: %s", "json2" if major >= 19 else "jsonrpc")
        return self.chosen.login()

    def execute_kw(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if self.chosen is None:
            raise _SessionExpired()
        return self.chosen.execute_kw(model, method, args, kwargs)


def _translate(error: Any) -> Exception:
    info = error.info if isinstance(error.info, dict) else {}
    data = info.get("data") or {}
    name = str(data.get("name") or "")
    message = str(data.get("message") or error)
    if name.rsplit(".", 1)[-1] == "AccessDenied" or info.get("code") == 100:
        return _SessionExpired()
    return _refusal(name, message)


def _refusal(name: str, message: str) -> Exception:
    """Odoo's exception, by its name (``odoo.exceptions.UserError``), as ours."""
    kind = name.rsplit(".", 1)[-1] or "Error"
    if kind == "AccessDenied":
        return _SessionExpired()
    if kind == "AccessError":
        return OdooForbidden(kind, message, f"Odoo refused (AccessError): {message}")
    if kind in ("UserError", "ValidationError", "MissingError", "RedirectWarning"):
        return OdooRefused(kind, message, f"Odoo refused ({kind}): {message}")
    if name in ("psycopg2.OperationalError", "psycopg2.InterfaceError"):
        # seen on a real Odoo 18 with its PostgreSQL stopped: the request fails before
        # anything is written, and Odoo itself is fine
        reason = message.strip().splitlines()[0] if message.strip() else kind
        return OdooUnavailable(
            f"Odoo cannot reach its database ({reason}); the tool will work once PostgreSQL is back"
        )
    return OdooError(f"Odoo error ({name or 'unknown'}): {message}")
