"""How long one tool result may be, and the compact JSON it is measured in.

A result's text block is what a model reads. Claude Code warns at 10,000 tokens, cuts at
25,000 and saves a larger result to a file the model then has to read back, so every
result stays under :data:`TEXT_BUDGET` characters (about 20,000 tokens at four characters
a token). Lists page: a page holds at most ``limit`` items and is cut shorter when its
items would take more than :data:`PAGE_BUDGET`; ``next_offset`` continues either way.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final

from pydantic import BaseModel

__all__ = ["PAGE_BUDGET", "TEXT_BUDGET", "compact", "fitting", "size"]

TEXT_BUDGET: Final = 80_000
# what a page's items may take; the rest is the page's own fields (totals, offsets, folder)
PAGE_BUDGET: Final = 72_000


def compact(value: Any) -> str:
    """JSON without indentation or spaces, non-ASCII as is: what a result's text block holds."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def size(item: BaseModel | dict[str, Any]) -> int:
    """Characters ``item`` takes in a compact text block."""
    data = item.model_dump(mode="json", by_alias=True) if isinstance(item, BaseModel) else item
    return len(compact(data))


def fitting(items: Sequence[BaseModel | dict[str, Any]], budget: int = PAGE_BUDGET) -> int:
    """How many of ``items``, from the first, fit in ``budget`` characters: at least one, so
    that paging always moves on."""
    used = 0
    for count, item in enumerate(items):
        used += size(item) + 1  # the comma
        if used > budget:
            return max(count, 1)
    return len(items)
