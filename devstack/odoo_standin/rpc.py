"""Odoo's RPC services (``common``, ``db``, ``object``) behind JSON-RPC and XML-RPC.

:class:`Dispatcher` answers one call; the HTTP layer wraps the answer in Odoo's JSON-RPC
envelope (:func:`json_reply`) or an XML-RPC response/fault (:func:`xml_reply`). Checks run in
Odoo's order: database, credentials, private method, model, method.
"""

from __future__ import annotations

import re
import secrets
import xmlrpc.client
from typing import Any

from . import accounting, invoice_lines, payments  # noqa: F401  (register model classes)
from .base import authenticate, check_uid
from .errors import (
    AccessDenied,
    AccessError,
    DatabaseMissing,
    UserError,
    fault_args,
    json_error,
    legacy_fault_args,
)
from .orm import Env, Knobs
from .store import Store

_PRIVATE = re.compile(r"^_")


class Dispatcher:
    """Routes ``service.method(args)`` to the ORM, one SQLite transaction per call."""

    def __init__(self, store: Store, knobs: Knobs, db: str) -> None:
        self.store, self.knobs, self.db = store, knobs, db

    # -- services ------------------------------------------------------------------------
    def dispatch(self, service: str, method: str, args: list[Any]) -> Any:
        """``odoo.http.dispatch_rpc``: one of ``common``, ``db``, ``object``."""
        handler = {"common": self._common, "db": self._db, "object": self._object}[service]
        return handler(method, list(args or []))

    def _check_db(self, db: Any) -> None:
        if db != self.db:
            raise DatabaseMissing(str(db))

    def _common(self, method: str, args: list[Any]) -> Any:
        if method == "version":
            return self.knobs.version_info()
        if method in ("login", "authenticate"):
            self._check_db(args[0])
            with self.store.transaction():
                uid = authenticate(self.store, args[1], args[2])
            return uid if uid is not None else False
        if method == "about":
            return "See http://openerp.com"
        raise KeyError(f"exp_{method}")

    def _db(self, method: str, args: list[Any]) -> Any:
        if method == "list":
            return [self.db]
        if method == "server_version":
            return self.knobs.version
        if method == "db_exist":
            return args[0] == self.db
        raise KeyError(f"exp_{method}")

    def _object(self, method: str, args: list[Any]) -> Any:
        if method == "execute":
            db, uid, password, model, name, *rest = args
            return self.execute(db, uid, password, model, name, rest, {})
        if method == "execute_kw":
            db, uid, password, model, name, *rest = args
            call_args = rest[0] if rest else []
            call_kwargs = rest[1] if len(rest) > 1 else {}
            return self.execute(db, uid, password, model, name, call_args, call_kwargs)
        raise NameError(f"Method not available {method}")

    def execute(
        self,
        db: Any,
        uid: Any,
        password: Any,
        model: str,
        method: str,
        args: list[Any],
        kwargs: dict[str, Any] | None,
    ) -> Any:
        """``odoo.service.model.execute_kw`` after ``security.check``."""
        self._check_db(db)
        with self.store.transaction():
            if not check_uid(self.store, uid, password):
                raise AccessDenied()
            if _PRIVATE.match(method):
                shown = f"{model}.{method}" if self.knobs.major >= 18 else method
                raise AccessError(f"Private methods (such as {shown}) cannot be called remotely.")
            kwargs = dict(kwargs or {})
            context = kwargs.pop("context", None) or {}
            env = Env(self.store, self.knobs, int(uid), context)
            if model not in env:
                raise UserError(f"Object {model} doesn't exist")
            return env[model].call(method, list(args or []), kwargs)

    def session_authenticate(self, params: dict[str, Any]) -> dict[str, Any]:
        """``/web/session/authenticate``: session info, or AccessDenied."""
        self._check_db(params.get("db"))
        with self.store.transaction():
            uid = authenticate(self.store, params.get("login"), params.get("password"))
            if uid is None:
                raise AccessDenied()
            env = Env(self.store, self.knobs, uid)
            user = env.user()
            partner = self.store.get("res.partner", user["partner_id"]) or {}
            admin = env.has_group("base.group_system")
            return {
                "uid": uid,
                "is_system": admin,
                "is_admin": admin,
                "db": self.db,
                "user_context": env["res.users"].call("context_get", [], {}),
                "username": user["login"],
                "name": partner.get("name") or False,
                "partner_id": user["partner_id"],
                "partner_display_name": partner.get("name"),
                "company_id": user.get("company_id"),
                "session_id": secrets.token_hex(20),
                "server_version": self.knobs.version,
                "server_version_info": self.knobs.version_info()["server_version_info"],
            }

    # -- stats key -----------------------------------------------------------------------
    @staticmethod
    def call_name(service: Any, method: Any, args: Any) -> str:
        """The stats key of a call: ``common.login`` or ``res.partner.search``."""
        if service == "object" and isinstance(args, list | tuple) and len(args) >= 5:
            return f"{args[3]}.{args[4]}"
        return f"{service}.{method}"


def json_reply(
    req_id: Any, result: Any = None, error: BaseException | None = None
) -> dict[str, Any]:
    """Odoo's JSON-RPC response; a None result leaves the ``result`` key out."""
    reply: dict[str, Any] = {"jsonrpc": "2.0", "id": req_id}
    if error is not None:
        reply["error"] = json_error(error)
    elif result is not None:
        reply["result"] = result
    return reply


def xml_reply(
    result: Any = None, error: BaseException | None = None, legacy: bool = False
) -> bytes:
    """An XML-RPC response, or Odoo's fault (integer codes on /xmlrpc/2, strings on /xmlrpc)."""
    if error is None:
        try:
            text = xmlrpc.client.dumps((result,), methodresponse=True, allow_none=False)
        except TypeError as exc:  # Odoo fails the same way on a None result
            error = exc
        else:
            return text.encode("utf-8")
    code, message = legacy_fault_args(error) if legacy else fault_args(error)
    fault = xmlrpc.client.Fault(code, message)  # type: ignore[arg-type]
    return xmlrpc.client.dumps(fault, methodresponse=True, allow_none=False).encode("utf-8")
