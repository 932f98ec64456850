"""Shared fixtures: a fresh vault, settings for each role, MCP clients on the vault server."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from orchestrator.vault_init import init_vault
from shared.settings import CoreSettings
from tests.support.clock import FakeClock

# fixtures every suite may use: a real Dovecot + SMTP (``mail``), the Odoo stand-in (``odoo``)
pytest_plugins = ["tests.support.mail_fixtures", "tests.support.odoo_fixtures"]


_STATE_HOME = tempfile.mkdtemp(prefix="aie-test-state-")


def pytest_configure(config: pytest.Config) -> None:
    """Machine-local state (the XDG state home: ledgers, health files, Claude Code
    workspaces) goes to a folder of this run, for this process and every one it starts."""
    os.environ["XDG_STATE_HOME"] = _STATE_HOME


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(_STATE_HOME, ignore_errors=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """With ``-n 2`` (pytest-xdist, ``--dist loadgroup``) the real-Odoo tests stay on one
    worker, so one Odoo and one PostgreSQL serve them all."""
    for item in items:
        if item.get_closest_marker("real_odoo"):
            item.add_marker(pytest.mark.xdist_group("real_odoo"))


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


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
