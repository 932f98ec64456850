"""The Anthropic Messages API on the wire: one assistant message, as plain JSON or as the
server-sent events a streamed request gets (the order Claude Code 2.1.331 reads)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import count
from typing import Any

__all__ = ["assistant_message", "sse_events"]

_ids = count(1)


def assistant_message(blocks: list[dict[str, Any]], stop_reason: str, model: str) -> dict[str, Any]:
    return {
        "id": f"msg_scripted_{next(_ids):06d}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": blocks,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {"input_tokens": 1, "output_tokens": 1},
    }


def sse_events(message: dict[str, Any]) -> Iterator[bytes]:
    """message_start, each block's start/delta/stop, message_delta, message_stop."""

    def event(name: str, data: dict[str, Any]) -> bytes:
        return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()

    started = {**message, "content": [], "stop_reason": None}
    yield event("message_start", {"type": "message_start", "message": started})
    for index, block in enumerate(message["content"]):
        if block["type"] == "text":
            start: dict[str, Any] = {"type": "text", "text": ""}
            delta = {"type": "text_delta", "text": block["text"]}
        else:
            start = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
            delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
        yield event(
            "content_block_start",
            {"type": "content_block_start", "index": index, "content_block": start},
        )
        yield event(
            "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
        )
        yield event("content_block_stop", {"type": "content_block_stop", "index": index})
    yield event(
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
            "usage": {"output_tokens": 1},
        },
    )
    yield event("message_stop", {"type": "message_stop"})
