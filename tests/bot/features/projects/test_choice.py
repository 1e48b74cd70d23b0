"""The project chooser: however many projects are open, one list and one button (Teams shows at
most 6 buttons on a card and drops the rest), and the project chosen in the list is the one opened."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from botbuilder.core.adapters import TestAdapter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import build_bot
from bot.core.handler import DalaLabBot
from bot.core.settings import Settings
from bot.features.registration.cards import project_choice
from tests.bot.features.triads.test_actions import COORDINATOR, _elements, turn
from tests.storage.test_triads import NOW, make_project


@pytest.fixture
async def eight(sqlite_sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[tuple[DalaLabBot, list[int]]]:
    sessions = sqlite_sessions
    projects = [(await make_project(sessions, slug=f"p{n}"))[0] for n in range(8)]
    settings = Settings(coordinator_ids=frozenset({COORDINATOR}))
    yield build_bot(settings, sessions, TestAdapter(), lambda: NOW).bot, projects


def _chooser(card: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    [choices] = [e for e in _elements(card["body"]) if e.get("type") == "Input.ChoiceSet"]
    [button] = card["actions"]
    return choices, button


def test_the_card_has_one_button_and_every_project_in_its_list() -> None:
    card = project_choice([(n, f"Projekt {n}") for n in range(1, 21)], "report")
    choices, button = _chooser(card)
    assert button["type"] == "Action.Submit" and button["data"] == {"verb": "report"}
    assert [c["value"] for c in choices["choices"]] == [str(n) for n in range(1, 21)]
    assert choices["id"] == "project_id" and choices["isRequired"] and choices["errorMessage"]


@pytest.mark.parametrize(("command", "aad", "verb", "opened"), [
    ("anmäl", "aad-participant", "register_start", "Skicka anmälan"),
    ("anmälningar", COORDINATOR, "overview", "Anmälningar"),
])
async def test_eight_open_projects_the_eighth_can_be_chosen(
        eight: tuple[DalaLabBot, list[int]], command: str, aad: str, verb: str, opened: str) -> None:
    bot, projects = eight
    card = (await turn(bot, command, aad=aad)).card()
    choices, button = _chooser(card)
    assert len(card["actions"]) == 1 and button["data"]["verb"] == verb
    assert sorted(int(c["value"]) for c in choices["choices"]) == sorted(projects)
    # What Teams submits: the button's data and the list's value (a string).
    chosen = await turn(bot, value={**button["data"], "project_id": str(projects[-1])}, aad=aad)
    assert opened in chosen.text()
