"""Odoo 19's JSON-2 API: ``POST /json/2/<model>/<method>`` with a bearer API key.

Follows Odoo 19.0's ``addons/web/controllers/json2.py`` and ``odoo.http.Json2Dispatcher``: the
body holds the method's arguments by name plus ``ids`` and ``context``; they are bound to the
method's signature with ``inspect.signature(...).bind`` as Odoo binds them; the answer is the
bare JSON result (a recordset becomes its id list), or a real HTTP status with the object of
``odoo.http.serialize_exception`` (``name``, ``message``, ``arguments``, ``context``, ``debug``).

Checks run in Odoo's order: content type, database (``X-Odoo-Database``), API key, body, model,
method, ids given to an ``@api.model`` method, arguments, then the call in one transaction.
"""

from __future__ import annotations

import inspect
import json
import re
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from .api import to_ids
from .base import check_api_key
from .errors import AccessDenied, AccessError, MissingError, UserError, serialize
from .orm import Env, Knobs
from .store import Store

_BEARER = re.compile(r"^bearer\s+(.+)$", re.IGNORECASE)

# Odoo 19's parameter names where the stand-in's Python names differ (``name_search``'s
# ``args`` is ``domain`` since Odoo 18); the stand-in's own name is refused, as Odoo would.
_RENAMED: dict[str, dict[str, str]] = {"name_search": {"domain": "args"}}

_HTTP_NAMES = {
    400: "BadRequest",
    401: "Unauthorized",
    404: "NotFound",
    405: "MethodNotAllowed",
    422: "UnprocessableEntity",
}


class HttpError(Exception):
    """A ``werkzeug.exceptions.HTTPException`` as ``Json2Dispatcher.handle_error`` sends it."""

    def __init__(self, code: int, description: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(description, code)
        self.code, self.description = code, description
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        name = f"werkzeug.exceptions.{_HTTP_NAMES[self.code]}"
        return {
            "name": name,
            "message": self.description,
            "arguments": [self.description, self.code],
            "context": {},
            "debug": (
                "Traceback (most recent call last):\n"
                '  File "odoo-standin", line 1, in json2\n'
                f"{name}: {self.code} {_HTTP_NAMES[self.code]}: {self.description}\n"
            ),
        }


@dataclass
class Reply:
    """One HTTP answer of the JSON-2 route."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def http_status(exc: BaseException) -> int:
    """``exc.http_status`` of Odoo 19's exceptions; anything else is a 500."""
    if isinstance(exc, AccessError | AccessDenied):
        return 403
    if isinstance(exc, MissingError):
        return 404
    if isinstance(exc, UserError):  # UserError, ValidationError
        return 422
    return 500


class Json2:
    """Answers ``/json/2/<model>/<method>`` against the stand-in's store."""

    def __init__(self, store: Store, knobs: Knobs, db: str) -> None:
        self.store, self.knobs, self.db = store, knobs, db

    def handle(self, model: str, method: str, headers: Message, body: bytes) -> Reply:
        """One request; every failure becomes Odoo's status and error object."""
        try:
            return Reply(200, self._serve(model, method, headers, body))
        except HttpError as exc:
            return Reply(exc.code, exc.body(), exc.headers)
        except Exception as exc:  # Odoo serialises every other exception the same way
            return Reply(http_status(exc), serialize(exc))

    def _serve(self, model: str, method: str, headers: Message, body: bytes) -> Any:
        mimetype = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if body and mimetype != "application/json":
            raise HttpError(400, f"Unsupported content type {mimetype or 'none'!r}")
        database = headers.get("X-Odoo-Database")
        if database is not None and database != self.db:
            # Odoo serves the request without a database, where no bearer route exists.
            raise HttpError(404, "Not Found")
        with self.store.transaction():
            uid = self._authenticate(headers.get("Authorization"))
            params = self._params(body)
            ids = to_ids(params.pop("ids", None))
            context = params.pop("context", None) or {}
            env = Env(self.store, self.knobs, uid, context)
            if model not in env:
                raise HttpError(404, f"the model {model!r} does not exist")
            records = env[model]
            kind = self._kind(records, model, method)
            if kind == "model" and ids:
                raise HttpError(422, f"cannot call {model}.{method} with ids")
            bound = getattr(records, method)
            positional = [ids] if kind == "records" else []
            kwargs = self._named(method, params)
            try:
                inspect.signature(bound).bind(*positional, **kwargs)
            except TypeError as exc:
                raise HttpError(422, str(exc.args[0])) from None
            result = bound(*positional, **kwargs)
        if method == "create" and isinstance(result, int):
            return [result]  # Odoo returns the new recordset, sent as its ids
        return result

    def _authenticate(self, header: str | None) -> int:
        found = _BEARER.match(header or "")
        if not found:
            raise HttpError(
                401,
                'User not authenticated, use the "Authorization" header',
                {"WWW-Authenticate": "Bearer"},
            )
        uid = check_api_key(self.store, found.group(1).strip())
        if uid is None:
            raise HttpError(401, "Invalid apikey", {"WWW-Authenticate": "Bearer"})
        return uid

    @staticmethod
    def _params(body: bytes) -> dict[str, Any]:
        if not body:
            return {}
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise HttpError(400, f"could not parse the body as json: {exc.args[0]}") from None
        return dict(data) if isinstance(data, dict) else {}  # Odoo ignores a non-object body

    @staticmethod
    def _kind(records: Any, model: str, method: str) -> str:
        if method.startswith("_"):
            raise AccessError(
                f"Private methods (such as '{model}.{method}') cannot be called remotely."
            )
        kind = getattr(getattr(type(records), method, None), "_rpc", None)
        if kind is None:
            raise HttpError(404, f"The method '{model}.{method}' does not exist")
        return str(kind)

    @staticmethod
    def _named(method: str, params: dict[str, Any]) -> dict[str, Any]:
        renamed = _RENAMED.get(method, {})
        out = {}
        for key, value in params.items():
            if key in renamed.values():
                raise HttpError(422, f"got an unexpected keyword argument {key!r}")
            out[renamed.get(key, key)] = value
        return out

    def version(self) -> dict[str, Any]:
        """``GET /web/version``: what replaces ``common.version`` in Odoo 19."""
        info = self.knobs.version_info()
        return {"version_info": info["server_version_info"], "version": self.knobs.version}
