"""What an approval is: its states, the summary the tools list, the hash that binds its
parameters, and an approval cleared for execution."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field, ValidationError

from shared.errors import ParamsChanged

__all__ = ["ApprovalState", "ApprovalSummary", "Executable", "params_hash"]

ApprovalState = Literal["pending", "approved", "rejected", "executed", "conflict"]


def params_hash(action: str, params: dict[str, Any]) -> str:
    canonical = json.dumps(
        {"action": action, "params": params},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class ApprovalSummary(BaseModel):
    id: str
    task_id: str
    domain: str
    action: str
    headline: str = Field(
        default="",
        description="What the request does, rendered by this machine from its parameters",
    )
    summary: str = Field(description="The asking agent's own words (not checked)")
    state: ApprovalState
    expired: bool
    requested_by: str
    created: str
    expires: str
    path: str
    altered: bool = Field(
        default=False,
        description="Its text is not what this machine renders from its parameters: it will "
        "not execute; reject it",
    )
    decided_by: str = ""
    decided_via: str = ""
    reason: str = ""


Params = TypeVar("Params", bound=BaseModel)


@dataclass(frozen=True)
class Executable:
    """An approval cleared for execution, with the parameters to execute."""

    approval_id: str
    task_id: str
    action: str
    params: dict[str, Any]
    edited: tuple[str, ...]
    meta: dict[str, Any]
    path: Path

    def params_as(self, model: type[Params], nothing_done: str) -> Params:
        """The parameters as the action's model (:mod:`shared.actions`), or ParamsChanged
        naming the first field at fault and ending with ``nothing_done``."""
        try:
            return model.model_validate(self.params)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise ParamsChanged(
                self.approval_id,
                f"approval {self.approval_id} does not hold what {self.action} needs "
                f"({where}: {first['msg']}); {nothing_done}: ask for a new approval",
            ) from None
