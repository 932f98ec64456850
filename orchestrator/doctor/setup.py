"""The settings the doctor checks, loaded as the agents and servers load them, except that
a bad setting is reported (one line naming it, never its value) instead of stopping.

A service whose address is not set (``AIE_IMAP_HOST``, ``AIE_SMTP_HOST``, ``AIE_ODOO_URL``)
is *not configured*: this machine's agent runs without it, and its checks say so.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from dotenv import dotenv_values
from pydantic import SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from servers.odoo_mcp.books import effective_mode
from shared.errors import RoleForbidden
from shared.settings import (
    CoreSettings,
    ImapSettings,
    MailAuth,
    MailIdentity,
    OdooSettings,
    Role,
    SmtpSettings,
    settings_error_lines,
)
from shared.state_dir import default_state_dir

__all__ = ["STATE_DIR_SETTING", "Setup", "load_setup"]

STATE_DIR_SETTING = "AIE_STATE_DIR"
# secrets of the environment the doctor may meet in what it reads (besides our settings')
_SECRET_VARIABLES = (
    "SYNCTHING_API_KEY",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "CLAUDE_CODE_OAUTH_TOKEN",
    "AIE_MCP_TOKEN",
)
S = TypeVar("S", bound=BaseSettings)


class _Raw(BaseSettings):
    """``AIE_VAULT`` and ``AIE_STATE_DIR`` as written, for a state check that does not depend
    on the rest of the settings being right."""

    model_config = SettingsConfigDict(
        env_prefix="AIE_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )
    vault: str = ""
    state_dir: str = ""


@dataclass
class Setup:
    """What this machine is set up with, section by section; ``problems`` holds the one-line
    complaints (``AIE_IMAP_PORT: ...``) of the sections that did not load."""

    role: Role
    env: dict[str, str]
    core: CoreSettings | None = None
    imap: ImapSettings | None = None
    auth: MailAuth | None = None
    smtp: SmtpSettings | None = None
    odoo: OdooSettings | None = None
    odoo_mode: str = ""
    problems: dict[str, list[str]] = field(default_factory=dict)
    raw_vault: str = ""
    raw_state_dir: str = ""

    def configured(self, variable: str) -> bool:
        return bool(self.env.get(variable, "").strip())

    def secrets(self) -> list[str]:
        """Every secret value this machine holds, to be scrubbed from what is shown."""
        found: list[SecretStr | str | None] = [self.env.get(name) for name in _SECRET_VARIABLES]
        for service in (self.imap, self.smtp):
            found.append(service.password if service else None)
        if self.odoo is not None:
            found.append(self.odoo.password)
        if self.auth is not None:
            found += [self.auth.oauth_client_secret, self.auth.oauth_refresh_token]
        found += [self.env.get(f"AIE_{s}_PASSWORD") for s in ("IMAP", "SMTP", "ODOO")]
        values = (v.get_secret_value() if isinstance(v, SecretStr) else v for v in found)
        return sorted({v for v in values if v and len(v) >= 3}, key=len, reverse=True)


def _environment() -> dict[str, str]:
    """``.env`` (which never syncs) under the environment, as ``ai-employee sync config``."""
    dotenv = {k: v or "" for k, v in dotenv_values(".env").items()}
    return dotenv | dict(os.environ)


def _try(setup: Setup, section: str, cls: type[S], **given: Any) -> S | None:
    try:
        return cls(**given)
    except ValidationError as error:
        setup.problems.setdefault(section, []).extend(settings_error_lines(cls, error))
        return None


def load_setup(role: Role) -> Setup:
    """Load every section this role uses; never exits, never raises on a bad setting."""
    setup = Setup(role=role, env=_environment())
    raw = _Raw()
    setup.raw_vault, setup.raw_state_dir = raw.vault, raw.state_dir
    setup.core = _load_core(setup)
    if setup.configured("AIE_IMAP_HOST"):
        setup.imap = _try(setup, "mail", ImapSettings)
        setup.auth = _try(setup, "mail", MailAuth)
        if setup.imap is not None:
            identity = _try(setup, "mail", MailIdentity)
            try:
                if identity is not None:
                    identity.address(setup.imap.user)
            except ValueError as error:
                setup.problems.setdefault("mail", []).append(str(error))
    if role == "local" and setup.configured("AIE_SMTP_HOST"):
        setup.smtp = _try(setup, "mail", SmtpSettings)
    if setup.auth is not None and setup.auth.mail_auth == "password":
        for prefix, service in (("AIE_IMAP_", setup.imap), ("AIE_SMTP_", setup.smtp)):
            if service is not None and service.password is None:
                setup.problems.setdefault("mail", []).append(
                    f"{prefix}PASSWORD: is not set (required with AIE_MAIL_AUTH=password)"
                )
    if setup.configured("AIE_ODOO_URL"):
        setup.odoo = _try(setup, "odoo", OdooSettings)
        if setup.odoo is not None and setup.core is not None:
            try:
                setup.odoo_mode = effective_mode(setup.core, setup.odoo)
            except RoleForbidden as error:
                setup.problems.setdefault("odoo", []).append(str(error))
    return setup


def _load_core(setup: Setup) -> CoreSettings | None:
    """The core settings for the role asked. A state directory inside the vault is its own
    check; the other checks then go on with the default one."""
    try:
        return CoreSettings(role=setup.role)  # type: ignore[call-arg]  # AIE_VAULT
    except ValidationError as error:
        lines = settings_error_lines(CoreSettings, error)
    others = [line for line in lines if not line.startswith(f"{STATE_DIR_SETTING}:")]
    if others or not setup.raw_vault:
        setup.problems["core"] = others
        return None
    default = default_state_dir(Path(setup.raw_vault))
    return _try(setup, "core", CoreSettings, role=setup.role, state_dir=default)
