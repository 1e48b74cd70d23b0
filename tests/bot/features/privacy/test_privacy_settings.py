"""The settings and the access log that privacy and resilience add: RETENTION_DAYS,
DALALAB_STALE_CLAIM_SECONDS, and download, calendar and chart tokens kept out of the access log."""

from __future__ import annotations

import pytest

from bot.core.settings import Settings, SettingsError
from bot.teams.access_log import without_tokens


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert (settings.retention_days, settings.stale_claim_seconds) == (730, 300)


def test_read_from_the_environment() -> None:
    settings = Settings.from_env({"RETENTION_DAYS": "365", "DALALAB_STALE_CLAIM_SECONDS": "60"})
    assert (settings.retention_days, settings.stale_claim_seconds) == (365, 60)


@pytest.mark.parametrize("name", ["RETENTION_DAYS", "DALALAB_STALE_CLAIM_SECONDS"])
@pytest.mark.parametrize("value", ["0", "-5", "två år", "1.5"])
def test_bad_values_are_refused_by_name(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


@pytest.mark.parametrize(("path", "logged"), [
    ("/downloads/AbCdEfGhIjKlMnOpQrStUv", "/downloads/AbCd…"),
    ("/calendar/SeCrEtToKeN123/serie.ics", "/calendar/SeCr…/serie.ics"),
    ("/charts/ChArTtOkEn12345.png", "/charts/ChAr….png"),
    ("/api/messages", "/api/messages"),
    ("/healthz", "/healthz"),
])
def test_tokens_are_shortened_in_the_access_log(path: str, logged: str) -> None:
    assert without_tokens(path) == logged
