"""The Teams edge of case examples and homework in-process (botbuilder's TestAdapter): Swedish
messages for wrong card values, coordinator-only verbs refused, and a confirmation after each action."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import build_bot
from bot.core.handler import DalaLabBot
from bot.core.settings import Settings
from storage.db import create_engine, migrate, session_factory
from storage.models import Assignment, CaseExample
from tests.exchange_world import NOW, PEOPLE, World, build_world
from tests.turns import replies

COORDINATOR = "aad-coordinator"
EXAMPLE = {"title": "Effektbrist i Falun", "theme": "Energiomställning", "organisation": "falun",
           "challenge": "Elnätet räcker inte.", "actions": "Vi samordnade med nätägaren.",
           "links": "https://falun.se/el", "sharing": "project"}


class Bot:
    def __init__(self, bot: DalaLabBot, sessions: async_sessionmaker[AsyncSession], world: World) -> None:
        self.bot, self.sessions, self.world = bot, sessions, world

    async def say(self, who: str, text: str | None = None, value: dict[str, Any] | None = None) -> list[str]:
        """What the bot answers ``who`` (a first name from the world, or "coordinator"), as text."""
        teams_id = "29:coordinator" if who == "coordinator" else f"29:etableringar:{_full_name(self.world, who)}"
        activity = Activity(type="message", text=text, value=value, locale="sv-SE", channel_id="msteams",
                            service_url="https://smba.example/", recipient=ChannelAccount(id="bot", name="DalaLab"),
                            from_property=ChannelAccount(id=teams_id, name=who,
                                                         aad_object_id=COORDINATOR if who == "coordinator" else None),
                            conversation=ConversationAccount(id=f"conv-{who}", conversation_type="personal"))
        return [a.text or json.dumps(a.attachments[0].content, ensure_ascii=False) for a in
                await replies(self.bot, activity)]


def _full_name(world: World, first: str) -> str:
    return next(name for name in [*PEOPLE, "Outsider"] if name.split()[0] == first)


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Bot]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/x.db")
    await migrate(engine)
    sessions = session_factory(engine)
    world = await build_world(sessions)
    settings = Settings(coordinator_ids=frozenset({COORDINATOR}), quiet_hours="off")
    yield Bot(build_bot(settings, sessions, TestAdapter(), lambda: NOW).bot, sessions, world)
    await engine.dispose()


async def only_id(sessions: async_sessionmaker[AsyncSession], model: Any) -> int:
    async with sessions() as session:
        return int((await session.scalars(select(model.id))).one())


async def test_participants_cannot_use_coordinator_actions(env: Bot) -> None:
    assert "bara för samordnare" in (await env.say("Anna", "be om exempel"))[0]
    assert "bara för samordnare" in (await env.say("Anna", value={"verb": "example_review", "example_id": 1,
                                                                  "decision": "approve"}))[0]
    assert "bara för samordnare" in (await env.say("Anna", value={"verb": "homework_export", "assignment_id": 1}))[0]


async def test_an_example_from_form_to_search(env: Bot) -> None:
    assert "inga exempel att visa" in (await env.say("Anna", "exempel"))[0]
    assert "behöver vara anmäld" in (await env.say("Outsider", "skicka exempel"))[0]
    [form] = await env.say("Anna", "skicka exempel")
    assert "Dela ett exempel" in form and '"value": "falun"' in form and "Anna Lindqvist, anna@falun.se" in form

    ids = {"verb": "example_submit", "project_id": env.world.project_id}
    [refused] = await env.say("Anna", value={**ids, **EXAMPLE, "title": " ", "links": "se bilaga"})
    assert refused.startswith("Exemplet är inte skickat")
    assert "Rubrik måste fyllas i." in refused and "\"se bilaga\" ser inte ut som en webbadress" in refused
    [thanks] = await env.say("Anna", value={**ids, **EXAMPLE})
    assert "Tack! Ditt exempel" in thanks

    intro, review = await env.say("coordinator", "granska exempel")
    assert intro == "1 exempel väntar på granskning." and "Effektbrist i Falun" in review
    example_id = await only_id(env.sessions, CaseExample)
    decision = {"verb": "example_review", "example_id": example_id}
    assert "Skriv en kommentar" in (await env.say("coordinator", value={**decision, "decision": "changes"}))[0]
    assert "Godkänt" in (await env.say("coordinator", value={**decision, "decision": "approve"}))[0]
    assert "redan granskat (godkänt)" in (await env.say("coordinator", value={**decision, "decision": "reject"}))[0]
    assert "Projektet har ingen kanal" in (await env.say("coordinator", value={"verb": "example_post",
                                                                               "example_id": example_id}))[0]

    [found] = await env.say("Karin", "exempel ENERGIOMSTÄLLNING")
    assert "Effektbrist i Falun" in found and "example_show" in found
    assert "inga exempel hittades" in (await env.say("Outsider", "exempel energiomställning"))[0].lower()
    assert "finns inte" in (await env.say("Outsider", value={"verb": "example_show", "example_id": example_id}))[0]


async def test_a_request_is_previewed_before_it_is_sent(env: Bot) -> None:
    [form] = await env.say("coordinator", "be om exempel")
    assert "Be om exempel" in form and "Mora kommun" in form
    values = {"project_id": env.world.project_id, "theme": "Energi", "deadline_date": "2027-03-15",
              "deadline_time": "", "organisations": "mora,falun"}
    [past] = await env.say("coordinator", value={"verb": "example_request_preview", **values,
                                                 "deadline_date": "2027-02-01"})
    assert "Förfrågan är inte skickad" in past and "redan passerat" in past
    [preview] = await env.say("coordinator", value={"verb": "example_request_preview", **values})
    assert "3 deltagare från Falu kommun, Mora kommun" in preview
    confirm = {"verb": "example_request_confirm", **values}
    assert "skickas nu till 3 deltagare" in (await env.say("coordinator", value=confirm))[0]
    assert "redan skickad" in (await env.say("coordinator", value=confirm))[0]


async def test_homework_from_task_to_export(env: Bot) -> None:
    [form] = await env.say("coordinator", "ny hemuppgift")
    assert "Ny hemuppgift" in form and "Träff 1" in form
    task = {"verb": "homework_create", "project_id": env.world.project_id, "meeting_id": str(env.world.meeting_ids[0]),
            "title": "Kartlägg er plan", "instructions": "", "deadline_date": "2027-03-12", "deadline_time": "12:00"}
    [created] = await env.say("coordinator", value=task)
    assert "skickas nu till 4 deltagare" in created and "påminns" in created
    assignment_id = await only_id(env.sessions, Assignment)
    answer = {"verb": "homework_answer", "assignment_id": assignment_id, "links": ""}
    assert "Svaret är inte sparat" in (await env.say("Anna", value={**answer, "answer": ""}))[0]
    assert "Tack! Ditt svar är sparat." in (await env.say("Anna", value={**answer, "answer": "Klart"}))[0]
    assert "ersatt det förra" in (await env.say("Anna", value={**answer, "answer": "Klart nu"}))[0]
    assert "för deltagarna på träffen" in (await env.say("Olle", value={**answer, "answer": "Jag"}))[0]
    [tasks] = await env.say("coordinator", "hemuppgifter")
    assert "1 av 4 har svarat" in tasks
    [compilation] = await env.say("coordinator", value={"verb": "homework_compilation", "assignment_id": assignment_id})
    assert "Klart nu" in compilation and "Har inte svarat: Erik Åström (Falu kommun)" in compilation
    [download] = await env.say("coordinator", value={"verb": "homework_export", "assignment_id": assignment_id})
    assert "/downloads/" in download and "1 svar" in download
