"""Odoo's exception family as the stand-in raises it, and how each one goes on the wire.

Tree (as in ``odoo.exceptions``)::

    OdooError                      (stand-in root, never sent by that name)
    ├── UserError                  odoo.exceptions.UserError
    │   ├── AccessError            odoo.exceptions.AccessError
    │   ├── MissingError           odoo.exceptions.MissingError
    │   └── ValidationError        odoo.exceptions.ValidationError
    ├── AccessDenied               odoo.exceptions.AccessDenied
    └── DatabaseMissing            psycopg2.OperationalError

Plain Python exceptions (``ValueError``, ``AttributeError``, ``TypeError``, ``KeyError``) are raised
as themselves and serialised as ``builtins.<Name>``, as Odoo does.
"""

from __future__ import annotations

import traceback
from typing import Any

# Odoo's XML-RPC fault codes (odoo/addons/base/controllers/rpc.py).
FAULT_APPLICATION_ERROR = 1
FAULT_WARNING = 2
FAULT_ACCESS_DENIED = 3
FAULT_ACCESS_ERROR = 4


class OdooError(Exception):
    """Root of the stand-in's Odoo exceptions; ``odoo_name`` is what goes on the wire."""

    odoo_name = "odoo.exceptions.UserError"
    fault_code = FAULT_WARNING

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UserError(OdooError):
    """A business rule refused the call."""


class AccessError(UserError):
    """The user lacks a group or an access right."""

    odoo_name = "odoo.exceptions.AccessError"
    fault_code = FAULT_ACCESS_ERROR


class MissingError(UserError):
    """A record id does not exist (any more)."""

    odoo_name = "odoo.exceptions.MissingError"


class ValidationError(UserError):
    """A constraint failed (Odoo also uses it for converted SQL errors)."""

    odoo_name = "odoo.exceptions.ValidationError"


class AccessDenied(OdooError):
    """Bad credentials on an object call."""

    odoo_name = "odoo.exceptions.AccessDenied"
    fault_code = FAULT_ACCESS_DENIED

    def __init__(self, message: str = "Access Denied") -> None:
        super().__init__(message)


class DatabaseMissing(OdooError):
    """The database named in the call does not exist."""

    odoo_name = "psycopg2.OperationalError"
    fault_code = FAULT_APPLICATION_ERROR

    def __init__(self, db: str) -> None:
        super().__init__(
            'connection to server on socket "/var/run/postgresql/.s.PGSQL.5432" failed: '
            f'FATAL:  database "{db}" does not exist\n'
        )


def missing(model: str, ids: list[int], uid: int) -> MissingError:
    """Odoo's MissingError text for ``ids`` of ``model``."""
    recs = ", ".join(str(i) for i in ids) + ("," if len(ids) == 1 else "")
    return MissingError(
        f"Record does not exist or has been deleted.\n(Record: {model}({recs}), User: {uid})"
    )


def wire_name(exc: BaseException) -> str:
    """The dotted exception name Odoo puts in ``error.data.name``."""
    if isinstance(exc, OdooError):
        return exc.odoo_name
    cls = type(exc)
    return f"{cls.__module__}.{cls.__name__}"


def debug_text(exc: BaseException) -> str:
    """A traceback-shaped ``debug`` string ending in Odoo's ``name: message`` line."""
    if isinstance(exc, OdooError):
        return (
            "Traceback (most recent call last):\n"
            '  File "odoo-standin", line 1, in dispatch\n'
            f"{exc.odoo_name}: {exc}\n"
        )
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def serialize(exc: BaseException) -> dict[str, Any]:
    """``odoo.http.serialize_exception``: the ``data`` member of the JSON-RPC error."""
    return {
        "name": wire_name(exc),
        "debug": debug_text(exc),
        "message": str(exc),
        "arguments": [a if isinstance(a, str | int | float) else str(a) for a in exc.args],
        "context": {},
    }


def json_error(exc: BaseException) -> dict[str, Any]:
    """The ``error`` object of Odoo's JSON-RPC envelope (always code 200, HTTP 200)."""
    return {"code": 200, "message": "Odoo Server Error", "data": serialize(exc)}


def fault_args(exc: BaseException) -> tuple[int, str]:
    """``(faultCode, faultString)`` as ``/xmlrpc/2`` sends them (integer codes)."""
    if isinstance(exc, OdooError) and exc.fault_code != FAULT_APPLICATION_ERROR:
        return exc.fault_code, str(exc)
    return FAULT_APPLICATION_ERROR, debug_text(exc)


def legacy_fault_args(exc: BaseException) -> tuple[str, str]:
    """``(faultCode, faultString)`` as the legacy ``/xmlrpc`` route sends them (string codes)."""
    if isinstance(exc, AccessDenied):
        return "AccessDenied", str(exc)
    if isinstance(exc, AccessError):
        return f"warning -- AccessError\n\n{exc}", ""
    if isinstance(exc, MissingError):
        return f"warning -- MissingError\n\n{exc}", ""
    if isinstance(exc, UserError):
        return f"warning -- UserError\n\n{exc}", ""
    return str(exc), debug_text(exc)
