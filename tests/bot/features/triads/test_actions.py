"""`bilda triader` through the handler and botbuilder's TestAdapter: coordinators only, the
proposal card, moving with server-side validation, confirming once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import build_bot
from bot.core.handler import DalaLabBot
from bot.core.settings import Settings
from storage.models import Delivery, TriadMember
from tests.storage.test_triads import NOW, make_people, make_project, register
from tests.turns import Sent
from tests.turns import turn as run_turn

COORDINATOR = "aad-coordinator"


@dataclass
class Setup:
    bot: DalaLabBot
    sessions: async_sessionmaker[AsyncSession]
    project: int


@pytest.fixture
async def setup(sqlite_sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[Setup]:
    sessions = sqlite_sessions
    project, _meetings = await make_project(sessions)
    people = await make_people(sessions, 6)
    for i, (person, organisation) in enumerate(zip(people, ["falun", "mora", "vansbro"] * 2, strict=True)):
        await register(sessions, project, person, f"Deltagare {i}", organisation)
    settings = Settings(coordinator_ids=frozenset({COORDINATOR}))
    yield Setup(build_bot(settings, sessions, TestAdapter(), lambda: NOW).bot, sessions, project)


async def turn(bot: DalaLabBot, text: str | None = None, value: dict[str, Any] | None = None,
               aad: str = COORDINATOR) -> Sent:
    activity = Activity(
        type="message", text=text, value=value, locale="sv-SE", channel_id="msteams",
        service_url="https://smba.example/", reply_to_id="card-1" if value else None,
        from_property=ChannelAccount(id=f"29:{aad}", name="Linnea", aad_object_id=aad),
        recipient=ChannelAccount(id="bot", name="DalaLab"),
        conversation=ConversationAccount(id=f"conv-{aad}", conversation_type="personal"),
    )
    return await run_turn(bot, activity)


def action(card: dict[str, Any], verb: str) -> dict[str, Any]:
    return next(a["data"] for a in card["actions"] if a["data"]["verb"] == verb)


async def group_of(sessions: async_sessionmaker[AsyncSession], person: int) -> int:
    async with sessions() as session:
        number = await session.scalar(select(TriadMember.group_number).where(TriadMember.person_id == person))
        assert number is not None
        return number


async def test_participants_may_not_form_or_confirm(setup: Setup) -> None:
    assert "bara för samordnare" in (await turn(setup.bot, "bilda triader", aad="aad-anna")).text()
    refused = await turn(setup.bot, value={"verb": "triads_confirm", "round_id": 1}, aad="aad-anna")
    assert "bara för samordnare" in refused.text()


async def test_propose_move_and_confirm_once(setup: Setup) -> None:
    proposal = await turn(setup.bot, "bilda triader")
    card = proposal.card()
    text = proposal.text()
    assert "Förslag till triader – träff 1" in text and "Grupp 2" in text and "Deltagare 0, Falu kommun" in text
    assert {"question", "person", "group"} <= {e.get("id") for e in _elements(card)}

    person = int(next(e for e in _elements(card) if e.get("id") == "person")["choices"][0]["value"])
    target = 3 - await group_of(setup.sessions, person)
    move = {**action(card, "triads_move"), "person": str(person), "group": str(target), "question": "Vad krånglar?"}
    moved = await turn(setup.bot, value=move)
    assert "är flyttad till grupp" in moved.text() and "Vad krånglar?" in moved.text()
    assert await group_of(setup.sessions, person) == target

    confirm = {**action(moved.card(), "triads_confirm"), "question": "Vad krånglar?"}
    confirmed = await turn(setup.bot, value=confirm)
    assert "är bekräftade" in confirmed.text() and "6 deltagare" in confirmed.text()
    again = await turn(setup.bot, value=confirm)
    assert "redan bekräftade" in again.text() and not again.updated
    async with setup.sessions() as session:
        queued = await session.scalar(select(func.count()).select_from(Delivery).where(Delivery.kind == "triad"))
    assert queued == 6


@pytest.mark.parametrize(
    ("value", "expected"),
    [({"verb": "triads_move", "round_id": "x"}, "känner jag inte igen"),
     ({"verb": "triads_confirm"}, "känner jag inte igen"),
     ({"verb": "triads_move", "round_id": "ROUND", "person": "1; drop", "group": "1"}, "Välj vem som ska flyttas"),
     ({"verb": "triads_move", "round_id": "ROUND", "person": "PERSON", "group": "99"}, "Välj vilken grupp"),
     ({"verb": "triads_confirm", "round_id": "ROUND", "question": "x" * 600}, "för lång"),
     ({"verb": "triads_start", "project_id": 999}, "finns inte längre")],
)
async def test_card_values_are_validated_on_the_server(setup: Setup, value: dict[str, Any], expected: str) -> None:
    card = (await turn(setup.bot, "bilda triader")).card()
    round_id = action(card, "triads_confirm")["round_id"]
    person = next(e for e in _elements(card) if e.get("id") == "person")["choices"][0]["value"]
    filled = {k: (round_id if v == "ROUND" else person if v == "PERSON" else v) for k, v in value.items()}
    assert expected in (await turn(setup.bot, value=filled)).text()


async def test_several_open_projects_mean_a_choice_first(setup: Setup) -> None:
    await make_project(setup.sessions, slug="second")
    choice = await turn(setup.bot, "bilda triader")
    assert "Vilket lärprojekt" in choice.text()
    [button] = choice.card()["actions"]
    [projects] = [e for e in _elements(choice.card()) if e.get("type") == "Input.ChoiceSet"]
    assert str(setup.project) in [c["value"] for c in projects["choices"]]
    data = {**button["data"], projects["id"]: str(setup.project)}
    assert data["verb"] == "triads_start"
    assert "Förslag till triader" in (await turn(setup.bot, value=data)).text()


async def test_a_meeting_nobody_registered_for_is_explained(setup: Setup) -> None:
    empty, _meetings = await make_project(setup.sessions, slug="empty")
    reply = await turn(setup.bot, value={"verb": "triads_start", "project_id": empty})
    assert "Ingen är anmäld till träff 1" in reply.text()


def _elements(node: Any) -> list[dict[str, Any]]:
    """Every element of a card, nested ones included."""
    if isinstance(node, list):
        return [e for item in node for e in _elements(item)]
    if not isinstance(node, dict):
        return []
    nested = [e for key in ("body", "items", "columns") for e in _elements(node.get(key, []))]
    return [node, *nested]
