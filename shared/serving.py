"""What every server shares: how a tool is registered (:func:`tool`), logging to stderr
and the transport flags."""

from __future__ import annotations

import argparse
import functools
import inspect
import json
import logging
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from mcp.server import MCPServer
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from mcp.types import CallToolResult, InputRequiredResult, TextContent, ToolAnnotations
from pydantic import ConfigDict, model_validator
from pydantic_core import PydanticCustomError

from shared.audit import RedactingFilter
from shared.budget import compact
from shared.http_serving import add_http_arguments, http_security, serve_http

__all__ = ["clean_doc", "parse_transport", "run", "setup_logging", "tool"]

F = TypeVar("F", bound=Callable[..., Any])


def clean_doc(fn: Callable[..., Any]) -> str:
    """A docstring as one line per paragraph: the description the model reads."""
    paragraphs = inspect.cleandoc(fn.__doc__ or "").split("\n\n")
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


def tool(
    mcp: MCPServer[Any], annotations: ToolAnnotations, *, title: str, inline: bool = False
) -> Callable[[F], F]:
    """Register ``fn`` as a tool, its docstring cleaned of source indentation, with a
    human-readable ``title`` (what a client shows, e.g. "Claim a task").

    Every tool registered here refuses arguments it does not take, naming them (its input
    schema says so: ``additionalProperties: false``), and its text block is the structured
    result as compact JSON (see :mod:`shared.budget`).

    The SDK runs a plain function in a worker thread. ``inline`` runs it on the server's
    event loop instead, saving the thread hand-off (about 0.2 ms a call): for tools whose
    work is a few local file operations, never for one that waits on the network or
    scans the whole vault."""

    def register(fn: F) -> F:
        target = _on_the_loop(fn) if inline else fn
        mcp.add_tool(target, title=title, description=clean_doc(fn), annotations=annotations)
        _tighten(mcp, fn.__name__)
        return fn

    return register


class _KnownArgumentsOnly(ArgModelBase):
    """Mixed into a tool's argument model: an argument the tool does not take is an error
    naming it (the SDK's own model drops it silently, so a misspelt optional argument
    would be ignored without a word)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _refuse_unknown(cls, data: Any) -> Any:
        if isinstance(data, dict):
            known = [field.alias or name for name, field in cls.model_fields.items()]
            unknown = [key for key in data if key not in known]
            if unknown:
                raise PydanticCustomError(
                    "unknown_argument",
                    "unknown argument{s} {unknown}; this tool takes {known}",
                    {
                        "s": "s" if len(unknown) > 1 else "",
                        "unknown": ", ".join(repr(str(k)[:60]) for k in unknown[:10]),
                        "known": ", ".join(known) if known else "no arguments",
                    },
                )
        return data


class _CompactText(FuncMetadata):
    """The text block of a structured result is that result as compact JSON (the SDK
    indents it, which costs a long list a third of its size), the same data as
    ``structuredContent``."""

    def convert_result(self, result: Any) -> CallToolResult | InputRequiredResult:
        converted = super().convert_result(result)
        if (
            isinstance(converted, CallToolResult)
            and converted.structured_content is not None
            and not self.wrap_output
            and not converted.is_error
        ):
            text = TextContent(type="text", text=compact(converted.structured_content))
            return converted.model_copy(update={"content": [text]})
        return converted


def _tighten(mcp: MCPServer[Any], name: str) -> None:
    # The SDK builds a tool's argument model from its signature and offers no way to
    # configure it, nor a public handle on a registered tool: this reaches the one the
    # SDK just built (tests/unit/test_tool_schemas.py fails if that ever stops working).
    registered = mcp._tool_manager.get_tool(name)
    if registered is None:  # pragma: no cover - add_tool just registered it
        raise RuntimeError(f"tool {name} was not registered")
    built = registered.fn_metadata
    strict: type[ArgModelBase] = type(
        built.arg_model.__name__, (built.arg_model, _KnownArgumentsOnly), {}
    )
    registered.fn_metadata = _CompactText(
        arg_model=strict,
        output_schema=built.output_schema,
        output_model=built.output_model,
        wrap_output=built.wrap_output,
    )
    registered.parameters = strict.model_json_schema(by_alias=True)


def _on_the_loop(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)  # the SDK reads the signature and hints through __wrapped__
    async def run(*args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    return run


class JsonFormatter(logging.Formatter):
    """One JSON object per record, for log shippers (``AIE_LOG_FORMAT=json``)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info).splitlines()[-1]
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(level: str = "INFO") -> None:
    """Log records go to stderr (stdout is the protocol stream), secrets scrubbed; plain
    lines, or JSON lines with ``AIE_LOG_FORMAT=json``."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    if os.environ.get("AIE_LOG_FORMAT", "").lower() == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # the SDK and httpx log every request at INFO: noise in the logs, and time on every call
    logging.getLogger("mcp").setLevel(max(root.level, logging.WARNING))
    for client in ("httpx", "httpx2"):  # one line a call
        logging.getLogger(client).setLevel(max(root.level, logging.WARNING))


def parse_transport(
    program: str, argv: list[str] | None = None, unattended_flag: bool = False
) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=program, description=f"{program}: an MCP server")
    if unattended_flag:
        parser.add_argument(
            "--unattended",
            action="store_true",
            help="for a session no person watches (an agent's): offer no tool that asks a "
            "person to decide",
        )
    parser.add_argument(
        "--transport",
        choices=["stdio", "http"],
        default="stdio",
        help="stdio (default) or streamable HTTP",
    )
    add_http_arguments(parser)
    args = parser.parse_args(argv)
    args.program = program
    return args


def run(server: MCPServer[Any], args: argparse.Namespace) -> None:
    """Serve over stdio, or over HTTP behind a bearer token (see :mod:`.http_serving`)."""
    if args.transport == "http":
        serve_http(server, args, http_security(args.program, args))
    else:
        server.run()
