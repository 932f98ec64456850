"""Reading what the scripted model recorded: one ``Session`` per ``claude -p`` run (Claude
Code sends its session id in each request's metadata), with the tool calls in order."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.claude_sessions import session_id

from .transcript import Brief, Outcome, ToolCall, Transcript

__all__ = ["Session", "load_requests", "sessions"]


@dataclass
class Session:
    id: str
    turns: list[dict[str, Any]] = field(default_factory=list)  # requests that offered tools
    side_requests: int = 0  # titles, summaries, token counts

    @property
    def transcript(self) -> Transcript:
        return Transcript.of(self.turns[-1]["body"])

    @property
    def brief(self) -> Brief:
        return Brief.read(self.transcript.prompt)

    @property
    def seconds(self) -> float:
        return float(self.turns[-1]["at"] - self.turns[0]["at"]) if self.turns else 0.0

    def calls(self) -> list[tuple[ToolCall, Outcome | None]]:
        """Every tool call the model made, in order, with what it returned."""
        transcript = self.transcript
        return [(call, transcript.outcomes.get(id_)) for id_, call in transcript.calls.items()]

    def mcp_calls(self) -> list[tuple[ToolCall, Outcome | None]]:
        return [(c, o) for c, o in self.calls() if c.name.startswith("mcp__")]

    def searches(self) -> list[tuple[str, tuple[str, ...]]]:
        """(query, tools found) of each keyword ToolSearch."""
        return [
            (str(c.input.get("query", "")), o.references if o else ())
            for c, o in self.calls()
            if c.name == "ToolSearch" and not str(c.input.get("query", "")).startswith("select:")
        ]

    def offered(self) -> set[str]:
        return {t.get("name", "") for r in self.turns for t in r["body"].get("tools", [])}


def sessions(requests: list[dict[str, Any]]) -> list[Session]:
    """The sessions in the order they started."""
    found: dict[str, Session] = {}
    for request in sorted(requests, key=lambda r: r["at"]):
        key = session_id(request["body"])
        session = found.setdefault(key, Session(key))
        if request["body"].get("tools") and "count_tokens" not in request["path"]:
            session.turns.append(request)
        else:
            session.side_requests += 1
    return [s for s in found.values() if s.turns]


def load_requests(record_file: Path) -> list[dict[str, Any]]:
    if not record_file.is_file():
        return []
    return [json.loads(line) for line in record_file.read_text("utf-8").splitlines() if line]
