"""A person approving on the laptop, as it happens there: they move the request file from
``Pending_Approval/`` to ``Approved/`` in Obsidian (a folder that never syncs)."""

from __future__ import annotations

import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from mcp.types import ElicitRequestParams, ElicitResult


def approve(vault: Path, pending: Path) -> Path:
    target = vault / "Approved" / pending.name
    shutil.move(pending, target)
    return target


def approve_request(vault: Path, request: dict[str, Any]) -> Path:
    """Approve what a ``*_request*`` tool returned (its ``path`` in the vault)."""
    return approve(vault, vault / request["path"])


def approve_all(vault: Path) -> list[str]:
    """Approve every request waiting in ``Pending_Approval/``; their ids."""
    moved = []
    for pending in sorted((vault / "Pending_Approval").rglob("appr-*.md")):
        approve(vault, pending)
        moved.append(pending.stem)
    return moved


def edit_field(text: str, name: str, value: str) -> str:
    """A request file's text with the editable field ``name`` changed, as a person edits it
    in Obsidian: only the lines inside its fenced block."""
    start = f"<!-- aie:edit {name} -->\n"
    head, rest = text.split(start, 1)
    fence_line, rest = rest.split("\n", 1)
    fence = fence_line.removesuffix("text")
    end = f"\n{fence}\n<!-- aie:end {name} -->"
    _, tail = rest.split(end, 1)
    return f"{head}{start}{fence_line}\n{value}{end}{tail}"


def person_answers(
    decision: str, reason: str = "", shown: list[str] | None = None
) -> Callable[[Any, ElicitRequestParams], Awaitable[ElicitResult]]:
    """An MCP client's elicitation callback: the person at the client reads the form (its
    message is kept in ``shown``) and answers ``decision``."""

    async def answer(context: Any, params: ElicitRequestParams) -> ElicitResult:
        if shown is not None:
            shown.append(params.message)
        return ElicitResult(action="accept", content={"decision": decision, "reason": reason})

    return answer
