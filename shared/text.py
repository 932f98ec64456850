"""Text for people: outside text (mail headers, names) made fit for a one-line title; any
text made inert for Markdown (Obsidian renders the vault: a link, an image, an HTML tag, a
Templater or Dataview block in a mail must show as written, never act); invisible and
direction-changing characters made visible; and how long ago something happened."""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

__all__ = [
    "ago",
    "fence_for",
    "fenced",
    "from_block",
    "inert_block",
    "md_text",
    "one_line",
    "plain",
    "unvisible",
    "visible",
]

_SHOWN_CATEGORIES = ("Cc", "Cf", "Co", "Cn", "Cs", "Zl", "Zp")
_CODE = re.compile(r"<U\+([0-9A-F]{4,6})>")
_MD_ACTIVE = re.compile(r"([\\`*_\[\]<>|~=$%#!&{}^])")
_MD_ESCAPED = re.compile(r"\\([\\`*_\[\]<>|~=$%#!&{}^])")


def _is_hidden_char(char: str, keep: str) -> bool:
    return char not in keep and unicodedata.category(char) in _SHOWN_CATEGORIES


def visible(text: str, keep: str = "") -> str:
    """``text`` with every invisible, control or direction-changing character written as
    ``<U+XXXX>``; the characters in ``keep`` (line breaks in a multi-line field) stay."""
    return "".join(f"<U+{ord(c):04X}>" if _is_hidden_char(c, keep) else c for c in text)


def unvisible(text: str, keep: str = "") -> str:
    """The inverse of :func:`visible` for a person's edit: a ``<U+XXXX>`` that
    :func:`visible` would write becomes its character again."""

    def back(match: re.Match[str]) -> str:
        code = int(match.group(1), 16)
        char = chr(code) if code <= 0x10FFFF else ""
        return char if char and _is_hidden_char(char, keep) else match.group(0)

    return _CODE.sub(back, text)


def md_text(value: Any) -> str:
    """Any value as one line of inert Markdown text: visible characters, Markdown and HTML
    syntax escaped (a link, a tag, an Obsidian comment or embed shows as written)."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return _MD_ACTIVE.sub(r"\\\1", visible(text))


def plain(markdown: str) -> str:
    """Rendered text for a terminal: the Markdown escapes of :func:`md_text` taken out again
    (the characters stay visible, ``<U+202E>`` included)."""
    return _MD_ESCAPED.sub(r"\1", markdown)


_TEMPLATER_OPEN = "<%"
_TEMPLATER_INERT = "<\u2060%"  # a word joiner between: the same to the eye, no tag


def inert_block(text: str) -> str:
    """Multi-line text for a fenced block: characters made visible, and Templater's ``<%``
    broken (Templater reads a new file's raw text, code blocks included)."""
    return visible(text, keep="\n\t").replace(_TEMPLATER_OPEN, _TEMPLATER_INERT)


def from_block(text: str) -> str:
    """The inverse of :func:`inert_block`, for a person's edit of such a block."""
    return unvisible(text.replace(_TEMPLATER_INERT, _TEMPLATER_OPEN), keep="\n\t")


def fence_for(text: str) -> str:
    """A code fence longer than any run of backticks in ``text``: nothing in it can end it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(4, longest + 1)


def fenced(text: str) -> str:
    """Multi-line outside text (a mail's body) as a fenced block Obsidian shows verbatim:
    Markdown, HTML, code blocks, Templater tags and links inside it are text."""
    shown = inert_block(text.replace("\r\n", "\n"))
    fence = fence_for(shown)
    return f"{fence}text\n{shown}\n{fence}"

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
