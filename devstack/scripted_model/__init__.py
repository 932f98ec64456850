"""A scripted model: the Anthropic Messages API on loopback, so that the real Claude Code
CLI makes real MCP tool calls with no account and no network. Test support code only."""

from .policies import FAULTS, SEARCHES
from .record import Session, sessions
from .server import ScriptedModel

__all__ = ["FAULTS", "SEARCHES", "ScriptedModel", "Session", "sessions"]
