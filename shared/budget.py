"""How long one tool result may be, and the compact JSON it is measured in.

A result's text block is what a model reads. Claude Code warns at 10,000 tokens, cuts at
25,000 and saves a larger result to a file the model then has to read back, so every
result stays under :data:`TEXT_BUDGET` characters (about 20,000 tokens at four characters
a token). Lists page: a page holds at most ``limit`` items and is cut shorter when its
items would take more than :data:`PAGE_BUDGET`; ``next_offset`` continues either way.
A single long result is shortened and says so: a long text is cut at its end
(:func:`trim_text`), long lists inside a result lose their last entries (:func:`cap_lists`),
each with a count of what was left out.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final, TypeVar

from pydantic import BaseModel

__all__ = [
    "PAGE_BUDGET",
    "TEXT_BUDGET",
    "cap_lists",
    "compact",
    "fitting",
    "size",
    "trim_text",
]

M = TypeVar("M", bound=BaseModel)

TEXT_BUDGET: Final = 80_000
# what a page's items (or a shortened result, before its counts of what was left out) may
# take; the rest is the result's own fields (totals, offsets, folder)
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


def trim_text(model: M, field: str, budget: int = PAGE_BUDGET) -> tuple[M, int]:
    """``model`` with its text ``field`` cut at the end so that the whole model takes at
    most ``budget`` characters, and how many characters were cut (0: it fitted)."""
    text: str = getattr(model, field)
    over = size(model) - budget
    if over <= 0:
        return model, 0
    allowed = len(compact(text)) - over  # what the field's JSON may take
    low, high = 0, len(text)  # the longest start of the text that fits: binary search
    while low < high:
        middle = (low + high + 1) // 2
        if len(compact(text[:middle])) <= allowed:
            low = middle
        else:
            high = middle - 1
    keep = low
    shortened = model.model_copy(update={field: text[:keep]})
    return shortened, len(text) - keep


def cap_lists(
    model: M, fields: Sequence[str], budget: int = PAGE_BUDGET
) -> tuple[M, dict[str, int]]:
    """``model`` with the lists ``fields`` cut short (their first entries kept, the longest
    list cut first) so that the whole model takes at most ``budget`` characters, and how
    many entries each cut list lost."""
    lists: dict[str, list[Any]] = {f: list(getattr(model, f)) for f in fields}
    kept = {f: len(items) for f, items in lists.items()}
    shortened = model
    while (over := size(shortened) - budget) > 0:
        longest = max(kept, key=lambda f: _list_size(lists[f][: kept[f]]))
        if kept[longest] == 0:
            break  # nothing left to cut: the rest of the model is over by itself
        while over > 0 and kept[longest] > 0:
            kept[longest] -= 1
            over -= _list_size(lists[longest][kept[longest] : kept[longest] + 1]) + 1
        shortened = model.model_copy(update={f: lists[f][: kept[f]] for f in fields})
    return shortened, {f: len(lists[f]) - kept[f] for f in fields if kept[f] < len(lists[f])}


def _list_size(items: Sequence[Any]) -> int:
    return len(
        compact(
            [
                i.model_dump(mode="json", by_alias=True) if isinstance(i, BaseModel) else i
                for i in items
            ]
        )
    )
