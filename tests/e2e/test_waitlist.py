"""The waitlist through the Agents Playground: it names the limit that applies (the municipality's
places or a full project), the person's place in that queue and what happens next, offers no calendar
until the person has a place, and lets a waitlisted person take over a colleague's place by code."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from scripts.devstack import Stack
from tests.e2e.conftest import bot_now, import_project
from tests.e2e.playground import BotMessage, Playground
from tests.e2e.test_attendance_and_report import db
from tests.e2e.test_registration import _container_for, _find_action, register
from tests.e2e.test_schedule_and_my_registrations import registered

NAME = "Kö och platser i praktiken"


@pytest.fixture(scope="module")
def waitlist_project(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    day = (bot_now(stack).astimezone(ZoneInfo("Europe/Stockholm")) + timedelta(days=40)).date()
    path: Path = tmp_path_factory.mktemp("waitlist") / "project.yaml"
    path.write_text(f"""slug: waitlist-e2e
name: {NAME}
quota_per_organisation: 2
capacity: 3
meetings:
  - number: 1
    title: Första träffen
    date: {day.isoformat()}
    start: "09:00"
    end: "12:00"
    place: Mora
  - number: 2
    title: Andra träffen
    date: {(day + timedelta(days=30)).isoformat()}
    start: "09:00"
    end: "12:00"
    place: Orsa
""", encoding="utf-8")
    import_project(stack, path)
    with db(stack) as connection:
        yield int(connection.execute("SELECT id FROM project WHERE slug = 'waitlist-e2e'").fetchone()[0])


def calendar_links(message: BotMessage) -> list[str]:
    return [a["url"] for card in message.cards for a in card.get("actions", []) if a.get("type") == "Action.OpenUrl"]


async def test_the_waitlist_explains_itself_and_a_waitlisted_person_takes_over_by_code(
    playground: Playground, stack: Stack, waitlist_project: int
) -> None:
    project, chat = waitlist_project, playground.group_chat
    for user, name in (("user-id-1", "Anna Lindqvist"), ("user-id-3", "Sara Öberg")):
        placed = await register(playground, chat, user, project, name, organisation="mora")
        assert "Du är anmäld" in placed.all_text and calendar_links(placed)

    quota = await register(playground, chat, "user-id-2", project, "Erik Åström", organisation="mora")
    assert f"reservlistan till {NAME} (plats 1)" in quota.all_text
    assert "Mora kommun har redan sina 2 platser i projektet, så du står i kön från Mora kommun." in quota.all_text
    assert "Blir en plats ledig flyttas du upp" in quota.all_text and "ta över" in quota.all_text
    assert not calendar_links(quota)  # no calendar before a place
    assert "Du är redan anmäld" not in quota.all_text

    await register(playground, chat, "user-id-4", project, "Johan Mäkelä", organisation="orsa")  # the 3rd place
    full = await register(playground, chat, "user-id-5", project, "Karin Dahl", organisation="orsa")
    assert f"reservlistan till {NAME} (plats 2)" in full.all_text  # after Erik in the common queue
    assert "Projektet är fullt: alla 3 platser är tagna" in full.all_text and not calendar_links(full)

    # The schedule offers a person on the waitlist no calendar either.
    # (One card per project: this project's may come a while after the first, when Teams' per-chat limits
    # hold the bot's replies in a busy group chat; so it is waited for, not assumed after 0.5 s of quiet.)
    before = len(playground.messages(chat))
    await playground.say(chat, "schema", user="user-id-2", mention=True)
    mine = await playground.expect(chat, lambda m: NAME in m.all_text and "Träffar" in m.all_text, after=before)
    assert not calendar_links(mine), mine.all_text

    # Anna cannot come and gives Erik (on the waitlist) her place with a code.
    # (In the group chat only the neutral line: the list, the code and the answer come 1:1.)
    mark = playground.delivered_mark()
    await playground.reply_to(chat, "mina anmälningar", user="user-id-1", mention=True)
    overview = await playground.delivered_to("user-id-1", lambda m: "Mina anmälningar" in m.all_text, after=mark)
    transfer = _find_action(_container_for(overview.cards[0], NAME), "transfer")
    mark = playground.delivered_mark()
    await playground.press(overview, transfer["data"], "user-id-1")
    offer = await playground.delivered_to("user-id-1", lambda m: "ta över" in m.all_text, after=mark)
    code = re.search(r"\*\*ta över (\S+?)\*\*", offer.all_text)
    assert code, offer.all_text
    mark = playground.delivered_mark()
    await playground.reply_to(chat, f"ta över {code.group(1)}", user="user-id-2", mention=True)
    await playground.delivered_to("user-id-2", lambda m: "Klart! Du har tagit över platsen" in m.all_text, after=mark)
    assert registered(stack, "user-id-2", project) == "registered"
    assert registered(stack, "user-id-1", project) == "cancelled"
    assert registered(stack, "user-id-5", project) == "waitlisted"  # a handed-over place is not a freed one
    with db(stack) as connection:
        name = connection.execute("SELECT r.name FROM registration r JOIN person p ON p.id = r.person_id "
                                  "WHERE p.teams_id = 'user-id-2' AND r.project_id = ?", (project,)).fetchone()[0]
    assert name == "Erik Åström"  # what Erik filled in is kept
