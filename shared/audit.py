"""The audit log: one JSON object per line, append-only, secrets redacted.

Each agent appends to ``Logs/YYYY-MM-DD.<agent>.jsonl``. One file per agent and day means
two replicas never edit the same file, so sync never has to merge the log; readers merge
the files by timestamp. On one replica, writers serialise on ``flock`` and each event is a
single ``write`` in ``O_APPEND`` mode, so concurrent processes never interleave lines.

:func:`redact` is the one place secrets are removed, for the audit log and for log records.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import re
import stat
import threading
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from shared.clock import Clock, from_iso, system_clock, to_iso
from shared.containment import NotContained, check_folder, ensure_folder, open_regular
from shared.errors import vault_write_error
from shared.layout import Layout

__all__ = ["AuditLog", "RedactingFilter", "redact", "register_secret"]

REDACTED = "[redacted]"
_SECRET_KEY = re.compile(
    r"pass(word|wd)?|secret|token|api[_-]?key|authorization|cookie|credential|session_id",
    re.IGNORECASE,
)
_known_secrets: set[str] = set()
_known_lock = threading.Lock()


def register_secret(value: SecretStr | str | None) -> None:
    """Remember a secret's value so that it is scrubbed wherever it appears in text."""
    raw = value.get_secret_value() if isinstance(value, SecretStr) else value
    if raw and len(raw) >= 3:
        with _known_lock:
            _known_secrets.add(raw)


def _scrub(text: str) -> str:
    for secret in _known_secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def redact(value: Any) -> Any:
    """A copy of ``value`` safe to write down: secret-named keys and known secrets removed."""
    if isinstance(value, SecretStr):
        return REDACTED
    if isinstance(value, dict):
        return {
            str(k): REDACTED if _SECRET_KEY.search(str(k)) else redact(v) for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return _scrub(value)
    if isinstance(value, int | float | bool) or value is None:
        return value
    return _scrub(str(value))


class RedactingFilter(logging.Filter):
    """Scrubs known secrets from every log record before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _scrub(str(record.msg))
        if record.args:
            record.args = (
                tuple(redact(a) for a in record.args)
                if isinstance(record.args, tuple)
                else redact(record.args)
            )
        return True


class AuditLog:
    """Append and query the audit events of one vault replica."""

    def __init__(self, vault: Path, agent: str, clock: Clock = system_clock) -> None:
        self.layout = Layout(vault)
        self.agent = agent
        self.clock = clock

    def path_for(self, day: datetime) -> Path:
        return self.layout.logs / f"{day:%Y-%m-%d}.{self.agent}.jsonl"

    def refusal(self, action: str, approval_id: str, error: BaseException) -> None:
        """The ``<action>_refused`` line of an approval that was not executed, and why."""
        self.record(
            f"{action}_refused",
            approval_id,
            approval_id=approval_id,
            result="refused",
            detail=str(error),
        )

    @contextlib.contextmanager
    def refusals(self, action: str, approval_id: str, *kinds: type[Exception]) -> Iterator[None]:
        """Run the block; a refusal of one of ``kinds`` is audited, then goes on up."""
        try:
            yield
        except kinds as error:
            self.refusal(action, approval_id, error)
            raise

    def record(
        self,
        action: str,
        target: str,
        *,
        result: str = "ok",
        params: dict[str, Any] | None = None,
        approval_id: str | None = None,
        detail: str | None = None,
    ) -> dict[str, Any]:
        """Append one event and return it as written."""
        now = self.clock()
        event: dict[str, Any] = {
            "ts": to_iso(now),
            "actor": self.agent,
            "action": action,
            "target": target,
            "params": redact(params or {}),
            "approval_id": approval_id,
            "result": result,
        }
        if detail:
            event["detail"] = redact(detail)
        line = (json.dumps(event, ensure_ascii=False, sort_keys=False) + "\n").encode("utf-8")
        path = self.path_for(now)
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK
        try:
            try:
                check_folder(path.parent)
                fd = os.open(path, flags, 0o644)
            except FileNotFoundError:  # no Logs/ folder yet
                ensure_folder(path.parent)
                fd = os.open(path, flags, 0o644)
        except OSError as error:  # a link in Logs/ (ELOOP) is refused here too
            raise vault_write_error(f"the audit log {path.name}", error) from error
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise NotContained(f"the audit log {path.name} is not a regular file")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            before = os.fstat(fd).st_size
            try:
                if os.write(fd, line) != len(line):
                    raise OSError(errno.ENOSPC, "short write")
            except OSError as error:  # never leave half a line: the log stays parseable
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, before)
                raise vault_write_error(f"the audit log {path.name}", error) from error
        finally:
            os.close(fd)  # closing releases the lock
        return event

    def files(self) -> list[Path]:
        folder = self.layout.logs
        if not folder.is_dir():
            return []
        return sorted(
            p for p in folder.iterdir() if p.suffix == ".jsonl" and not p.name.startswith(".")
        )

    def events(self, since: datetime | None = None) -> Iterator[dict[str, Any]]:
        """Every event of every agent, oldest first; unreadable lines are skipped."""
        day_floor = f"{since:%Y-%m-%d}" if since else ""
        merged: list[tuple[str, int, dict[str, Any]]] = []
        for n, event in enumerate(self._read(p for p in self.files() if p.name >= day_floor)):
            ts = from_iso(event.get("ts"))
            if since is not None and (ts is None or ts < since):
                continue
            merged.append((str(event.get("ts", "")), n, event))
        merged.sort(key=lambda item: (item[0], item[1]))
        for _, _, event in merged:
            yield event

    def recent(self, count: int) -> list[dict[str, Any]]:
        """The last ``count`` events of every agent, oldest first: only the newest days'
        logs are read (the Dashboard needs a few lines, not the whole history)."""
        days: dict[str, list[Path]] = {}
        for path in self.files():
            days.setdefault(path.name[:10], []).append(path)
        found: list[tuple[str, int, dict[str, Any]]] = []
        for day in sorted(days, reverse=True):
            found += [
                (str(event.get("ts", "")), n, event)
                for n, event in enumerate(self._read(days[day]))
            ]
            if len(found) >= count:
                break
        found.sort(key=lambda item: (item[0], item[1]))
        return [event for _, _, event in found[-count:]]

    @staticmethod
    def _read(paths: Iterable[Path]) -> Iterator[dict[str, Any]]:
        for path in paths:
            try:
                handle = os.fdopen(open_regular(path), "rb")
            except (OSError, NotContained):
                continue  # a link or special file in Logs/ is not an audit log
            with handle:
                for raw in handle:
                    try:
                        event = json.loads(raw.decode("utf-8"))
                    except (UnicodeDecodeError, json.JSONDecodeError):
                        continue
                    if isinstance(event, dict):
                        yield event
