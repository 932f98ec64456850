"""The MCP tool annotations our three servers give their tools, in one place.

``open_world`` is whether a server's tools reach outside this machine (a mailbox, Odoo)
or only the vault; the rest says what a tool does to what it touches."""

from __future__ import annotations

from dataclasses import dataclass

from mcp.types import ToolAnnotations

__all__ = ["ToolHints"]


@dataclass(frozen=True)
class ToolHints:
    open_world: bool

    def _hints(self, read_only: bool, destructive: bool, idempotent: bool) -> ToolAnnotations:
        return ToolAnnotations(
            read_only_hint=read_only,
            destructive_hint=destructive,
            idempotent_hint=idempotent,
            open_world_hint=self.open_world,
        )

    @property
    def read(self) -> ToolAnnotations:
        return self._hints(read_only=True, destructive=False, idempotent=True)

    @property
    def write(self) -> ToolAnnotations:
        """Adds or changes something; calling it again does it again."""
        return self._hints(read_only=False, destructive=False, idempotent=False)

    @property
    def idempotent(self) -> ToolAnnotations:
        """Changes something; calling it again changes nothing more."""
        return self._hints(read_only=False, destructive=False, idempotent=True)

    @property
    def irreversible(self) -> ToolAnnotations:
        """Cannot be undone (a send, a decision)."""
        return self._hints(read_only=False, destructive=True, idempotent=False)

    @property
    def irreversible_once(self) -> ToolAnnotations:
        """Cannot be undone, and a second call is refused (post, pay an approval)."""
        return self._hints(read_only=False, destructive=True, idempotent=True)
