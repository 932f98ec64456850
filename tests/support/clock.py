"""The tests' clock: it starts at the real now, so data made under it is valid for any
process on the real clock (a server started as a subprocess, Dovecot, Odoo), on any date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["START", "TODAY", "FakeClock"]

START = datetime.now(UTC).replace(microsecond=0)  # once per test session
TODAY = START.date().isoformat()  # the day the Odoo stand-in is pinned to


class FakeClock:
    """A clock the test moves by hand, for leases and expiry. Starts at the real now."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)
