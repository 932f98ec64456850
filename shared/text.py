"""Text for people: outside text (mail headers, names) made fit for a one-line title, and
how long ago something happened."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["ago", "one_line"]

_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_SPACES = re.compile(r"\s+")


def _visible(char: str) -> str:
    category = unicodedata.category(char)
    if char in _BIDI_CONTROLS or category in ("Cc", "Cs", "Co", "Cn", "Zl", "Zp"):
        return " "
    if category == "Cf":  # invisible formatting (a soft hyphen, a zero-width space): dropped
        return ""
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


def ago(seconds: float) -> str:
    """``12 s ago``, ``5 min ago``, ``1.5 h ago``; ``never`` for a negative age."""
    if seconds < 0:
        return "never"
    if seconds < 120:
        return f"{seconds:.0f} s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago"
