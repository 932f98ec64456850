"""Test knobs: request counters, injected latency, stalls and dropped connections."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class Stats:
    """Counts RPC requests per endpoint and per call (``common.login``, ``res.partner.read``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._endpoints: Counter[str] = Counter()
        self._calls: Counter[str] = Counter()

    def hit(self, endpoint: str, call: str | None) -> None:
        with self._lock:
            self._endpoints[endpoint] += 1
            if call:
                self._calls[call] += 1

    def snapshot(self) -> dict[str, Any]:
        """``{"total": n, "endpoints": {path: n}, "calls": {name: n}}``."""
        with self._lock:
            return {
                "total": sum(self._endpoints.values()),
                "endpoints": dict(self._endpoints),
                "calls": dict(self._calls),
            }

    def reset(self) -> None:
        with self._lock:
            self._endpoints.clear()
            self._calls.clear()


class Control:
    """Latency and failure injection, applied to every RPC request before it is answered.

    - ``delay_s``: sleep this long before answering (timeouts, slow networks);
    - ``stall``: hold every request until ``stall`` is set back to false or the server stops;
    - ``drop_next``: close the next N connections without an answer (``RemoteDisconnected``).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.delay_s = 0.0
        self.drop_next = 0
        self._released = threading.Event()
        self._released.set()
        self.stopping = threading.Event()

    @property
    def stall(self) -> bool:
        return not self._released.is_set()

    def update(
        self, delay_s: float | None = None, stall: bool | None = None, drop_next: int | None = None
    ) -> None:
        with self._lock:
            if delay_s is not None:
                self.delay_s = max(0.0, float(delay_s))
            if drop_next is not None:
                self.drop_next = max(0, int(drop_next))
        if stall is not None:
            (self._released.clear if stall else self._released.set)()

    def state(self) -> dict[str, Any]:
        return {"delay_s": self.delay_s, "stall": self.stall, "drop_next": self.drop_next}

    def gate(self) -> bool:
        """Apply stall and delay; False means "drop this connection without an answer"."""
        while not self._released.wait(0.05):
            if self.stopping.is_set():
                return False
        if self.delay_s:
            self.stopping.wait(self.delay_s)
        with self._lock:
            if self.drop_next:
                self.drop_next -= 1
                return False
        return not self.stopping.is_set()

    def release(self) -> None:
        """Let every held request go (used on shutdown)."""
        self.stopping.set()
        self._released.set()
