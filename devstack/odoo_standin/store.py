"""SQLite persistence: one JSON row per record, one lock, one transaction per RPC call.

Rows are plain dicts keyed by field name (plus a few hidden keys such as ``password``). The ORM
works on copies; only :meth:`Store.insert`, :meth:`Store.update` and :meth:`Store.delete` change
data. A failed call rolls back, so a half-done ``action_post`` leaves nothing behind, as in Odoo.
"""

from __future__ import annotations

import copy
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

Row = dict[str, Any]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    model TEXT NOT NULL, id INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (model, id));
CREATE TABLE IF NOT EXISTS sequences (model TEXT PRIMARY KEY, last_id INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class Store:
    """Thread-safe record storage in SQLite (``:memory:`` unless a file path is given)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = str(path) if path else ":memory:"
        self.lock = threading.RLock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        if self.path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self._cache: dict[str, dict[int, Row]] = {}
        self._depth = 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the lock and run one SQLite transaction; nested calls join the outer one."""
        with self.lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                self._cache.clear()
                raise
            else:
                self._db.execute("COMMIT")
            finally:
                self._depth = 0

    def _table(self, model: str) -> dict[int, Row]:
        table = self._cache.get(model)
        if table is None:
            cur = self._db.execute(
                "SELECT id, data FROM records WHERE model = ? ORDER BY id", (model,)
            )
            table = {rid: json.loads(data) for rid, data in cur}
            self._cache[model] = table
        return table

    def rows(self, model: str) -> list[Row]:
        """Every row of ``model`` (copies), in id order."""
        with self.lock:
            return [copy.deepcopy(r) for r in self._table(model).values()]

    def get(self, model: str, rid: int) -> Row | None:
        """One row (a copy) or None."""
        with self.lock:
            row = self._table(model).get(rid)
            return copy.deepcopy(row) if row is not None else None

    def exists(self, model: str, rid: int) -> bool:
        """Whether ``rid`` is a live id of ``model``."""
        with self.lock:
            return rid in self._table(model)

    def insert(self, model: str, values: Row, rid: int | None = None) -> int:
        """Store a new row and return its id (the next one of the model unless given)."""
        with self.transaction():
            cur = self._db.execute("SELECT last_id FROM sequences WHERE model = ?", (model,))
            found = cur.fetchone()
            last = found[0] if found else 0
            rid = rid if rid is not None else last + 1
            self._db.execute(
                "INSERT OR REPLACE INTO sequences (model, last_id) VALUES (?, ?)",
                (model, max(last, rid)),
            )
            row = dict(values, id=rid)
            self._db.execute(
                "INSERT INTO records (model, id, data) VALUES (?, ?, ?)",
                (model, rid, json.dumps(row)),
            )
            self._table(model)[rid] = copy.deepcopy(row)
            return rid

    def update(self, model: str, rid: int, changes: Row) -> None:
        """Merge ``changes`` into an existing row."""
        with self.transaction():
            table = self._table(model)
            row = dict(table[rid], **copy.deepcopy(changes))
            self._db.execute(
                "UPDATE records SET data = ? WHERE model = ? AND id = ?",
                (json.dumps(row), model, rid),
            )
            table[rid] = row

    def delete(self, model: str, rid: int) -> None:
        """Remove a row (ids are never reused)."""
        with self.transaction():
            self._db.execute("DELETE FROM records WHERE model = ? AND id = ?", (model, rid))
            self._table(model).pop(rid, None)

    def meta(self, key: str) -> Any:
        """A JSON value stored under ``key`` in the meta table, or None."""
        with self.lock:
            found = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            return json.loads(found[0]) if found else None

    def set_meta(self, key: str, value: Any) -> None:
        """Store a JSON value under ``key``."""
        with self.transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, json.dumps(value))
            )

    def wipe(self) -> None:
        """Delete every record, id sequence and meta value."""
        with self.transaction():
            for table in ("records", "sequences", "meta"):
                self._db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed names
            self._cache.clear()

    def close(self) -> None:
        """Close the SQLite connection."""
        with self.lock:
            self._db.close()
