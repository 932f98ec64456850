"""What a person reads before deciding, made by the laptop from the parameters alone.

The request file's body is written by whichever machine asked, and the cloud may be
compromised. So the laptop never trusts that text: it renders the request itself
(:func:`render_request`, a pure function of the frontmatter), shows that rendering on the
Dashboard, in ``ai-employee approve`` and in ``approval_decide``'s form, and at execution
refuses a file whose text differs from it anywhere outside the editable fields
(:func:`read_edits`).

- Every value is shown as text: Markdown, HTML and Obsidian syntax in a value are escaped,
  and an editable field sits in a fenced block longer than any run of backticks in it.
- Invisible and direction-changing characters (U+202E and friends, zero-width spaces,
  tag characters) are shown as ``<U+202E>``.
- The editable fields are found only where the renderer put them: the text before, between
  and after them must be exactly the rendering, so marker text inside a value is inert.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from shared.actions import (
    ACTION_PARAMS,
    PostInvoiceParams,
    RegisterPaymentParams,
    SendEmailParams,
)
from shared.ids import check_task_id
from shared.text import fence_for, from_block, inert_block, md_text

__all__ = ["TextAltered", "headline", "read_edits", "render_request", "rendering_digest"]

_FIELD_NAME = re.compile(r"[a-z_][a-z0-9_]{0,40}")
_MOVE_LABELS = {
    "out_invoice": "customer invoice",
    "in_invoice": "vendor bill",
    "out_refund": "customer credit note",
    "in_refund": "vendor credit note",
}


class TextAltered(ValueError):
    """The file's text is not what this machine renders from its parameters."""


def _money(amount: float, currency: str) -> str:
    return f"{amount:,.2f} {md_text(currency)}"


# -- the action views: a headline and the facts a person checks ---------------------------
def _send_email(p: SendEmailParams) -> tuple[str, list[str]]:
    title = f"Send “{md_text(p.subject)}” to {md_text(', '.join(p.to))}"
    lines = [
        "## The message",
        "",
        f"- **From:** {md_text(p.from_)}",
        f"- **To:** {md_text(', '.join(p.to))}",
    ]
    if p.cc:
        lines.append(f"- **Cc:** {md_text(', '.join(p.cc))}")
    lines += [
        f"- **Subject:** {md_text(p.subject)}",
        f"- **In reply to:** {md_text(p.in_reply_to or '-')}",
        f"- **Message-ID:** {md_text(p.message_id)}",
    ]
    return title, lines


def _invoice_label(move_type: str) -> str:
    return md_text(_MOVE_LABELS.get(move_type, move_type))


def _post_invoice(p: PostInvoiceParams) -> tuple[str, list[str]]:
    total = _money(p.amount_total, p.currency)
    title = f"Post a {_invoice_label(p.move_type)} for {md_text(p.partner_name or '?')}: {total}"
    rows = [
        f"| {md_text(ln.description)} | {ln.quantity:g} | {ln.price_unit:,.2f} | "
        f"{md_text(', '.join(ln.taxes) or 'none')} | {ln.subtotal:,.2f} |"
        for ln in p.lines
    ]
    lines = [
        f"## {_invoice_label(p.move_type)} for {md_text(p.partner_name or '?')}",
        "",
        f"**Partner**: {md_text(p.partner_name or '?')} (Odoo id {p.partner_id}) · "
        f"**Odoo invoice id** {p.invoice_id} · **database** {md_text(p.db)}  ",
        f"**Invoice date**: {md_text(p.invoice_date or 'set when posted')} · "
        f"**Due**: {md_text(p.due_date or 'on the invoice date')}",
        "",
        "| description | qty | unit price | taxes | subtotal |",
        "| --- | ---: | ---: | --- | ---: |",
        *rows,
        "",
        f"**Untaxed** {_money(p.amount_untaxed, p.currency)} · **Total** {total}",
    ]
    return title, lines


def _register_payment(p: RegisterPaymentParams) -> tuple[str, list[str]]:
    verb = "received" if p.move_type.startswith("out_") else "made"
    amount = _money(p.amount, p.currency)
    invoice = md_text(p.invoice_name or f"invoice {p.invoice_id}")
    title = f"Register a payment {verb} of {amount} on {invoice} ({md_text(p.partner_name or '?')})"
    lines = [
        f"## A payment {verb}: {amount}",
        "",
        f"**Invoice** {invoice} (Odoo id {p.invoice_id}, {_invoice_label(p.move_type)}) · "
        f"**partner** {md_text(p.partner_name or '?')} · **database** {md_text(p.db)}  ",
        f"**Invoice total** {_money(p.amount_total, p.currency)} · "
        f"**due when asked** {_money(p.residual_at_request, p.currency)}  ",
        f"**Dated** {md_text(p.payment_date or 'the day it is registered')} · "
        f"**journal** {md_text(p.journal or 'the default bank')}",
    ]
    return title, lines


_VIEWS: dict[str, Callable[[Any], tuple[str, list[str]]]] = {
    "send_email": _send_email,
    "post_invoice": _post_invoice,
    "register_payment": _register_payment,
}


def _view(action: str, params: dict[str, Any]) -> tuple[str, list[str]]:
    model: type[BaseModel] | None = ACTION_PARAMS.get(action)
    if model is None:
        return f"Run {md_text(action)}", []
    try:
        typed = model.model_validate(params)
    except ValidationError:
        return (
            f"⚠ {md_text(action)} with parameters this machine cannot read (it will refuse it)",
            [],
        )
    return _VIEWS[action](typed)


def headline(meta: dict[str, Any]) -> str:
    """One line saying what the request does, made from its parameters."""
    params = meta.get("params")
    return _view(str(meta.get("action", "")), params if isinstance(params, dict) else {})[0]


# -- the whole body ------------------------------------------------------------------------
@dataclass(frozen=True)
class _Edit:
    name: str
    shown: str  # the value as rendered (visible characters, plain line breaks)
    crlf: bool  # the value's lines end in CRLF (mail text does): an edit keeps them so


def _segments(meta: dict[str, Any]) -> list[str | _Edit]:
    """The body as fixed text and editable fields, alternating, fixed text first and last."""
    action = str(meta.get("action", ""))
    params = meta.get("params") if isinstance(meta.get("params"), dict) else {}
    assert isinstance(params, dict)
    editable = sorted(
        {
            n
            for n in meta.get("editable") or []
            if isinstance(n, str) and _FIELD_NAME.fullmatch(n) and isinstance(params.get(n), str)
        }
    )
    title, view = _view(action, params)
    task_id = str(meta.get("task_id", ""))
    try:
        task = f"[[{check_task_id(task_id)}]]"
    except ValueError:
        task = md_text(task_id)
    head = [
        f"# Approve: {title}",
        "",
        f"**Action** {md_text(action)} · **task** {task} · **asked by** "
        f"{md_text(meta.get('requested_by', ''))} · **expires** {md_text(meta.get('expires', ''))}",
        "",
        "> [!quote] What the asking agent wrote (its words; what executes is below)",
        f"> {md_text(meta.get('summary', ''))}",
        "",
    ]
    if view:
        head += [*view, ""]
    rows = [
        f"| {md_text(name)} | {md_text(value)} |"
        for name, value in params.items()
        if name not in editable
    ]
    head += ["## All parameters", "", "| name | value |", "| --- | --- |", *rows, ""]
    segments: list[str | _Edit] = []
    fixed = "\n".join(head) + "\n"
    for name in editable:
        value = params[name]
        shown = inert_block(value.replace("\r\n", "\n"))
        fence = fence_for(shown)
        fixed += (
            f"## {md_text(name)} (you may edit this before approving)\n\n"
            f"<!-- aie:edit {name} -->\n{fence}text\n"
        )
        segments += [fixed, _Edit(name, shown, "\r\n" in value)]
        fixed = f"\n{fence}\n<!-- aie:end {name} -->\n\n"
    fixed += "\n".join(
        [
            "## Decide",
            "",
            "Move this file to `Approved/` on the laptop to approve it, or to `Rejected/` to "
            "reject it (or run `ai-employee approve ID` there).",
            "Edit only the text inside the editable blocks above; any other change voids "
            "the request.",
            "",
        ]
    )
    segments.append(fixed)
    return segments


def render_request(meta: dict[str, Any]) -> str:
    """The body of a request file, as this machine renders it from the frontmatter."""
    return "".join(s if isinstance(s, str) else s.shown for s in _segments(meta))


def rendering_digest(meta: dict[str, Any]) -> str:
    """A digest of what a person is shown: binds a decision to the text they read."""
    return hashlib.sha256(render_request(meta).encode("utf-8")).hexdigest()[:16]


def _normal(text: str) -> str:
    return text.replace("\r\n", "\n").rstrip() + "\n"


def read_edits(meta: dict[str, Any], body: str) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The parameters to execute and the fields a person edited; :class:`TextAltered` when
    the text outside the editable fields is not exactly this machine's rendering."""
    segments = _segments(meta)
    text = _normal(body)
    fixed = [s for s in segments if isinstance(s, str)]
    edits = [s for s in segments if isinstance(s, _Edit)]
    if not edits:
        if text != _normal(fixed[0]):
            raise TextAltered(_first_difference(text, _normal(fixed[0])))
        return dict(meta.get("params") or {}), ()
    if not text.startswith(fixed[0]):
        raise TextAltered(_first_difference(text, fixed[0]))
    pos = len(fixed[0])
    found: list[str] = []
    for middle in fixed[1:-1]:
        at = text.find(middle, pos)
        if at < 0:
            raise TextAltered("the text between two editable blocks changed")
        found.append(text[pos:at])
        pos = at + len(middle)
    rest, tail = text[pos:], _normal(fixed[-1])
    if not rest.endswith(tail):
        raise TextAltered("the end of an editable block, or the text after it, changed")
    found.append(rest[: len(rest) - len(tail)])
    params = dict(meta.get("params") or {})
    edited = []
    for edit, written in zip(edits, found, strict=True):
        if written != edit.shown:
            text = from_block(written)
            params[edit.name] = text.replace("\n", "\r\n") if edit.crlf else text
            edited.append(edit.name)
    return params, tuple(edited)


def _first_difference(text: str, expected: str) -> str:
    line = 1
    for a, b in zip(text, expected, strict=False):
        if a != b:
            break
        line += a == "\n"
    return f"line {line} differs from what this machine renders from the parameters"


def check_renderable(meta: dict[str, Any]) -> None:
    """Refuse, when asking, an editable value that holds the text that separates fields
    (only possible with two or more editable fields): its edits could not be told apart."""
    segments = _segments(meta)
    middles = [s for s in segments[1:-1] if isinstance(s, str)]
    for segment in segments:
        if isinstance(segment, _Edit) and any(m in segment.shown for m in middles):
            raise TextAltered(f"editable field {segment.name!r} holds the approval's own markers")
