"""The tool calls Claude Code made, read back from recorded Messages API requests (one JSON
object per line: ``{"at": <unix time>, "path": ..., "body": <the request>}``), for the
demo's timeline. Each request of a session repeats the whole conversation so far, so a
session's last request holds all of its tool calls."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["RecordedSession", "read_sessions", "session_id"]


@dataclass(frozen=True)
class RecordedSession:
    id: str
    skill: str
    started: float
    seconds: float
    requests: int
    tools: tuple[str, ...]  # MCP tools called, in order, as ``server.tool``
    failed: tuple[str, ...]  # those that answered with an error


def read_sessions(record: Path) -> list[RecordedSession]:
    try:
        lines = record.read_text("utf-8").splitlines()
    except OSError:
        return []
    grouped: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("body", {}).get("tools"):
            grouped.setdefault(session_id(entry["body"]), []).append(entry)
    return sorted((_session(k, v) for k, v in grouped.items()), key=lambda s: s.started)


def _session(session_id: str, requests: list[dict[str, Any]]) -> RecordedSession:
    requests.sort(key=lambda r: r["at"])
    messages = requests[-1]["body"].get("messages", [])
    calls: dict[str, str] = {}
    errors: set[str] = set()
    prompt = ""
    for message in messages:
        content = message.get("content")
        if isinstance(content, str):
            content = [{"type": "text", "text": content}]
        for block in content or []:
            kind = block.get("type")
            if kind == "tool_use" and str(block.get("name", "")).startswith("mcp__"):
                calls[block["id"]] = ".".join(block["name"].split("__")[1:])
            elif kind == "tool_result" and block.get("is_error"):
                errors.add(block.get("tool_use_id", ""))
            elif kind == "text" and not prompt and message.get("role") == "user":
                text = str(block.get("text", ""))
                prompt = "" if text.lstrip().startswith("<system-reminder>") else text
    skill = re.search(r"the ([a-z-]+) skill", prompt)
    return RecordedSession(
        id=session_id,
        skill=skill.group(1) if skill else "?",
        started=float(requests[0]["at"]),
        seconds=float(requests[-1]["at"] - requests[0]["at"]),
        requests=len(requests),
        tools=tuple(calls.values()),
        failed=tuple(name for id_, name in calls.items() if id_ in errors),
    )


def session_id(body: dict[str, Any]) -> str:
    """The session id Claude Code puts in each request's ``metadata.user_id``."""
    try:
        return str(json.loads(body.get("metadata", {}).get("user_id", "{}"))["session_id"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return "unknown"
