"""What the scripted model reads from a request: the task it was given (the ``-p`` prompt),
the tool calls it made so far and what each returned, and the tools it was offered."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Ask", "Brief", "Outcome", "ToolCall", "Transcript"]


@dataclass(frozen=True)
class Ask:
    """A tool call the model decides to make (its id is given when the turn is sent)."""

    name: str
    input: dict[str, Any]


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    input: dict[str, Any]


@dataclass(frozen=True)
class Outcome:
    """A ``tool_result`` block: the tool's text (its JSON for our tools), or the error."""

    text: str
    is_error: bool
    references: tuple[str, ...] = ()  # tools a ToolSearch found

    def data(self) -> Any:
        try:
            return json.loads(self.text)
        except ValueError:
            return None


@dataclass(frozen=True)
class Brief:
    """The orchestrator's prompt, read the way a model would: which skill, which task or
    approval."""

    prompt: str
    skill: str | None
    task_id: str | None
    approval_id: str | None

    @classmethod
    def read(cls, prompt: str) -> Brief:
        skill = re.search(r"\bthe ([a-z][a-z-]+) skill\b", prompt)
        approval = re.search(r"\bapproval (appr-[a-z0-9-]+)", prompt)
        task = re.search(r"\btask ([a-z][a-z0-9-]+)", prompt)
        return cls(
            prompt,
            skill.group(1) if skill else None,
            task.group(1) if task else None,
            approval.group(1) if approval else None,
        )


@dataclass
class Transcript:
    prompt: str
    offered: list[str]
    calls: dict[str, ToolCall] = field(default_factory=dict)
    outcomes: dict[str, Outcome] = field(default_factory=dict)

    @classmethod
    def of(cls, body: dict[str, Any]) -> Transcript:
        transcript = cls(_prompt(body), [t.get("name", "") for t in body.get("tools", [])])
        for message in body.get("messages", []):
            content = message.get("content")
            if not isinstance(content, list):
                continue
            for block in content:
                if block.get("type") == "tool_use":
                    transcript.calls[block["id"]] = ToolCall(
                        block["id"], block["name"], block.get("input") or {}
                    )
                elif block.get("type") == "tool_result":
                    transcript.outcomes[block["tool_use_id"]] = _outcome(block)
        return transcript


def _prompt(body: dict[str, Any]) -> str:
    """The first user text that Claude Code did not add itself."""
    for message in body.get("messages", []):
        if message.get("role") != "user":
            continue
        content = message.get("content")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        for block in blocks or []:
            text = block.get("text", "") if block.get("type") == "text" else ""
            if text and not text.lstrip().startswith("<system-reminder>"):
                return str(text)
    return ""


def _outcome(block: dict[str, Any]) -> Outcome:
    content = block.get("content")
    if isinstance(content, str):
        return Outcome(content, bool(block.get("is_error")))
    texts, references = [], []
    for part in content or []:
        if part.get("type") == "text":
            texts.append(part.get("text", ""))
        elif part.get("type") == "tool_reference":
            references.append(part.get("tool_name", ""))
    return Outcome("\n".join(texts), bool(block.get("is_error")), tuple(references))
