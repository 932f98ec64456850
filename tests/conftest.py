"""Shared fixtures: a fresh vault, settings for each role, MCP clients on the vault server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from orchestrator.vault_init import init_vault
from shared.settings import CoreSettings


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class FakeClock:
    """A clock the test moves by hand, for leases and expiry."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def vault_path(tmp_path: Path) -> Path:
    root = tmp_path / "Vault"
    init_vault(root)
    return root


@pytest.fixture
def make_settings(vault_path: Path) -> Iterator[Callable[..., CoreSettings]]:
    def make(
        role: str = "local", agent: str = "", vault: Path | None = None, **extra: object
    ) -> CoreSettings:
        return CoreSettings(role=role, vault=vault or vault_path, agent=agent, **extra)  # type: ignore[arg-type]

    yield make
