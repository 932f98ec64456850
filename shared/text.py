"""Text from outside (mail headers, names) made fit for a one-line title."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["one_line"]

_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_SPACES = re.compile(r"\s+")


def _visible(char: str) -> str:
    if char in _BIDI_CONTROLS or unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp"):
        return " "
    return char


def one_line(text: str, limit: int, empty: str = "") -> str:
    """``text`` on one line: control characters and line breaks become spaces, runs of
    white space one space; cut at ``limit`` characters with an ellipsis; ``empty`` when
    nothing visible is left."""
    line = _SPACES.sub(" ", "".join(_visible(c) for c in text)).strip()
    if not line:
        line = empty
    if len(line) > limit:
        line = line[: limit - 1].rstrip() + "…"
    return line
