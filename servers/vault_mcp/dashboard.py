"""``Updates/`` notes and the ``Dashboard.md`` merge (the local agent is its only writer)."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from shared.audit import AuditLog
from shared.clock import Clock, to_iso
from shared.containment import NotContained, check_folder, ensure_folder
from shared.errors import InvalidInput, VaultFileError
from shared.layout import Layout, is_hidden, is_sync_conflict
from shared.text import md_text
from shared.vault_files import (
    MAX_BODY_CHARS,
    VaultDoc,
    create_doc,
    read_doc,
    read_vault_bytes,
    render,
    write_vault_text,
)

__all__ = ["Dashboard", "render_dashboard"]

_PLAIN_NAME = re.compile(r"[A-Za-z0-9._-]{1,120}")
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
        try:
            return read_vault_bytes(self.layout.dashboard).decode("utf-8", "replace")
        except FileNotFoundError:
            return NOT_WRITTEN

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
        path = ensure_folder(self.layout.updates) / name
        create_doc(path, VaultDoc(meta, f"# {title}\n\n{body.rstrip()}\n"))
        self.audit.record("update_post", name, params={"kind": kind, "title": title})
        return path

    def pending_updates(self) -> list[Path]:
        return _notes(self.layout.updates)

    def refresh(self, status_markdown: str) -> tuple[Path, list[Path]]:
        """Write ``Dashboard.md`` from the status and the updates; archive merged updates.
        A linked ``Updates/`` or ``Updates/Archive/`` is neither read nor written through
        (``vault_status`` names it, ``conflicts_resolve`` moves it aside)."""
        try:
            new = self.pending_updates()
            archive: Path | None = ensure_folder(self.layout.updates_archive)
        except NotContained:
            new, archive = [], None
        earlier = _notes(archive) if archive is not None else []
        recent = (earlier + new)[-RECENT_UPDATES:]
        lines = []
        for path in reversed(recent):
            try:
                meta = read_doc(path).meta
            except (FileNotFoundError, VaultFileError):
                continue
            link = f"[[{path.stem}]]" if _PLAIN_NAME.fullmatch(path.stem) else ""
            lines.append(
                f"- {md_text(meta.get('created', ''))} **{md_text(meta.get('agent', '?'))}** "
                f"({md_text(meta.get('kind', 'note'))}): {link} {md_text(meta.get('title', ''))}"
            )
        events = self.audit.recent(RECENT_EVENTS)
        activity = [
            f"- {md_text(e.get('ts'))} {md_text(e.get('actor'))} {md_text(e.get('action'))} "
            f"{md_text(e.get('target'))} → {md_text(e.get('result'))}"
            for e in reversed(events)
        ]
        text = render_dashboard(to_iso(self.clock()), self.agent, status_markdown, lines, activity)
        write_vault_text(self.layout.dashboard, text)
        archived = []
        for path in new:
            if archive is None:
                break
            target = archive / path.name
            try:
                path.rename(target)
            except FileNotFoundError:
                continue
            archived.append(target)
        self.audit.record("dashboard_refresh", "Dashboard.md", params={"merged": len(archived)})
        return self.layout.dashboard, archived


def _notes(folder: Path) -> list[Path]:
    """The notes of a real folder (never through a link), oldest name first."""
    try:
        check_folder(folder)
        with os.scandir(folder) as entries:
            names = [
                e.name
                for e in entries
                if e.name.endswith(".md")
                and not is_hidden(e.name)
                and not is_sync_conflict(e.name)
                and e.is_file(follow_symlinks=False)
            ]
    except FileNotFoundError:
        return []
    return [folder / name for name in sorted(names)]


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
