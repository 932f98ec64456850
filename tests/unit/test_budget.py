"""The size budget's helpers on the text that costs most in JSON (quotes, line breaks,
control characters, non-ASCII), and a triage reply for a whole batch of bad mail."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from servers.email_mcp.models import TriageProblem, TriageResult
from servers.email_mcp.shown import shown_triage
from shared.budget import PAGE_BUDGET, TEXT_BUDGET, cap_lists, compact, size, trim_text


class Note(BaseModel):
    title: str
    text: str
    tags: list[str] = []
    refs: list[str] = []


@pytest.mark.parametrize(
    "piece",
    ['"quoted"\n', "\x01\x02\x1f", "é€😀", "plain text ", "\\back\\slash"],
    ids=["quotes-newlines", "control", "non-ascii", "plain", "backslashes"],
)
def test_a_long_text_is_cut_to_fit_and_no_more(piece: str) -> None:
    note = Note(title="t", text=piece * 100_000)
    cut, dropped = trim_text(note, "text")
    assert size(cut) <= PAGE_BUDGET
    assert note.text.startswith(cut.text) and len(cut.text) + dropped == len(note.text)
    longer = note.model_copy(update={"text": note.text[: len(cut.text) + len(piece)]})
    assert size(longer) > PAGE_BUDGET  # a piece more would not have fitted: cut no more
    assert trim_text(Note(title="t", text="short"), "text") == (Note(title="t", text="short"), 0)


def test_long_lists_lose_their_last_entries_longest_first() -> None:
    note = Note(title="t", text="x", tags=[f"tag {n} " * 10 for n in range(5_000)],
                refs=[f"<ref{n}@example.test>" for n in range(50)])  # fmt: skip
    cut, dropped = cap_lists(note, ["tags", "refs"])
    assert size(cut) <= PAGE_BUDGET
    assert cut.refs == note.refs and "refs" not in dropped  # the short list is whole
    assert cut.tags == note.tags[: len(cut.tags)] and dropped["tags"] > 3_000
    assert size(cut) > PAGE_BUDGET - len(compact(note.tags[len(cut.tags)])) - 1  # no more cut


def test_a_bad_batch_of_mail_is_reported_within_the_budget() -> None:
    problems = [
        TriageProblem(
            uid=n,
            message_id=f"<{'x' * 240}{n}@bad.example>",
            problem="MessageDefect: " + "a broken header " * 60,
            quarantine_task=f"email-{n:012x}",
        )  # fmt: skip
        for n in range(200)
    ]
    created = [p.quarantine_task or "" for p in problems]
    result = TriageResult(scanned=200, created=created, already_known=0, remaining=0,
                          problems=problems)  # fmt: skip
    assert size(result) > TEXT_BUDGET  # without the cut, over the budget
    shown = shown_triage(result)
    assert size(shown) <= TEXT_BUDGET
    assert shown.created == created  # an agent counts the tasks: all are listed
    assert shown.problems == problems[: len(shown.problems)]
    assert len(shown.problems) + shown.problems_not_listed == 200
