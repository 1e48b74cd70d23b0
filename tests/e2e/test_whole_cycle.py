"""A whole meeting cycle through the Agents Playground, the clock moved by the test hooks:
registration, the reminder a week before (1:1 only), one person answers "Jag kan inte" and sends a
colleague to that meeting with a one-time code, the day-before reminder (not to the person away,
to the colleague instead), the meeting with its one check-in post in the channel, the coordinator's
`närvaro` showing the absence and the substitute, the evaluation to those expected (not gated by
checking in), the results and the report. Also: *Nej, behåll platsen* replaces the cancel question."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from scripts.devstack import Stack
from tests.e2e.conftest import bot_now, import_project
from tests.e2e.playground import BotMessage, Playground
from tests.e2e.test_attendance_and_report import choose_project, move_clock_to, person_id, thread_of
from tests.e2e.test_registration import _container_for, _find_action, has_card, register
from tests.e2e.test_reminders_and_messages import bot_hook

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NAME = "Frånvaro och ersättare"
PEOPLE = {"user-id-1": ("Anna Lindqvist", "gagnef"), "user-id-2": ("Erik Åström", "gagnef"),
          "user-id-3": ("Sara Öberg", "leksand")}
AWAY, COLLEAGUE = "user-id-2", "user-id-4"


@pytest.fixture(scope="module")
def cycle_project(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, date]]:
    """A project whose first meeting is ten days ahead of the bot's clock (10.00–12.00)."""
    day = (bot_now(stack).astimezone(STOCKHOLM) + timedelta(days=10)).date()
    path: Path = tmp_path_factory.mktemp("cycle") / "project.yaml"
    path.write_text(f"""slug: franvaro-e2e
name: {NAME}
registration_deadline: {(day + timedelta(days=20)).isoformat()}
meetings:
  - number: 1
    title: Bredband på landsbygden
    date: {day.isoformat()}
    start: "10:00"
    end: "12:00"
    place: Gagnef
  - number: 2
    title: Uppföljning och nästa steg
    date: {(day + timedelta(days=30)).isoformat()}
    start: "10:00"
    end: "12:00"
    place: Leksand
""", encoding="utf-8")
    import_project(stack, path)
    with sqlite3.connect(stack.workdir / "dalalab.db") as db:
        project = int(db.execute("SELECT id FROM project WHERE slug = 'franvaro-e2e'").fetchone()[0])
    yield project, day


def rows(stack: Stack, query: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(stack.workdir / "dalalab.db") as db:
        return list(db.execute(query, args))


async def deliveries(stack: Stack, project: int, kind: str, source_like: str = "%") -> dict[str, str]:
    """Recipient -> state of the project's deliveries of ``kind`` (person ids as their Teams user ids).
    Runs the jobs first: that waits for a dispatch the bot's own scheduler may have under way (a
    message can reach the playground a moment before its row is marked sent)."""
    await bot_hook(stack, "/_test/run-jobs")
    found = rows(stack, "SELECT p.teams_id, d.state FROM delivery d LEFT JOIN person p ON d.recipient = "
                        "'person:' || p.id WHERE d.project_id = ? AND d.kind = ? AND d.source LIKE ?",
                 project, kind, source_like)
    return {teams_id or "channel": state for teams_id, state in found}


async def at(stack: Stack, day: date, clock: time) -> None:
    """Move the bot's clock to ``day`` ``clock`` (Stockholm) and run the planners and the dispatcher."""
    await bot_hook(stack, "/_test/run-jobs")  # what is due before, as the scheduler would have
    await move_clock_to(stack, datetime.combine(day, clock, STOCKHOLM))
    await bot_hook(stack, "/_test/run-jobs")


async def fresh(playground: Playground, user: str, predicate: Any, before: list[BotMessage]) -> BotMessage:
    """The first message to ``user`` matching ``predicate`` that is not one of ``before``."""
    return await playground.delivered_to(user, lambda m: predicate(m) and all(m is not b for b in before))


def matching(playground: Playground, predicate: Any) -> list[BotMessage]:
    return [m for m in playground.delivered_messages() if predicate(m)]


async def press(playground: Playground, message: BotMessage, user: str, verb: str, **data: Any) -> None:
    await playground.press(message, _find_action(message.cards[0], verb, **data)["data"], user)


async def test_registration_to_report_with_one_person_away_and_a_colleague_instead(
        playground: Playground, stack: Stack, cycle_project: tuple[int, date]) -> None:
    project, day = cycle_project
    me, chat, channel = playground.personal_chat, playground.group_chat, playground.channel("Lärprojekt")

    # Registration, and the project's channel linked.
    for user, (name, organisation) in PEOPLE.items():
        await register(playground, chat, user, project, name, organisation=organisation)
    link = await playground.reply_to(channel, "koppla kanal", mention=True)
    before = len(playground.messages(link.conversation_id))
    await playground.submit(link.conversation_id, link.message_id, {"verb": "link_channel", "project_id": project})
    await playground.expect(link.conversation_id, lambda m: NAME in m.all_text, after=before)

    # A week before: one reminder each, 1:1 only.
    await at(stack, day - timedelta(days=7), time(10, 1))
    week = {user: await playground.delivered_to(user, lambda m: "Påminnelse: träff om 7 dagar" in m.all_text
                                                 and "Bredband på landsbygden" in m.all_text) for user in PEOPLE}
    [(first,)] = rows(stack, "SELECT id FROM meeting WHERE project_id = ? AND number = 1", project)
    assert await deliveries(stack, project, "reminder", f"meeting:{first}:7d") == {user: "sent" for user in PEOPLE}

    # Anna is coming: her card is replaced by her answer.
    await press(playground, week["user-id-1"], "user-id-1", "rsvp", intent="coming")
    await playground.delivered_to("user-id-1", lambda m: "Du har svarat: Jag kommer till träff 1" in m.all_text
                                  and "Bredband på landsbygden" in m.all_text)

    # Erik cannot come: the card now offers a colleague for this meeting, the whole place, or coming after all.
    await press(playground, week[AWAY], AWAY, "rsvp", intent="not_coming")
    away = await playground.delivered_to(AWAY, lambda m: "Du har svarat: Jag kan inte komma till träff 1" in m.all_text
                                         and "Bredband på landsbygden" in m.all_text)
    assert "Du får inga fler meddelanden om träff 1" in away.all_text
    titles = [a["title"] for a in away.cards[0]["actions"]]
    assert titles == ["Skicka en kollega till träff 1", "Lämna över hela platsen", "Jag kommer ändå"]
    await playground.submit(week[AWAY].conversation_id, week[AWAY].message_id,
                            _find_action(away.cards[0], "substitute_offer")["data"], AWAY)
    offer = await playground.delivered_to(AWAY, lambda m: "En kollega i ditt ställe på träff 1" in m.all_text)
    code = re.search(r"\*\*ta över ([0-9A-Z]{4}(?:-[0-9A-Z]{4}){3})\*\*", offer.all_text)
    assert code, offer.all_text

    # Erik types his own code: it is for a colleague (and no wrong try), and he keeps the meeting offered.
    mark = playground.delivered_mark()
    await playground.reply_to(chat, f"ta över {code.group(1)}", user=AWAY, mention=True)
    await playground.delivered_to(AWAY, lambda m: "Det är din egen kod för träffen" in m.all_text, after=mark)

    # Johan, not registered, takes meeting 1 with the code; Erik is told who comes in his place.
    # (In the group chat only the neutral line, nothing about Erik: the welcome comes in Johan's personal chat.)
    mark = playground.delivered_mark()
    reply = await playground.reply_to(chat, f"ta över {code.group(1)}", user=COLLEAGUE, mention=True)
    assert reply.all_text == "Jag har skickat det till dig i vår privata chatt."
    welcome = await playground.delivered_to(COLLEAGUE, lambda m: "Välkommen till träff 1!" in m.all_text, after=mark)
    assert "i stället för Erik Åström (Gagnefs kommun)" in welcome.all_text
    await playground.delivered_to(AWAY, lambda m: "Johan Mäkelä går på träff 1 i ditt ställe" in m.all_text)
    mark = playground.delivered_mark()
    await playground.reply_to(chat, f"ta över {code.group(1)}", user="user-id-5", mention=True)
    await playground.delivered_to("user-id-5", lambda m: "Koden stämmer inte" in m.all_text, after=mark)  # used once
    assert rows(stack, "SELECT status FROM registration r JOIN person p ON p.id = r.person_id "
                       "WHERE p.teams_id = ? AND r.project_id = ?", AWAY, project) == [("registered",)]

    # The day before: the reminder goes to those expected, and to Johan; not to Erik.
    await at(stack, day - timedelta(days=1), time(10, 1))
    for user in ("user-id-1", "user-id-3", COLLEAGUE):
        await playground.delivered_to(user, lambda m: "Påminnelse: träff i morgon" in m.all_text
                                      and "Bredband på landsbygden" in m.all_text)
    day_before = await deliveries(stack, project, "reminder", f"meeting:{first}:1d")
    assert day_before == {"user-id-1": "sent", "user-id-3": "sent", COLLEAGUE: "sent", AWAY: "skipped"}

    # The meeting: one check-in post, in the channel. Only Anna taps it.
    await at(stack, day, time(10, 1))
    posted = await playground.expect_anywhere(
        lambda m: m.conversation_id not in (me, chat) and "Träff 1 börjar" in m.all_text
        and "Bredband på landsbygden" in m.all_text)
    assert await deliveries(stack, project, "checkin") == {"channel": "sent"}
    thread = thread_of(posted)
    before = len(playground.messages(thread))
    await playground.submit(thread, posted.message_id, posted.cards[0]["actions"][0]["data"], "user-id-1")
    await playground.expect(thread, lambda m: "Tack Anna Lindqvist! Du är incheckad" in m.all_text, after=before)

    # The coordinator's list shows who is away and who came instead.
    attendance = await choose_project(playground, "närvaro", "attendance_open", project,
                                      has_card("markerade som närvarande"))
    text = attendance.all_text
    assert "1 har meddelat förhinder; 1 kollegor kommer i någons ställe" in text
    assert "Erik Åström (Gagnefs kommun) – har meddelat förhinder" in text
    assert "Johan Mäkelä (Gagnefs kommun) – i stället för Erik Åström" in text

    # After the meeting the evaluation goes to those expected: Anna, Sara (who never checked in) and Johan.
    await at(stack, day, time(12, 31))
    evaluated = ("user-id-1", "user-id-3", COLLEAGUE)
    cards = {user: await playground.delivered_to(user, lambda m: "Hur var träff 1?" in m.all_text
                                                 and NAME in m.all_text) for user in evaluated}
    assert await deliveries(stack, project, "evaluation") == {user: "sent" for user in evaluated}
    for user, knowledge in zip(cards, ("5", "4", "4"), strict=True):
        card = cards[user]
        answer = {"verb": "evaluation_answer", "evaluation_id": card.cards[0]["actions"][0]["data"]["evaluation_id"],
                  "knowledge": knowledge, "contacts": "4", "support": "3"}
        saved = matching(playground, lambda m: "Ditt svar är sparat" in m.all_text)
        await playground.submit(card.conversation_id, card.message_id, answer, user)
        await fresh(playground, user, lambda m: "Ditt svar är sparat" in m.all_text, saved)

    # A week later the evaluation closes: results and the report.
    await at(stack, day + timedelta(days=7), time(13, 0))
    results = await choose_project(playground, "resultat", "results", project,
                                   lambda m: "Utvärdering: resultat" in m.all_text)
    assert "Svarsfrekvens: 3 av 3 (100 %)" in results.all_text
    report = await choose_project(playground, "rapport", "report", project, has_card("Projektrapport"))
    assert "Träff 1: 1 meddelade förhinder, 1 kollegor kom i någons ställe." in report.all_text
    assert "stor eller mycket stor utsträckning" in report.all_text  # the evaluation's summary
    chart = next(e for e in report.cards[0]["body"] if e.get("type") == "Chart.VerticalBar")
    assert [point["y"] for point in chart["data"]] == [1]  # attendance known: Anna checked in
    assert person_id(stack, COLLEAGUE) not in {r[0] for r in rows(
        stack, "SELECT person_id FROM registration WHERE project_id = ?", project)}


async def test_keeping_the_place_replaces_the_cancel_question(playground: Playground, stack: Stack,
                                                              cycle_project: tuple[int, date]) -> None:
    project = cycle_project[0]
    chat = playground.group_chat
    # Asked in the group chat, answered in Sara's personal chat (the group chat gets the neutral line).
    mark = playground.delivered_mark()
    await playground.reply_to(chat, "mina anmälningar", user="user-id-3", mention=True)
    mine = await playground.delivered_to("user-id-3", has_card("Mina anmälningar"), after=mark)
    mark = playground.delivered_mark()
    await playground.press(mine, _find_action(_container_for(mine.cards[0], NAME), "cancel_registration")["data"],
                           "user-id-3")
    question = await playground.delivered_to("user-id-3", has_card("Vill du avboka"), after=mark)
    mark = playground.delivered_mark()
    await press(playground, question, "user-id-3", "cancel_kept")
    kept = await playground.delivered_to("user-id-3", lambda m: "du behåller din plats" in m.all_text, after=mark)
    assert "Ja, avboka" not in kept.all_text
    assert rows(stack, "SELECT status FROM registration r JOIN person p ON p.id = r.person_id "
                       "WHERE p.teams_id = 'user-id-3' AND r.project_id = ?", project) == [("registered",)]
