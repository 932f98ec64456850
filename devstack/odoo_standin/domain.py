"""Odoo domains (prefix ``&``/``|``/``!`` over ``[field, operator, value]`` leaves) and orders.

The ORM resolves a leaf's field path to a list of values; this module decides whether those
values satisfy the operator, with Odoo's SQL semantics (``= False`` matches unset, ``not ilike``
matches unset, an x2many matches when any of its records does).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Node = tuple[Any, ...]
OPERATORS = frozenset(
    {
        "=",
        "!=",
        "<>",
        "<",
        "<=",
        ">",
        ">=",
        "=?",
        "in",
        "not in",
        "like",
        "ilike",
        "not like",
        "not ilike",
        "=like",
        "=ilike",
        "child_of",
        "parent_of",
    }
)
NEGATIVE = {"!=": "=", "<>": "=", "not in": "in", "not like": "like", "not ilike": "ilike"}
TRUE_LEAF = (1, "=", 1)
FALSE_LEAF = (0, "=", 1)


def _is_leaf(term: Any) -> bool:
    return isinstance(term, list | tuple) and len(term) == 3


def parse(domain: Any) -> Node:
    """Turn a domain list into a tree; terms without an operator are joined with ``&``."""
    if domain in (None, False):
        return ("true",)
    if not isinstance(domain, list | tuple):
        raise ValueError(f"Invalid domain: {domain!r}")
    items = list(domain)

    def take(i: int) -> tuple[Node, int]:
        if i >= len(items):
            raise ValueError(f"Invalid domain: {domain!r}")
        tok = items[i]
        if tok == "!":
            sub, j = take(i + 1)
            return ("!", sub), j
        if tok in ("&", "|"):
            left, j = take(i + 1)
            right, k = take(j)
            return (tok, left, right), k
        if not _is_leaf(tok):
            raise ValueError(f"Invalid leaf {tok!r}")
        path, op, value = tok
        if tuple(tok) == TRUE_LEAF:
            return ("true",), i + 1
        if tuple(tok) == FALSE_LEAF:
            return ("false",), i + 1
        op = str(op).lower()
        if op not in OPERATORS or not isinstance(path, str):
            raise ValueError(f"Invalid leaf {tok!r}")
        return ("leaf", path, op, value), i + 1

    nodes: list[Node] = []
    pos = 0
    while pos < len(items):
        node, pos = take(pos)
        nodes.append(node)
    if not nodes:
        return ("true",)
    tree = nodes[-1]
    for node in reversed(nodes[:-1]):
        tree = ("&", node, tree)
    return tree


def leaves(tree: Node) -> list[Node]:
    """Every leaf of a parsed domain."""
    if tree[0] == "leaf":
        return [tree]
    if tree[0] in ("&", "|"):
        return leaves(tree[1]) + leaves(tree[2])
    if tree[0] == "!":
        return leaves(tree[1])
    return []


def evaluate(tree: Node, leaf: Callable[[str, str, Any], bool]) -> bool:
    """Evaluate a parsed domain; ``leaf(path, op, value)`` answers single conditions."""
    kind = tree[0]
    if kind == "true":
        return True
    if kind == "false":
        return False
    if kind == "!":
        return not evaluate(tree[1], leaf)
    if kind == "&":
        return evaluate(tree[1], leaf) and evaluate(tree[2], leaf)
    if kind == "|":
        return evaluate(tree[1], leaf) or evaluate(tree[2], leaf)
    return leaf(tree[1], tree[2], tree[3])


def _unset(value: Any) -> bool:
    return value is None or value is False or value == ""


def _like(value: Any, pattern: str, insensitive: bool, wrap: bool) -> bool:
    if _unset(value):
        return False
    regex = "".join(
        ".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in str(pattern)
    )
    if wrap:
        regex = f".*{regex}.*"
    flags = re.IGNORECASE | re.DOTALL if insensitive else re.DOTALL
    return re.fullmatch(regex, str(value), flags) is not None


def _single(value: Any, op: str, arg: Any) -> bool:
    if op == "=?":
        return True if _unset(arg) else _single(value, "=", arg)
    if op == "=":
        if arg is False or arg is None:
            return _unset(value)
        if isinstance(arg, bool) or isinstance(value, bool):
            return bool(value) == bool(arg)
        return bool(value == arg)
    if op in ("in", "child_of", "parent_of"):
        options = list(arg) if isinstance(arg, list | tuple) else [arg]
        if _unset(value):
            return False in options or None in options
        return bool(value in options)
    if op in ("<", "<=", ">", ">="):
        if _unset(value) or arg is None or arg is False:
            return False
        try:
            return bool(
                {"<": value < arg, "<=": value <= arg, ">": value > arg, ">=": value >= arg}[op]
            )
        except TypeError:
            return False
    if op in ("like", "ilike"):
        return _like(value, arg, op == "ilike", wrap=True)
    if op in ("=like", "=ilike"):
        return _like(value, arg, op == "=ilike", wrap=False)
    raise ValueError(f"Invalid operator {op!r}")


def compare(values: list[Any], multi: bool, op: str, arg: Any) -> bool:
    """Whether the values reached by a field path satisfy ``op arg``.

    ``multi`` says the path crosses an x2many, where ``= False`` means "empty" and a positive
    operator means "any record matches".
    """
    if op in NEGATIVE:
        positive = NEGATIVE[op]
        if not multi and positive in ("like", "ilike") and _unset(values[0] if values else None):
            return True
        return not compare(values, multi, positive, arg)
    if multi:
        if op in ("=", "in") and (_unset(arg) or arg == []):
            return not values
        return any(_single(v, op, arg) for v in values)
    return _single(values[0] if values else None, op, arg)


def parse_order(
    order: str | None, default: str, valid: Callable[[str], bool]
) -> list[tuple[str, bool]]:
    """``"name desc, id"`` → ``[("name", True), ("id", False)]``; bad specs raise ValueError."""
    spec = order or default
    out: list[tuple[str, bool]] = []
    for part in spec.split(","):
        words = part.strip().split()
        if not words:
            continue
        name = words[0]
        direction = words[1].lower() if len(words) > 1 else "asc"
        if len(words) > 3 or direction not in ("asc", "desc") or not valid(name):
            raise ValueError(
                f'Invalid "order" specified ({spec}). A valid "order" specification is a '
                "comma-separated list of valid field names (optionally followed by asc/desc "
                "for the direction)"
            )
        out.append((name, direction == "desc"))
    return out


def sort_key(value: Any) -> tuple[int, Any]:
    """A key that sorts unset values last (as PostgreSQL does in ascending order)."""
    if _unset(value) and not isinstance(value, bool):
        return (1, "")
    if isinstance(value, str):
        return (0, value.casefold())
    if isinstance(value, bool):
        return (0, int(value))
    return (0, value)
