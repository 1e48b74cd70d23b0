"""The one typed settings object, read from the environment (and an optional .env file)."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.quiet_hours import QuietHours

APP_TYPES = {"singletenant": "SingleTenant", "userassignedmsi": "UserAssignedMSI", "multitenant": "MultiTenant"}


class SettingsError(ValueError):
    """A setting is missing or has a value the bot cannot run with."""


@dataclass(frozen=True)
class Settings:
    app_id: str = ""
    app_password: str = field(default="", repr=False)
    app_type: str = "SingleTenant"
    app_tenant_id: str = ""
    host: str = "127.0.0.1"
    port: int = 3978
    database_url: str = "sqlite+aiosqlite:///dalalab.db"
    coordinator_ids: frozenset[str] = frozenset()
    time_zone: str = "Europe/Stockholm"
    language: str = "auto"
    """"auto" follows the Teams locale (Swedish unless it says English); "sv" or "en" fixes it."""
    openid_metadata_url: str = ""
    """Where inbound tokens' signing keys are published; default: the Bot Framework's (tests use their own)."""
    token_issuer: str = ""
    """Expected issuer of inbound tokens; default: https://api.botframework.com."""
    anonymity_threshold: int = 3
    """Evaluation results (and each group in a breakdown) need at least this many answers."""
    quiet_hours: str = "21-07"
    """No scheduled messages between these local hours ("off" for none)."""
    test_hooks: bool = False
    """DALALAB_TEST_HOOKS=1: /_test endpoints move the clock and run jobs (local, unauthenticated only)."""
    public_url: str = ""
    """Where people's browsers reach the bot (calendar files, exports); default http://HOST:PORT."""
    demo_project: bool = False
    max_request_bytes: int = 256 * 1024
    retention_days: int = 730
    """RETENTION_DAYS: data of a finished (or alumni) project is anonymised this long after it ended.
    The registration form says "two years" (catalog key register.privacy): change it with this."""
    stale_claim_seconds: int = 300
    max_message_bytes: int = 28_000
    """MAX_MESSAGE_BYTES: no activity larger than this (JSON, UTF-8) is sent (Teams refuses big ones)."""
    """DALALAB_STALE_CLAIM_SECONDS: an outbox claim not renewed this long is taken over (dead process)."""

    @property
    def authenticated(self) -> bool:
        return bool(self.app_id)

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def quiet(self) -> QuietHours:
        return QuietHours.parse(self.quiet_hours)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def refuse_unsafe_test_hooks(self) -> None:
        """The test hooks move the clock and run jobs without authentication: never with an app id
        (a real bot) or on an address other than loopback. Checked at start-up and again by create_app."""
        if _hooks_refused(self):
            raise SettingsError("DALALAB_TEST_HOOKS is only allowed without MicrosoftAppId on a loopback address.")

    def validate(self) -> Settings:
        if not self.app_id and not _is_loopback(self.host):
            raise SettingsError(
                f"MicrosoftAppId is empty but HOST={self.host} is not a loopback address. "
                "Without an app id the bot accepts unauthenticated requests, which is only "
                "allowed on 127.0.0.1/localhost (local development with the Agents Playground). "
                "Set MicrosoftAppId, MicrosoftAppPassword and MicrosoftAppTenantId, or bind to 127.0.0.1."
            )
        if self.app_id and self.app_type == "SingleTenant" and not (self.app_password and self.app_tenant_id):
            raise SettingsError(
                "MicrosoftAppType=SingleTenant needs MicrosoftAppPassword and MicrosoftAppTenantId."
            )
        if self.app_id:
            _check_public_url(self.public_url)
        if self.max_message_bytes < 1024:
            raise SettingsError(f"MAX_MESSAGE_BYTES={self.max_message_bytes} is too small (at least 1024).")
        if self.app_id and self.app_type == "UserAssignedMSI" and not self.app_tenant_id:
            raise SettingsError("MicrosoftAppType=UserAssignedMSI needs MicrosoftAppTenantId.")
        self.refuse_unsafe_test_hooks()
        try:
            QuietHours.parse(self.quiet_hours)
        except ValueError as error:
            raise SettingsError(f"QUIET_HOURS={self.quiet_hours!r} is not like 21-07 or off.") from error
        if self.language not in ("auto", "sv", "en"):
            raise SettingsError(f"BOT_LANGUAGE={self.language!r} is not one of auto, sv, en.")
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise SettingsError(f"TZ_NAME={self.time_zone!r} is not a known time zone.") from error
        return self

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, dotenv: Path | None = None) -> Settings:
        values = dict(_read_dotenv(dotenv or Path(".env")))
        values.update(os.environ if env is None else env)
        app_type_raw = values.get("MicrosoftAppType", "").strip() or "SingleTenant"
        app_type = APP_TYPES.get(app_type_raw.lower())
        if app_type is None:
            raise SettingsError(
                f"MicrosoftAppType={app_type_raw!r} is not one of SingleTenant, UserAssignedMSI, MultiTenant."
            )
        port_raw = values.get("PORT", "3978")
        if not port_raw.isdigit() or not 0 < int(port_raw) < 65536:
            raise SettingsError(f"PORT={port_raw!r} is not a port number.")
        return cls(
            app_id=values.get("MicrosoftAppId", "").strip(),
            app_password=values.get("MicrosoftAppPassword", ""),
            app_type=app_type,
            app_tenant_id=values.get("MicrosoftAppTenantId", "").strip(),
            host=values.get("HOST", "127.0.0.1").strip(),
            port=int(port_raw),
            database_url=values.get("DATABASE_URL", "").strip() or cls.database_url,
            coordinator_ids=frozenset(
                part.strip().lower() for part in values.get("COORDINATOR_IDS", "").split(",") if part.strip()
            ),
            time_zone=values.get("TZ_NAME", "").strip() or cls.time_zone,
            language=values.get("BOT_LANGUAGE", "").strip().lower() or "auto",
            public_url=values.get("PUBLIC_URL", "").strip(),
            openid_metadata_url=values.get("BOT_OPENID_METADATA_URL", "").strip(),
            token_issuer=values.get("BOT_TOKEN_ISSUER", "").strip(),
            quiet_hours=values.get("QUIET_HOURS", "").strip() or cls.quiet_hours,
            anonymity_threshold=_positive(values.get("ANONYMITY_THRESHOLD", ""), cls.anonymity_threshold),
            test_hooks=values.get("DALALAB_TEST_HOOKS", "").strip() == "1",
            demo_project=values.get("DEMO_PROJECT", "").strip().lower() in {"1", "true", "yes", "ja"},
            retention_days=_positive(values.get("RETENTION_DAYS", ""), cls.retention_days, "RETENTION_DAYS"),
            stale_claim_seconds=_positive(values.get("DALALAB_STALE_CLAIM_SECONDS", ""), cls.stale_claim_seconds,
                                          "DALALAB_STALE_CLAIM_SECONDS"),
            max_message_bytes=_positive(values.get("MAX_MESSAGE_BYTES", ""), cls.max_message_bytes,
                                        "MAX_MESSAGE_BYTES"),
        ).validate()


def _positive(raw: str, default: int, name: str = "ANONYMITY_THRESHOLD") -> int:
    raw = raw.strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise SettingsError(f"{name}={raw!r} is not a whole number of at least 1.")
    return int(raw)


def _check_public_url(url: str) -> None:
    """With an app id the bot is in Teams, whose clients fetch chart images, calendar files and
    downloads from PUBLIC_URL: only a public https address works there (http fails silently)."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise SettingsError(
            f"PUBLIC_URL={url!r} must be the bot's public https address (https://<host>) when MicrosoftAppId "
            "is set: Teams only shows images and opens links from https addresses."
        )


def _hooks_refused(settings: Settings) -> bool:
    return settings.test_hooks and (bool(settings.app_id) or not _is_loopback(settings.host))


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _read_dotenv(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    from dotenv import dotenv_values

    return {key: value for key, value in dotenv_values(path).items() if value is not None}
