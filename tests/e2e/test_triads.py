"""Triads through the Agents Playground: six people register for a project of their own, the
coordinator (the current user) forms triads for the next meeting, moves one person, confirms
(twice, as a double click would), and each person is told their group 1:1, exactly once."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from scripts.devstack import Stack
from tests.e2e.conftest import bot_now, import_project
from tests.e2e.playground import BotMessage, Playground
from tests.e2e.test_registration import _find_action, has_card, register
from tests.e2e.test_reminders_and_messages import bot_hook

STOCKHOLM = ZoneInfo("Europe/Stockholm")
SLUG = "triadsamtal-e2e"
QUESTION = "Hur arbetar ni med servicepunkter i er kommun?"
PEOPLE = {  # user -> (name, organisation key, organisation name)
    "user-id-0": ("Linnea Hassis", "region", "Region Dalarna"),
    "user-id-1": ("Anna Lindqvist", "falun", "Falu kommun"),
    "user-id-2": ("Erik Åström", "falun", "Falu kommun"),
    "user-id-3": ("Sara Öberg", "mora", "Mora kommun"),
    "user-id-4": ("Johan Mäkelä", "mora", "Mora kommun"),
    "user-id-5": ("Karin Dahl", "vansbro", "Vansbro kommun"),
}


@pytest.fixture(scope="module")
def triad_project(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A project of this module's own, its first meeting a month ahead of the bot's clock."""
    start = (bot_now(stack).astimezone(STOCKHOLM) + timedelta(days=30)).date()
    path: Path = tmp_path_factory.mktemp("triads") / "triads.yaml"
    path.write_text(
        f"""slug: {SLUG}
name: Triadsamtal om service
description: Erfarenhetsutbyte i triader.
registration_deadline: {(start - timedelta(days=7)).isoformat()}
meetings:
  - number: 1
    title: Servicepunkter
    date: {start.isoformat()}
    start: "10:00"
    end: "15:00"
    place: Mora
  - number: 2
    title: Uppföljning
    date: {(start + timedelta(days=30)).isoformat()}
    start: "10:00"
    end: "12:00"
    place: Digitalt (Teams)
""",
        encoding="utf-8",
    )
    import_project(stack, path)
    with sqlite3.connect(stack.workdir / "dalalab.db") as db:
        yield int(db.execute("SELECT id FROM project WHERE slug = ?", (SLUG,)).fetchone()[0])


def groups_of(stack: Stack, round_id: int) -> dict[str, int]:
    """user id -> group number in the round."""
    with sqlite3.connect(stack.workdir / "dalalab.db") as db:
        rows = db.execute(
            "SELECT p.teams_id, m.group_number FROM triad_member m JOIN person p ON p.id = m.person_id "
            "WHERE m.round_id = ?", (round_id,),
        ).fetchall()
    return {teams_id: group for teams_id, group in rows}


def person_id(stack: Stack, user: str) -> int:
    with sqlite3.connect(stack.workdir / "dalalab.db") as db:
        return int(db.execute("SELECT id FROM person WHERE teams_id = ?", (user,)).fetchone()[0])


def is_announcement(message: BotMessage) -> bool:
    return bool(message.cards) and "Ditt triadsamtal på träff 1" in message.all_text


async def test_coordinator_forms_moves_and_confirms_and_everyone_is_told_once(
    playground: Playground, stack: Stack, triad_project: int
) -> None:
    me, chat = playground.personal_chat, playground.group_chat
    for user, (name, organisation, _) in PEOPLE.items():
        await register(playground, me if user == "user-id-0" else chat, user, triad_project, name, organisation)

    proposal = await _propose(playground, triad_project)
    round_id = int(_find_action(proposal.cards[0], "triads_confirm")["data"]["round_id"])
    before_move = groups_of(stack, round_id)
    assert sorted(before_move.values()) == [1, 1, 1, 2, 2, 2]
    for group in (1, 2):  # two from Falun, two from Mora: never together
        organisations = [PEOPLE[u][1] for u, g in before_move.items() if g == group]
        assert len(set(organisations)) == 3
    for name, _key, organisation in PEOPLE.values():
        assert f"{name}, {organisation}" in proposal.all_text

    mover = next(u for u, g in before_move.items() if g == 1)
    moved = await _submit_and_wait(playground, proposal, {
        **_find_action(proposal.cards[0], "triads_move")["data"],
        "person": str(person_id(stack, mover)), "group": "2", "question": QUESTION,
    }, f"{PEOPLE[mover][0]} är flyttad till grupp 2")
    assert QUESTION in str(moved.cards[0])
    final = groups_of(stack, round_id)
    assert final[mover] == 2 and sorted(final.values()) == [1, 1, 2, 2, 2, 2]

    confirm = {**_find_action(moved.cards[0], "triads_confirm")["data"], "question": QUESTION}
    before = len(playground.messages(me))
    await asyncio.gather(*(playground.submit(me, proposal.message_id, confirm) for _ in range(2)))
    await playground.expect(me, lambda m: "Triaderna till träff 1 är bekräftade" in m.all_text, after=before)
    await playground.expect(me, lambda m: "redan bekräftade" in m.all_text, after=before)

    await bot_hook(stack, "/_test/run-jobs")
    for user in final:
        if user == "user-id-0":
            told = await playground.expect(me, is_announcement, after=before)
        else:
            told = await playground.delivered_to(user, is_announcement)
        _check_announcement(told, user, final)

    await bot_hook(stack, "/_test/run-jobs")
    await playground.quiet(me, 1.0)
    with sqlite3.connect(stack.workdir / "dalalab.db") as db:
        states = db.execute(
            "SELECT state, count(*) FROM delivery WHERE kind = 'triad' AND source = ? GROUP BY state",
            (f"triad_round:{round_id}",),
        ).fetchall()
    assert states == [("sent", 6)]
    delivered = [m for m in playground.delivered_messages() if is_announcement(m)]
    assert len(delivered) == 5  # one each for user-id-1..5 (user-id-0 reads it in the personal chat)
    assert len([m for m in playground.messages(me)[before:] if is_announcement(m)]) == 1


async def test_participants_cannot_form_triads(playground: Playground, triad_project: int) -> None:
    reply = await playground.reply_to(playground.group_chat, "bilda triader", user="user-id-3", mention=True)
    assert "bara för samordnare" in reply.all_text


def _check_announcement(told: BotMessage, user: str, groups: dict[str, int]) -> None:
    """The person's group number, the others' names and municipalities, and the question."""
    group = groups[user]
    assert f"grupp {group}" in told.all_text and QUESTION in told.all_text
    for mate in (u for u, g in groups.items() if g == group and u != user):
        name, _key, organisation = PEOPLE[mate]
        assert f"{name}, {organisation}" in told.all_text
    assert PEOPLE[user][0] + "," not in told.all_text  # the others, not oneself


async def _propose(playground: Playground, project: int) -> BotMessage:
    """`bilda triader`, choosing this module's project on the choice card."""
    me = playground.personal_chat
    choice = await playground.reply_to(me, "bilda triader")
    assert "Vilket lärprojekt" in choice.all_text
    before = len(playground.messages(me))
    await playground.submit(me, choice.message_id, {"verb": "triads_start", "project_id": project})
    return await playground.expect(me, has_card("Förslag till triader – träff 1"), after=before)


async def _submit_and_wait(playground: Playground, card: BotMessage, value: dict[str, object], text: str) -> BotMessage:
    """Press a button on ``card`` and wait for the card to be replaced with one saying ``text``."""
    me = playground.personal_chat
    before = len(playground.messages(me))
    await playground.submit(me, card.message_id, value)
    return await playground.expect(
        me, lambda m: m.message_id == card.message_id and m.action == "updateMessage" and text in m.all_text,
        after=before,
    )
