"""A tool registered ``inline`` is the same tool to a client (name, description, schemas,
results, errors) and runs on the server's event loop rather than in a worker thread."""

from __future__ import annotations

import threading
from typing import Annotated, Any

import pytest
from mcp import Client
from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from shared.serving import tool
from shared.tool_hints import ToolHints

pytestmark = pytest.mark.anyio


class Where(BaseModel):
    thread: str
    doubled: int


def _server(inline: bool) -> MCPServer[Any]:
    mcp: MCPServer[Any] = MCPServer("probe")

    @tool(mcp, ToolHints(open_world=False).read, title="Where it ran", inline=inline)
    def where(n: Annotated[int, Field(ge=0, le=10, description="A small number")]) -> Where:
        """Report the thread the tool ran on,
        and twice ``n``."""
        if n == 7:
            raise ToolError("seven is refused")
        return Where(thread=threading.current_thread().name, doubled=2 * n)

    return mcp


async def test_inline_tool_is_the_same_tool_run_on_the_event_loop() -> None:
    seen: dict[bool, Any] = {}
    for inline in (False, True):
        async with Client(_server(inline)) as client:
            (listed,) = (await client.list_tools()).tools
            done = await client.call_tool("where", {"n": 3})
            refused = await client.call_tool("where", {"n": 7})
            invalid = await client.call_tool("where", {"n": 11})
            seen[inline] = (listed, done, refused, invalid)

    threaded, inline = seen[False], seen[True]
    assert inline[0].model_dump() == threaded[0].model_dump()  # name, text, both schemas
    assert inline[0].description == "Report the thread the tool ran on, and twice ``n``."
    assert inline[1].structured_content["doubled"] == threaded[1].structured_content["doubled"] == 6
    assert inline[1].structured_content["thread"] == threading.current_thread().name
    assert threaded[1].structured_content["thread"] != threading.current_thread().name
    for result in (inline[2], threaded[2]):
        assert result.is_error and result.content[0].text.endswith("seven is refused")
    assert inline[2].content[0].text == threaded[2].content[0].text
    assert inline[3].is_error and threaded[3].is_error
    assert inline[3].content[0].text == threaded[3].content[0].text
