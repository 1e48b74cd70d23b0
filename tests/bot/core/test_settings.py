"""Settings come from the environment and refuse values the bot cannot run safely with."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.core.settings import Settings, SettingsError


def test_defaults_are_local_development(tmp_path: Path) -> None:
    settings = Settings.from_env({}, dotenv=tmp_path / "missing.env")
    assert (settings.host, settings.port, settings.app_type) == ("127.0.0.1", 3978, "SingleTenant")
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.time_zone == "Europe/Stockholm"
    assert not settings.authenticated


def test_no_app_id_on_a_public_address_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="loopback"):
        Settings.from_env({"HOST": "0.0.0.0"}, dotenv=tmp_path / "none")


def test_single_tenant_needs_password_and_tenant(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="SingleTenant"):
        Settings.from_env({"MicrosoftAppId": "abc", "HOST": "0.0.0.0"}, dotenv=tmp_path / "none")


def test_full_credentials_allow_a_public_address(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "MicrosoftAppId": "app",
            "MicrosoftAppPassword": "secret",
            "MicrosoftAppTenantId": "tenant",
            "HOST": "0.0.0.0",
            "PORT": "8080",
            "PUBLIC_URL": "https://dalalab.example.se",
            "COORDINATOR_IDS": " AAA-1 , bbb-2,,",
        },
        dotenv=tmp_path / "none",
    )
    assert settings.authenticated and settings.port == 8080
    assert settings.coordinator_ids == frozenset({"aaa-1", "bbb-2"})
    assert "secret" not in repr(settings)


@pytest.mark.parametrize("value", ["Singel", "multi tenant", "x"])
def test_unknown_app_type_is_refused_not_silently_multitenant(tmp_path: Path, value: str) -> None:
    with pytest.raises(SettingsError, match="MicrosoftAppType"):
        Settings.from_env({"MicrosoftAppType": value}, dotenv=tmp_path / "none")


@pytest.mark.parametrize(("env", "message"), [({"PORT": "http"}, "PORT"), ({"TZ_NAME": "Mars/Olympus"}, "TZ_NAME"),
                                             ({"BOT_LANGUAGE": "fi"}, "BOT_LANGUAGE")])
def test_bad_values_name_the_variable(tmp_path: Path, env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env, dotenv=tmp_path / "none")


def test_dotenv_is_read_and_environment_wins(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("PORT=4000\nTZ_NAME=Europe/Helsinki\n", encoding="utf-8")
    settings = Settings.from_env({"PORT": "5000"}, dotenv=dotenv)
    assert settings.port == 5000 and settings.time_zone == "Europe/Helsinki"


CREDENTIALS = {"MicrosoftAppId": "app", "MicrosoftAppPassword": "secret", "MicrosoftAppTenantId": "tenant",
               "HOST": "0.0.0.0"}


@pytest.mark.parametrize("url", ["", "http://dalalab.example.se", "dalalab.example.se", "https://", "ftp://x.se"])
def test_with_an_app_id_public_url_must_be_https_or_the_bot_refuses_to_start(tmp_path: Path, url: str) -> None:
    with pytest.raises(SettingsError, match="PUBLIC_URL.*https"):
        Settings.from_env({**CREDENTIALS, "PUBLIC_URL": url}, dotenv=tmp_path / "none")


def test_main_refuses_to_start_with_an_http_public_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    import app

    monkeypatch.chdir(tmp_path)
    for name, value in {**CREDENTIALS, "PUBLIC_URL": "http://dalalab.example.se"}.items():
        monkeypatch.setenv(name, value)
    # main() sets up the process's logging on this test's captured stderr, which closes with the test: later
    # tests' log records (a server thread's access log) would go to a closed stream.
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        with pytest.raises(SystemExit) as stopped:
            app.main()
    finally:
        root.handlers = handlers
        root.setLevel(level)
    assert stopped.value.code == 2 and "PUBLIC_URL" in capsys.readouterr().err


def test_without_an_app_id_public_url_may_be_local_http(tmp_path: Path) -> None:
    settings = Settings.from_env({"PUBLIC_URL": "http://127.0.0.1:3978"}, dotenv=tmp_path / "none")
    assert settings.base_url == "http://127.0.0.1:3978"


def test_the_message_size_limit_is_configurable(tmp_path: Path) -> None:
    assert Settings.from_env({}, dotenv=tmp_path / "none").max_message_bytes == 28_000
    assert Settings.from_env({"MAX_MESSAGE_BYTES": "60000"}, dotenv=tmp_path / "none").max_message_bytes == 60_000
    with pytest.raises(SettingsError, match="MAX_MESSAGE_BYTES"):
        Settings.from_env({"MAX_MESSAGE_BYTES": "100"}, dotenv=tmp_path / "none")
