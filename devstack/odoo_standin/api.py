"""Decorators marking the methods RPC may call, as ``odoo.api`` does."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def api_model(fn: F) -> F:
    """Expose ``fn`` over RPC as a model method (no ids)."""
    fn._rpc = "model"  # type: ignore[attr-defined]
    return fn


def api_records(fn: F) -> F:
    """Expose ``fn`` over RPC as a record method (the first positional argument is the ids)."""
    fn._rpc = "records"  # type: ignore[attr-defined]
    return fn


def to_ids(value: Any) -> list[int]:
    """Odoo's ``browse`` argument: an int, a list of ints, or nothing."""
    if value is None or value is False:
        return []
    if isinstance(value, int):
        return [value]
    return [int(v) for v in value]
