"""The bot and the Agents Playground started once for the e2e session, and a client per test."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from scripts.devstack import ROOT, Stack, start_stack
from tests.e2e.playground import Playground

COORDINATOR_AAD = "0c0a0000-0000-4000-8000-000000000000"
DATA = Path(__file__).parent / "data"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    workdir: Path = tmp_path_factory.mktemp("e2e")
    database_url = f"sqlite+aiosqlite:///{workdir / 'dalalab.db'}"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.admin",
            "import",
            str(DATA / "closed_project.yaml"),
            "--database-url",
            database_url,
        ],
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    running = start_stack(workdir,
        env={"COORDINATOR_IDS": COORDINATOR_AAD, "BOT_LANGUAGE": "sv", "DEMO_PROJECT": "1", "DALALAB_TEST_HOOKS": "1",
             # Quiet hours are proven by unit tests; here a message due in a minute must go in a minute.
             "QUIET_HOURS": "off"},)
    yield running
    running.stop()


def bot_now(stack: Stack) -> datetime:
    """The bot's clock (tests move it forward with /_test/clock)."""
    request = urllib.request.Request(f"{stack.bot_url}/_test/clock", data=b'{"seconds": 0}',
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return datetime.fromisoformat(json.loads(response.read())["now"])


def year_shown(stack: Stack, year: int) -> str:
    """" 2027" when the bot's clock is in another year than ``year`` (dates then show it), else ""."""
    return "" if bot_now(stack).astimezone(ZoneInfo("Europe/Stockholm")).year == year else f" {year}"


def import_project(stack: Stack, path: Path) -> None:
    """Load a project file into the running bot's database, as a coordinator would with bot.admin."""
    database_url = f"sqlite+aiosqlite:///{stack.workdir / 'dalalab.db'}"
    subprocess.run([sys.executable, "-m", "bot.admin", "import", str(path), "--database-url", database_url],
                   check=True, cwd=ROOT, capture_output=True)


@pytest.fixture
async def playground(stack: Stack) -> AsyncIterator[Playground]:
    async with aiohttp.ClientSession() as session:
        client = Playground(stack.playground_url, session)
        await client.connect()
        yield client
        await client.close()
