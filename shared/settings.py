"""Settings from the environment (prefix ``AIE_``) and an optional ``.env`` that never syncs.

Each server loads only the sections it needs: :class:`CoreSettings` always, plus
:class:`ImapSettings`, :class:`SmtpSettings` or :class:`OdooSettings`. A bad or missing
setting stops start-up with one line per setting on stderr and exit code 2; the line is
built without the input values, because pydantic's own text echoes other fields' raw
values, secrets included (pydantic-settings#256).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Literal, NoReturn, TypeVar
from urllib.parse import urlsplit

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.state_dir import default_state_dir, inside, migrate_legacy

__all__ = [
    "CoreSettings",
    "ImapSettings",
    "MailAuth",
    "MailIdentity",
    "OdooSettings",
    "Role",
    "Security",
    "SmtpSettings",
    "is_address",
    "load",
    "mail_address",
    "mail_auth",
    "resolve_mail_address",
    "settings_error_lines",
]

Role = Literal["cloud", "local"]
Security = Literal["ssl", "starttls", "none"]
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _config(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(
        env_prefix=prefix, env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )


class CoreSettings(BaseSettings):
    """What every server and agent needs: who it is and where the vault is."""

    model_config = _config("AIE_")

    role: Role
    vault: Path
    agent: str = Field(default="", pattern=r"^$|^[a-z][a-z0-9-]{1,39}$")
    lease_minutes: float = Field(default=15.0, gt=0)
    approval_ttl_hours: float = Field(default=72.0, gt=0)
    state_dir: Path | None = None
    operator: str = Field(default="owner", min_length=1, max_length=80)

    @field_validator("vault")
    @classmethod
    def _vault_exists(cls, vault: Path) -> Path:
        if not vault.is_dir():
            raise ValueError(
                f"vault folder {str(vault)!r} does not exist; "
                "create it with: ai-employee vault init PATH"
            )
        # resolved once: a path built from it then names no link, and any link found
        # below it was put into the vault (see shared/containment.py)
        return vault.expanduser().resolve()

    @field_validator("state_dir")
    @classmethod
    def _state_outside_vault(cls, state_dir: Path | None, info: ValidationInfo) -> Path | None:
        vault = info.data.get("vault")
        if state_dir is not None and vault is not None and inside(state_dir, vault):
            raise ValueError(
                "must be outside the vault: every device that shares the vault can write "
                "into it (unset it for the default, ~/.local/state/ai-employee/...)"
            )
        return state_dir

    @model_validator(mode="after")
    def _defaults(self) -> CoreSettings:
        if not self.agent:
            self.agent = f"{self.role}-agent"
        if self.state_dir is None:
            self.state_dir = default_state_dir(self.vault)
            migrate_legacy(self.vault, self.state_dir)
        return self

    @property
    def state_path(self) -> Path:
        assert self.state_dir is not None
        return self.state_dir


class _ServiceSettings(BaseSettings):
    host: str = Field(min_length=1)
    port: int = Field(gt=0, lt=65536)
    user: str = Field(min_length=1)
    password: SecretStr | None = None  # required with AIE_MAIL_AUTH=password (MailAuth)
    security: Security = "ssl"
    ca_file: Path | None = None
    timeout_s: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _plaintext_only_on_loopback(self) -> _ServiceSettings:
        if self.security == "none" and self.host not in _LOOPBACK:
            raise ValueError(
                f"security 'none' is allowed only on loopback, not on {self.host!r}; "
                "use 'ssl' or 'starttls'"
            )
        if self.ca_file is not None and not self.ca_file.is_file():
            raise ValueError(f"ca_file {str(self.ca_file)!r} does not exist")
        return self


class ImapSettings(_ServiceSettings):
    model_config = _config("AIE_IMAP_")
    # None: the folder the server marks \Drafts / \Sent (RFC 6154); a name here wins
    drafts_folder: str | None = Field(default=None, min_length=1, max_length=200)
    sent_folder: str | None = Field(default=None, min_length=1, max_length=200)


_FILES_OWN_SENT_COPY = ("smtp.gmail.com", "smtp.office365.com", "smtp-mail.outlook.com")


class SmtpSettings(_ServiceSettings):
    model_config = _config("AIE_SMTP_")
    sent_copy: Literal["auto", "provider", "append"] = Field(
        default="auto",
        description="who files the copy in Sent: the provider (Gmail and Microsoft 365 do, "
        "for what their SMTP accepts), or we append it; auto: provider for their hosts",
    )

    @property
    def provider_files_sent_copy(self) -> bool:
        if self.sent_copy == "auto":
            return self.host.lower() in _FILES_OWN_SENT_COPY
        return self.sent_copy == "provider"


_ADDRESS = re.compile(r"^[^@\s<>,;:\"]+@[^@\s<>,;:\"]+\.[^@\s<>,;:\"]+$")


def is_address(value: str) -> bool:
    return bool(_ADDRESS.fullmatch(value))


class MailIdentity(BaseSettings):
    """The business mailbox's own address: the From of every draft and send, both roles.
    ``AIE_SMTP_FROM_ADDRESS`` is read as a deprecated alias."""

    model_config = _config("AIE_")
    mail_address: str = Field(
        default="", validation_alias=AliasChoices("AIE_MAIL_ADDRESS", "AIE_SMTP_FROM_ADDRESS")
    )

    def address(self, imap_user: str) -> str:
        """The address to send from; raises ValueError naming the setting when none fits."""
        return resolve_mail_address(self.mail_address, imap_user)


def resolve_mail_address(configured: str, imap_user: str) -> str:
    """``AIE_MAIL_ADDRESS``, else the IMAP user when that is an address; else ValueError
    with the one line that names the setting."""
    chosen = configured.strip() or imap_user
    if is_address(chosen):
        return chosen
    if configured.strip():
        raise ValueError(f"AIE_MAIL_ADDRESS: {chosen!r} is not an email address")
    raise ValueError(
        f"AIE_MAIL_ADDRESS: is not set and the IMAP user {imap_user!r} is not an email "
        "address; set it to the mailbox's address, e.g. ops@example.com"
    )


def mail_address(imap: ImapSettings, program: str) -> str:
    """The mailbox's address for ``program``, or exit 2 with one line naming the setting."""
    try:
        return load(MailIdentity, program).address(imap.user)
    except ValueError as error:
        _exit_with(program, [str(error)])


_TOKEN_URLS = {
    "google": "https://oauth2.googleapis.com/token",
    "microsoft": "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
}
_DEVICE_URLS = {"microsoft": "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/devicecode"}
_AUTHORIZE_URLS = {"google": "https://accounts.google.com/o/oauth2/v2/auth"}
_SCOPES = {
    "google": "https://mail.google.com/",
    "microsoft": "https://outlook.office.com/IMAP.AccessAsUser.All "
    "https://outlook.office.com/SMTP.Send offline_access",
}


class MailAuth(BaseSettings):
    """How the mailbox signs in: a password (IMAP LOGIN, SMTP AUTH), or OAuth 2.0 (SASL
    XOAUTH2 with an access token from a refresh token): what Microsoft 365 requires and
    what Google Workspace allows without app passwords."""

    model_config = _config("AIE_")
    mail_auth: Literal["password", "oauth2"] = "password"
    oauth_provider: Literal["google", "microsoft", "custom"] | None = None
    oauth_tenant: str = Field(default="common", pattern=r"^[A-Za-z0-9.-]{1,100}$")
    oauth_token_url: str | None = Field(default=None, pattern=r"^https?://")
    oauth_client_id: str | None = Field(default=None, min_length=1)
    oauth_client_secret: SecretStr | None = None
    oauth_refresh_token: SecretStr | None = None
    oauth_scope: str | None = None
    oauth_device_url: str | None = Field(default=None, pattern=r"^https?://")
    oauth_authorize_url: str | None = Field(default=None, pattern=r"^https?://")

    @model_validator(mode="after")
    def _oauth_complete(self) -> MailAuth:
        if self.mail_auth != "oauth2":
            return self
        if self.oauth_provider is None:
            raise ValueError(
                "AIE_OAUTH_PROVIDER: is not set (required with AIE_MAIL_AUTH=oauth2: google, "
                "microsoft or custom)"
            )
        if not self.oauth_client_id:
            raise ValueError(
                "AIE_OAUTH_CLIENT_ID: is not set (required with AIE_MAIL_AUTH=oauth2: the id "
                "of the app you registered with the provider)"
            )
        if self.oauth_provider == "custom" and not self.oauth_token_url:
            raise ValueError("AIE_OAUTH_TOKEN_URL: is not set (required for a custom provider)")
        return self

    @property
    def token_url(self) -> str:
        if self.oauth_token_url:
            return self.oauth_token_url
        return _TOKEN_URLS[self.oauth_provider or "google"].format(tenant=self.oauth_tenant)

    @property
    def device_url(self) -> str | None:
        """Where the device-code flow starts (Microsoft allows it for mail; Google not)."""
        preset = _DEVICE_URLS.get(self.oauth_provider or "")
        url = self.oauth_device_url or preset
        return url.format(tenant=self.oauth_tenant) if url else None

    @property
    def authorize_url(self) -> str | None:
        """Where the browser sign-in (with a redirect to this machine) starts."""
        return self.oauth_authorize_url or _AUTHORIZE_URLS.get(self.oauth_provider or "")

    @property
    def scope(self) -> str:
        return self.oauth_scope or _SCOPES.get(self.oauth_provider or "", "")


def mail_auth(program: str, *services: _ServiceSettings | None) -> MailAuth:
    """The mailbox's sign-in, or exit 2 naming what is missing (a password without OAuth)."""
    auth = load(MailAuth, program)
    if auth.mail_auth == "password":
        for service in services:
            if service is not None and service.password is None:
                prefix = "AIE_IMAP_" if isinstance(service, ImapSettings) else "AIE_SMTP_"
                _exit_with(
                    program,
                    [f"{prefix}PASSWORD: is not set (required with AIE_MAIL_AUTH=password)"],
                )
    return auth


class OdooSettings(BaseSettings):
    model_config = _config("AIE_ODOO_")

    url: str = Field(pattern=r"^https?://")
    db: str = Field(min_length=1)
    user: str = Field(min_length=1)
    password: SecretStr
    timeout_s: float = Field(default=30.0, gt=0)
    verify_tls: bool = True
    ca_file: Path | None = None
    mode: Literal["draft", "live"] | None = Field(
        default=None,
        description="draft (never posts) or live; default: draft on cloud, live on local",
    )
    protocol: Literal["auto", "jsonrpc", "json2"] = Field(
        default="auto",
        description="jsonrpc (odoorpc, Odoo 8 to 19), json2 (Odoo 19+, an API key), or auto: "
        "ask the server's version once and take json2 from Odoo 19 on",
    )

    @field_validator("url")
    @classmethod
    def _plain_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if not parts.hostname or parts.path not in ("", "/") or parts.query:
            raise ValueError("must be the server's address only, e.g. https://odoo.example.com")
        try:
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError:
            raise ValueError("has an invalid port") from None
        return value

    @model_validator(mode="after")
    def _ca_file_exists(self) -> OdooSettings:
        if self.ca_file is not None and not self.ca_file.is_file():
            raise ValueError(f"ca_file {str(self.ca_file)!r} does not exist")
        return self


S = TypeVar("S", bound=BaseSettings)


def settings_error_lines(cls: type[BaseSettings], error: ValidationError) -> list[str]:
    """One line per bad setting, named as the user sets it, with no input value echoed."""
    prefix = str(cls.model_config.get("env_prefix", ""))
    lines = []
    for err in error.errors(include_input=False, include_url=False):
        loc = "_".join(str(part) for part in err["loc"]).upper()
        name = f"{prefix}{loc}" if loc else f"{prefix.rstrip('_')} settings"
        message = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "missing":
            message = "is not set (required)"
        lines.append(f"{name}: {message}")
    return lines


def load(cls: type[S], program: str) -> S:
    """Load ``cls`` from the environment or exit 2 with one clear line per bad setting."""
    try:
        return cls()
    except ValidationError as error:
        _exit_with(program, settings_error_lines(cls, error))


def _exit_with(program: str, lines: list[str]) -> NoReturn:
    for line in lines:
        print(f"{program}: setting {line}", file=sys.stderr)
    raise SystemExit(2)
