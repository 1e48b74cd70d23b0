"""Attendance, report and alumni commands in-process (botbuilder's TestAdapter): coordinators only
where it matters, server-side checks on card values, and a confirmation for every action."""

from __future__ import annotations

from typing import Any

import pytest
from botbuilder.core.adapters import TestAdapter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import build_bot
from bot.core.handler import DalaLabBot
from bot.core.settings import Settings
from tests.bot.core.test_handler import COORDINATOR, message
from tests.turns import replies, text_of


@pytest.fixture
def bot(sqlite_sessions: async_sessionmaker[AsyncSession]) -> Any:
    settings = Settings(coordinator_ids=frozenset({COORDINATOR}))
    return build_bot(settings, sqlite_sessions, TestAdapter()).bot


@pytest.mark.parametrize("text", ["rapport", "närvaro", "avsluta projekt", "alumnimeddelande"])
async def test_coordinator_commands_are_refused_to_participants(bot: DalaLabBot, text: str) -> None:
    [reply] = await replies(bot, message(text))
    assert "bara för samordnare" in text_of(reply)


@pytest.mark.parametrize("verb", ["report_export", "attendance_save", "alumni_finish", "alumni_announce_confirm"])
async def test_coordinator_buttons_are_refused_to_participants(bot: DalaLabBot, verb: str) -> None:
    [reply] = await replies(bot, message(value={"verb": verb, "project_id": 1, "format": "pdf"}))
    assert "bara för samordnare" in text_of(reply)


async def test_coordinator_commands_without_projects_say_so(bot: DalaLabBot) -> None:
    [reply] = await replies(bot, message("rapport", aad=COORDINATOR))
    assert "inga lärprojekt" in text_of(reply)
    [reply] = await replies(bot, message("alumnimeddelande", aad=COORDINATOR))
    assert "Inget projekt är i alumnläge" in text_of(reply)


async def test_the_alumni_channel_is_linked_in_a_channel_only(bot: DalaLabBot) -> None:
    [reply] = await replies(bot, message("koppla alumnkanal", aad=COORDINATOR))
    assert "i den kanal som ska bli alumnkanal" in text_of(reply)


async def test_vem_kan_needs_a_topic_and_a_participant(bot: DalaLabBot) -> None:
    [reply] = await replies(bot, message("vem kan"))
    assert "Skriv **vem kan** följt av ett ämne" in text_of(reply)
    [reply] = await replies(bot, message("vem vet om energiplanering"))
    assert "till för deltagare" in text_of(reply)
    [reply] = await replies(bot, message("vem kan energiplanering", aad=COORDINATOR))
    assert "Jag hittade ingen" in text_of(reply)


@pytest.mark.parametrize("value", [{"verb": "checkin"}, {"verb": "checkin", "meeting_id": "x"},
                                   {"verb": "checkin", "meeting_id": 4242}])
async def test_a_check_in_without_a_real_meeting_is_explained(bot: DalaLabBot, value: dict[str, Any]) -> None:
    [reply] = await replies(bot, message(value=value))
    assert "Den knappen känner jag inte igen" in text_of(reply)


async def test_opting_out_of_a_project_one_is_not_in(bot: DalaLabBot) -> None:
    [reply] = await replies(bot, message(value={"verb": "alumni_opt_out", "project_id": 4242}))
    assert "Jag hittar ingen anmälan" in text_of(reply)
