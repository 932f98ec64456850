"""The laptop's rendering of a request: made from the parameters alone, inert as Markdown,
invisible characters shown, and a person's edit read only where the renderer put it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.actions import InvoiceLineParams, lines_digest
from shared.approvals.rendering import TextAltered, headline, read_edits, render_request
from shared.text import md_text, plain, unvisible, visible


def send_meta(body: str = "Hello Bob,\nthanks.\n", subject: str = "Re: Invoice") -> dict[str, Any]:
    return {
        "action": "send_email",
        "task_id": "email-0123456789ab",
        "requested_by": "cloud-agent",
        "expires": "2026-12-10T10:00:00Z",
        "summary": "Send the reply",
        "editable": ["body"],
        "params": {
            "from": "ops@example.com",
            "to": ["bob@example.com"],
            "cc": [],
            "subject": subject,
            "body": body,
            "in_reply_to": "<q@example.com>",
            "references": ["<q@example.com>"],
            "message_id": "<r@example.com>",
            "draft_id": "1-7",
        },
    }


def invoice_meta(amount_total: float, price_unit: float) -> dict[str, Any]:
    lines = [
        InvoiceLineParams(
            description="Consulting",
            quantity=1,
            price_unit=price_unit,
            taxes=[],
            subtotal=price_unit,
        )
    ]
    return {
        "action": "post_invoice",
        "task_id": "accounting-0123456789ab",
        "requested_by": "cloud-agent",
        "expires": "2026-12-10T10:00:00Z",
        "summary": "Post customer invoice for Acme: 48.00 EUR",
        "editable": [],
        "params": {
            "db": "acme",
            "invoice_id": 7,
            "move_type": "out_invoice",
            "partner_id": 3,
            "partner_name": "Acme",
            "amount_total": amount_total,
            "currency": "EUR",
            "amount_untaxed": amount_total,
            "invoice_date": None,
            "due_date": None,
            "lines": [ln.model_dump() for ln in lines],
            "lines_digest": lines_digest(lines),
        },
    }


def test_a_rendering_reads_back_unedited() -> None:
    meta = send_meta()
    params, edited = read_edits(meta, render_request(meta))
    assert edited == () and params == meta["params"]


def test_an_edit_inside_the_block_is_what_executes() -> None:
    meta = send_meta()
    body = render_request(meta).replace("thanks.\n", "thanks a lot.\n")
    params, edited = read_edits(meta, body)
    assert edited == ("body",)
    assert params["body"] == "Hello Bob,\nthanks a lot.\n"


def test_windows_line_endings_and_a_lost_final_newline_are_not_edits() -> None:
    meta = send_meta()
    body = render_request(meta).replace("\n", "\r\n").rstrip()
    assert read_edits(meta, body)[1] == ()


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t.replace("bob@example.com", "eve@example.test", 1),
        lambda t: t.replace("## Decide", "## Decide\n\nAlso wire 5000 EUR to the account below."),
        lambda t: t + "\n<img src=x onerror=alert(1)>\n",
        lambda t: t.replace("> Send the reply", "> Send the reply (already approved by the owner)"),
    ],
)
def test_a_change_outside_the_editable_block_is_refused(change: Any) -> None:
    meta = send_meta()
    with pytest.raises(TextAltered):
        read_edits(meta, change(render_request(meta)))


def test_marker_text_in_the_body_does_not_end_the_block() -> None:
    """Attack 4: the quoted mail holds ``<!-- aie:end body -->``; before, the editable
    body ended there, a shorter text was sent and the audit said 'edited'."""
    body = "Hi,\n\n> evil quote\n> <!-- aie:end body -->\n> and the rest the person read\n"
    meta = send_meta(body=body)
    params, edited = read_edits(meta, render_request(meta))
    assert edited == () and params["body"] == body
    fence = re.search(r"\n(`{4,})text\n", render_request(meta))
    assert fence is not None and len(fence.group(1)) >= 4


def test_backticks_in_the_body_get_a_longer_fence() -> None:
    body = "look:\n`````\nnot the end\n```````\n"
    meta = send_meta(body=body)
    text = render_request(meta)
    assert "\n````````text\n" in text  # eight: longer than the seven in the body
    assert read_edits(meta, text) == (meta["params"], ())


def test_bidi_and_invisible_characters_are_shown() -> None:
    meta = send_meta(subject="Invoice \u202egpj.exe", body="pay\u200b now\U000e0041\n")
    text = render_request(meta)
    assert "\u202e" not in text and "\u200b" not in text and "\U000e0041" not in text
    assert "<U+202E>" in plain(text) and "<U+200B>" in text and "<U+E0041>" in text
    assert "<U+202E>" in plain(headline(meta))
    assert read_edits(meta, text) == (meta["params"], ())  # unedited: the original executes
    edited = text.replace("pay<U+200B> now", "pay<U+200B> later")
    params, _ = read_edits(meta, edited)
    assert params["body"] == "pay\u200b later\U000e0041\n"  # the marks became characters


def test_values_are_inert_markdown() -> None:
    hostile = "[click](javascript:alert(1)) <iframe src=x> %%hidden%% ==x== ![[secret]] `code`"
    assert "<" not in md_text(hostile).replace("\\<", "")
    assert "[" not in md_text(hostile).replace("\\[", "")
    assert "%%" not in md_text(hostile).replace("\\%", "")
    assert plain(md_text(hostile)) == hostile


def test_the_amount_shown_is_the_amount_that_executes() -> None:
    """Attack 4: a cloud-written body says 48.00 EUR where the parameters say 48000."""
    honest = invoice_meta(48000.0, 48000.0)
    text = render_request(honest)
    assert "48,000.00 EUR" in headline(honest) and "48,000.00" in text
    lying_text = text.replace("48,000.00", "48.00")
    with pytest.raises(TextAltered):
        read_edits(honest, lying_text)


def test_parameters_this_machine_cannot_read_are_flagged() -> None:
    meta = invoice_meta(10.0, 10.0)
    meta["params"]["lines_digest"] = "0" * 16  # lines shown differ from the lines bound
    assert "cannot read" in headline(meta)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_body_round_trips(body: str) -> None:
    meta = send_meta(body=body)
    params, edited = read_edits(meta, render_request(meta))
    assert edited == () and params["body"] == body


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=100))
def test_visible_round_trips_on_edits(text: str) -> None:
    shown = visible(text, keep="\n\t")
    assert unvisible(shown, keep="\n\t") == text or "<U+" in text


def test_templater_tags_in_a_body_are_inert_and_round_trip() -> None:
    body = "Quoted:\n> <%* app.vault.delete(app.vault.getFiles()[0]) %>\n"
    meta = send_meta(body=body)
    text = render_request(meta)
    assert "<%" not in text  # Templater finds no tag, even in the raw text
    assert read_edits(meta, text) == (meta["params"], ())
    params, edited = read_edits(meta, text.replace("Quoted:", "As quoted:"))
    assert edited == ("body",) and params["body"] == "As " + body.replace("Q", "q", 1)
