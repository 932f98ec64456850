"""``Updates/`` notes and the ``Dashboard.md`` merge (the local agent is its only writer)."""

from __future__ import annotations

import secrets
from pathlib import Path

from shared.audit import AuditLog
from shared.clock import Clock, to_iso
from shared.errors import InvalidInput, VaultFileError
from shared.layout import Layout, is_hidden, is_sync_conflict
from shared.vault_files import (
    MAX_BODY_CHARS,
    VaultDoc,
    atomic_write_text,
    create_doc,
    read_doc,
    render,
)

__all__ = ["Dashboard", "render_dashboard"]

RECENT_UPDATES = 20
RECENT_EVENTS = 15
NOT_WRITTEN = "# Dashboard\n\n(not written yet)\n"


class Dashboard:
    def __init__(self, vault: Path, agent: str, audit: AuditLog, clock: Clock) -> None:
        self.layout = Layout(vault)
        self.root = vault
        self.agent = agent
        self.audit = audit
        self.clock = clock

    def text(self) -> str:
        """Dashboard.md as the local agent last wrote it."""
        path = self.layout.dashboard
        return path.read_text("utf-8") if path.is_file() else NOT_WRITTEN

    def post_update(self, title: str, body: str, kind: str = "note") -> Path:
        if not title.strip() or len(title) > 200 or "\n" in title:
            raise InvalidInput("title must be one line of 1 to 200 characters")
        if len(body) > MAX_BODY_CHARS:
            raise InvalidInput(f"body is longer than {MAX_BODY_CHARS} characters; shorten it")
        now = self.clock()
        name = f"{now:%Y%m%dT%H%M%S}-{self.agent}-{secrets.token_hex(3)}.md"
        meta = {
            "type": "update",
            "kind": kind,
            "title": title,
            "agent": self.agent,
            "created": to_iso(now),
        }
        path = self.layout.updates / name
        path.parent.mkdir(parents=True, exist_ok=True)
        create_doc(path, VaultDoc(meta, f"# {title}\n\n{body.rstrip()}\n"))
        self.audit.record("update_post", name, params={"kind": kind, "title": title})
        return path

    def pending_updates(self) -> list[Path]:
        folder = self.layout.updates
        if not folder.is_dir():
            return []
        return sorted(
            p for p in folder.glob("*.md") if not is_hidden(p.name) and not is_sync_conflict(p.name)
        )

    def refresh(self, status_markdown: str) -> tuple[Path, list[Path]]:
        """Write ``Dashboard.md`` from the status and the updates; archive merged updates."""
        new = self.pending_updates()
        archive = self.layout.updates_archive
        archive.mkdir(parents=True, exist_ok=True)
        earlier = sorted(p for p in archive.glob("*.md") if not is_hidden(p.name))
        recent = (earlier + new)[-RECENT_UPDATES:]
        lines = []
        for path in reversed(recent):
            try:
                meta = read_doc(path).meta
            except (FileNotFoundError, VaultFileError):
                continue
            lines.append(
                f"- {meta.get('created', '')} **{meta.get('agent', '?')}** "
                f"({meta.get('kind', 'note')}): [[{path.stem}|{meta.get('title', '')}]]"
            )
        events = list(self.audit.events())[-RECENT_EVENTS:]
        activity = [
            f"- {e.get('ts')} {e.get('actor')} `{e.get('action')}` {e.get('target')} "
            f"→ {e.get('result')}"
            for e in reversed(events)
        ]
        text = render_dashboard(to_iso(self.clock()), self.agent, status_markdown, lines, activity)
        atomic_write_text(self.layout.dashboard, text)
        archived = []
        for path in new:
            target = archive / path.name
            try:
                path.rename(target)
            except FileNotFoundError:
                continue
            archived.append(target)
        self.audit.record("dashboard_refresh", "Dashboard.md", params={"merged": len(archived)})
        return self.layout.dashboard, archived


def render_dashboard(
    updated: str, writer: str, status_markdown: str, updates: list[str], activity: list[str]
) -> str:
    doc = VaultDoc(
        {"type": "dashboard", "updated": updated, "updated_by": writer},
        "\n".join(
            [
                "# Dashboard",
                "",
                f"_Written by {writer} at {updated}. Only the local agent writes this file._",
                "",
                status_markdown.rstrip(),
                "",
                "## Recent updates",
                "",
                *(updates or ["- none yet"]),
                "",
                "## Recent activity",
                "",
                *(activity or ["- none yet"]),
                "",
            ]
        ),
    )
    return render(doc)
