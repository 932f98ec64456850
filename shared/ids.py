"""Identifiers that are safe file names: task ids, approval ids, and their validation.

The tools' JSON schemas carry the same rule as a ``pattern`` and ``maxLength``
(:data:`TASK_ID_PATTERN`, :data:`APPROVAL_ID_PATTERN`), so a model sees it before it calls;
the checks here stay the ones that decide, with their error messages."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime
from typing import Annotated, Any, Final

from pydantic import AfterValidator, Field

__all__ = [
    "APPROVAL_ID_PATTERN",
    "MAX_ID_LEN",
    "TASK_ID_PATTERN",
    "ApprovalId",
    "TaskId",
    "approval_id_for",
    "check_approval_id",
    "check_task_id",
    "new_task_id",
    "task_id_for",
]

TASK_ID_PATTERN: Final = r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)+$"
# the task id rule for an id that starts with 'appr-' (check_approval_id)
APPROVAL_ID_PATTERN: Final = r"^appr(?:-[a-z0-9]+)+$"
_ID_RE: Final = re.compile(TASK_ID_PATTERN)
MAX_ID_LEN: Final = 64


def _check(kind: str, value: str, where: str) -> str:
    if len(value) > MAX_ID_LEN or not _ID_RE.fullmatch(value):
        shown = value if len(value) <= 80 else value[:77] + "..."
        raise ValueError(
            f"{kind} {shown!r} is not valid: ids are lowercase letters, digits and single "
            f"hyphens (at most {MAX_ID_LEN} characters), exactly as {where} returns them"
        )
    return value


def check_task_id(value: str) -> str:
    return _check("task id", value, "task_list or task_create")


def check_approval_id(value: str) -> str:
    if not value.startswith("appr-"):
        raise ValueError(
            f"approval id {value[:80]!r} is not valid: approval ids start with 'appr-', "
            "exactly as approval_request or approval_list returns them"
        )
    return _check("approval id", value, "approval_list or approval_request")


def _id_schema(pattern: str) -> dict[str, Any]:
    # in the schema only: pydantic's own pattern check would answer first, with a message
    # that names a regular expression instead of the rule
    return {"pattern": pattern, "maxLength": MAX_ID_LEN}


TaskId = Annotated[
    str,
    AfterValidator(check_task_id),
    Field(
        description="Task id, e.g. email-3f9a0c1d2b4e, as task_list or task_create returns it",
        json_schema_extra=_id_schema(TASK_ID_PATTERN),
    ),
]
ApprovalId = Annotated[
    str,
    AfterValidator(check_approval_id),
    Field(
        description="Approval id, e.g. appr-1a2b3c4d5e6f7a8b, as approval_list returns it",
        json_schema_extra=_id_schema(APPROVAL_ID_PATTERN),
    ),
]


def _digest(*parts: str, length: int) -> str:
    h = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return h[:length]


def task_id_for(domain: str, source_id: str) -> str:
    """The same source (a Message-ID, an invoice id) always gives the same task id."""
    return f"{domain}-{_digest(domain, source_id.strip(), length=12)}"


def new_task_id(domain: str, now: datetime) -> str:
    """A fresh id for work with no source id: sortable by creation time, never reused."""
    return f"{domain}-{now:%Y%m%d%H%M%S}-{secrets.token_hex(3)}"


def approval_id_for(task_id: str, action: str, params_hash: str, requester: str) -> str:
    """Stable per request, so asking twice (after a crash) gives the same approval."""
    return f"appr-{_digest(task_id, action, params_hash, requester, length=16)}"
