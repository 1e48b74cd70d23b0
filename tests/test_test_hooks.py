"""The test hooks (DALALAB_TEST_HOOKS: /_test/clock and /_test/run-jobs move the bot's clock and run its
jobs, unauthenticated) exist only for a local, unauthenticated bot on loopback (issue 13)."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from app import create_app
from bot.core.settings import Settings, SettingsError

CREDENTIALS = {"MicrosoftAppId": "7f1c3c1e-0000-4000-8000-00000000a1b0", "MicrosoftAppPassword": "secret",
               "MicrosoftAppTenantId": "tenant-1", "PUBLIC_URL": "https://bot.example"}


@pytest.mark.parametrize(("environment", "case"), [
    ({**CREDENTIALS, "DALALAB_TEST_HOOKS": "1"}, "with an app id on loopback"),
    ({**CREDENTIALS, "DALALAB_TEST_HOOKS": "1", "HOST": "0.0.0.0"}, "with an app id on a public address"),
    ({**CREDENTIALS, "DALALAB_TEST_HOOKS": "1", "HOST": "10.1.2.3"}, "with an app id on a private address"),
])
def test_hooks_are_refused_at_start_up(tmp_path: Path, environment: dict[str, str], case: str) -> None:
    with pytest.raises(SettingsError, match="DALALAB_TEST_HOOKS"):
        Settings.from_env(environment, dotenv=tmp_path / "none")


@pytest.mark.parametrize("settings", [
    Settings(test_hooks=True, app_id="7f1c3c1e", app_password="secret", app_tenant_id="tenant-1"),
    Settings(test_hooks=True, host="0.0.0.0"),
])
def test_create_app_refuses_hooks_even_when_settings_were_built_by_hand(settings: Settings) -> None:
    with pytest.raises(SettingsError, match="DALALAB_TEST_HOOKS"):
        create_app(settings)


@pytest.mark.parametrize("hooks", [False, True])
async def test_the_hook_routes_exist_only_when_enabled(tmp_path: Path, hooks: bool) -> None:
    settings = Settings(test_hooks=hooks, database_url=f"sqlite+aiosqlite:///{tmp_path}/hooks.db")
    async with TestClient(TestServer(create_app(settings))) as client:
        statuses = [(await client.post(path, json={})).status for path in ("/_test/clock", "/_test/run-jobs")]
    if hooks:
        assert 404 not in statuses and 405 not in statuses
    else:
        assert statuses == [404, 404]
