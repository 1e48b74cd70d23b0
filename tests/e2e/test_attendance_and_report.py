"""Attendance and the project report through the Agents Playground: the check-in card at the
meeting's start (one post, in the channel), "Jag är här" stored once, the coordinator's `närvaro`
list, the evaluation going to everyone expected whether or not they checked in, and `rapport`
against a seeded project with known figures, with its Excel workbook and PDF opened and read."""

from __future__ import annotations

import io
import json
import secrets
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from bot.features.evaluation.rules import DEFAULT_QUESTIONS, questions_to_json
from bot.outbox.addresses import ChannelAddress, parse, person_address
from scripts.devstack import Stack
from tests.e2e.conftest import bot_now, import_project
from tests.e2e.playground import BotMessage, Playground
from tests.e2e.test_registration import has_card, register
from tests.e2e.test_reminders_and_messages import bot_hook

STOCKHOLM = ZoneInfo("Europe/Stockholm")
CHECKIN_PROJECT = "Närvaro i praktiken"
REPORT_PROJECT = "Stora etableringar – rapportprov"
# Every municipality but Orsa: 40 people spread over them, so each has two or three.
MUNICIPALITIES = ["avesta", "borlange", "falun", "gagnef", "hedemora", "leksand", "ludvika", "malung-salen",
                  "mora", "rattvik", "smedjebacken", "sater", "vansbro", "alvdalen"]
PEOPLE = 40
PRESENT = (15, 35, 22, 18)
"""Checked in per meeting: the first 15, 35, 22 and 18 people."""


def db(stack: Stack) -> sqlite3.Connection:
    return sqlite3.connect(stack.workdir / "dalalab.db")


def stamp(moment: datetime) -> str:
    """How the bot's UTC columns are stored in SQLite."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def person_id(stack: Stack, teams_id: str) -> int:
    with db(stack) as connection:
        return int(connection.execute("SELECT id FROM person WHERE teams_id = ?", (teams_id,)).fetchone()[0])


def thread_of(posted: BotMessage) -> str:
    """The conversation of a thread the bot started in a channel (replies and submits go there)."""
    return str(posted.raw["message"].get("postConversationId") or posted.conversation_id)


async def move_clock_to(stack: Stack, moment: datetime) -> None:
    now = datetime.fromisoformat((await bot_hook(stack, "/_test/clock", {"seconds": 0}))["now"])
    if moment > now:
        await bot_hook(stack, "/_test/clock", {"seconds": (moment - now).total_seconds()})


async def choose_project(playground: Playground, command: str, verb: str, project: int,
                         predicate: Any) -> BotMessage:
    me = playground.personal_chat
    reply = await playground.reply_to(me, command)
    if not predicate(reply):
        # The chooser: a list of the projects and one button (Teams shows at most 6 buttons).
        [button] = reply.cards[0]["actions"]
        choices = [node for node in reply.cards[0]["body"] if node.get("type") == "Input.ChoiceSet"]
        assert button["data"] == {"verb": verb} and [c["id"] for c in choices] == ["project_id"]
        assert str(project) in [choice["value"] for choice in choices[0]["choices"]]
        before = len(playground.messages(me))
        await playground.submit(me, reply.message_id, {"verb": verb, "project_id": str(project)})
        reply = await playground.expect(me, predicate, after=before)
    return reply


# --- check-in -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def checkin_project(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, datetime]]:
    """A project whose meeting is tomorrow 10.00–12.00 Stockholm; yields its id and the start."""
    day = (bot_now(stack).astimezone(STOCKHOLM) + timedelta(days=1)).date()
    path: Path = tmp_path_factory.mktemp("checkin") / "project.yaml"
    path.write_text(f"""slug: narvaro-e2e
name: {CHECKIN_PROJECT}
meetings:
  - number: 1
    title: Incheckning och närvaro
    date: {day.isoformat()}
    start: "10:00"
    end: "12:00"
    place: Rättvik
""", encoding="utf-8")
    import_project(stack, path)
    with db(stack) as connection:
        project = int(connection.execute("SELECT id FROM project WHERE slug = 'narvaro-e2e'").fetchone()[0])
    yield project, datetime.combine(day, time(10, 0), STOCKHOLM)


async def test_check_in_in_the_channel_list_and_evaluation_for_everyone_expected(
        playground: Playground, stack: Stack, checkin_project: tuple[int, datetime]) -> None:
    project, start = checkin_project
    me, chat, channel = playground.personal_chat, playground.group_chat, playground.channel("Lärprojekt")
    await register(playground, chat, "user-id-1", project, "Anna Lindqvist", organisation="rattvik")
    await register(playground, chat, "user-id-2", project, "Erik Åström", organisation="rattvik")
    link = await playground.reply_to(channel, "koppla kanal", mention=True)
    before = len(playground.messages(link.conversation_id))
    await playground.submit(link.conversation_id, link.message_id, {"verb": "link_channel", "project_id": project})
    await playground.expect(link.conversation_id, lambda m: CHECKIN_PROJECT in m.all_text, after=before)

    # At the start the check-in card is posted once, in the channel; nobody gets it 1:1.
    await move_clock_to(stack, start + timedelta(minutes=1))
    await bot_hook(stack, "/_test/run-jobs")
    posted = await playground.expect_anywhere(
        lambda m: m.conversation_id not in (me, chat) and "Träff 1 börjar" in m.all_text
        and "Incheckning och närvaro" in m.all_text)
    with db(stack) as connection:
        recipients = [row[0] for row in connection.execute(
            "SELECT recipient FROM delivery WHERE kind = 'checkin' AND project_id = ?", (project,))]
    assert len(recipients) == 1 and isinstance(parse(recipients[0]), ChannelAddress)

    # Anna taps "Jag är här" twice: the card stays, one check-in is stored, the replies say so.
    value = posted.cards[0]["actions"][0]["data"]
    thread = thread_of(posted)
    before = len(playground.messages(thread))
    for _ in range(2):
        await playground.submit(thread, posted.message_id, value, "user-id-1")
    await playground.expect(thread, lambda m: "Tack Anna Lindqvist! Du är incheckad" in m.all_text, after=before)
    await playground.expect(thread, lambda m: "du är redan incheckad" in m.all_text, after=before)
    with db(stack) as connection:
        checked = connection.execute(
            "SELECT count(*) FROM attendance a JOIN meeting m ON m.id = a.meeting_id "
            "WHERE m.uid LIKE 'narvaro-e2e-%' AND a.checked_in_at IS NOT NULL").fetchone()[0]
    assert checked == 1

    # The coordinator's list: Erik forgot to tap; the coordinator marks him, then corrects it.
    attendance = await choose_project(playground, "närvaro", "attendance_open", project,
                                      has_card("markerade som närvarande"))
    assert "1 av 2 anmälda" in attendance.all_text
    anna, erik = person_id(stack, "user-id-1"), person_id(stack, "user-id-2")
    save = {"verb": "attendance_save", "project_id": project, "meeting_id": value["meeting_id"],
            f"present_{anna}": "true", f"present_{erik}": "true"}
    before = len(playground.messages(me))
    await playground.submit(me, attendance.message_id, save)
    await playground.expect(me, lambda m: "2 av 2 närvarande (1 tillagda, 0 borttagna)" in m.all_text, after=before)
    before = len(playground.messages(me))
    await playground.submit(me, attendance.message_id, {**save, f"present_{erik}": "false"})
    await playground.expect(me, lambda m: "1 av 2 närvarande (0 tillagda, 1 borttagna)" in m.all_text, after=before)
    before = len(playground.messages(me))
    await playground.submit(me, attendance.message_id, {**save, "present_999999": "true"})
    await playground.expect(me, lambda m: "Inget är sparat" in m.all_text, after=before)

    # The evaluation goes to both: checking in records attendance, it does not decide who is asked.
    # (Planning runs before the cards are due, as the scheduler's planner does every ten minutes.)
    await bot_hook(stack, "/_test/run-jobs")
    await move_clock_to(stack, start + timedelta(hours=2, minutes=31))
    await bot_hook(stack, "/_test/run-jobs")
    evaluations = {user: await playground.delivered_to(user, lambda m: "Hur var träff 1?" in m.all_text)
                   for user in ("user-id-1", "user-id-2")}
    with db(stack) as connection:
        states = dict(connection.execute(
            "SELECT d.recipient, d.state FROM delivery d JOIN evaluation e ON d.source = 'evaluation:' || e.id "
            "JOIN meeting m ON m.id = e.meeting_id WHERE m.uid LIKE 'narvaro-e2e-%' AND d.kind = 'evaluation'"))
    assert states == {person_address(anna): "sent", person_address(erik): "sent"}
    # Both answer, so no reminder of this evaluation turns up in the tests that share the bot.
    for user, card in evaluations.items():
        answer = {"verb": "evaluation_answer", "knowledge": "4", "contacts": "4", "support": "3",
                  "evaluation_id": card.cards[0]["actions"][0]["data"]["evaluation_id"]}
        await playground.submit(card.conversation_id, card.message_id, answer, user)
        await playground.delivered_to(user, lambda m: "Ditt svar är sparat" in m.all_text)


# --- the report ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def report_project(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A finished project with four meetings and known figures: 14 of 15 municipalities (Orsa
    missing), 15–35 participants per meeting, 7 case examples, homework answered 30 of 80 times,
    and a closed evaluation of meeting 1 (12 of 15 answered, 9 "i stor eller mycket stor")."""
    now = bot_now(stack)
    days = [(now - timedelta(days=d)).astimezone(STOCKHOLM).date() for d in (160, 130, 100, 70)]
    meetings = "".join(f"""  - number: {n}
    title: Träff om etableringar {n}
    date: {day.isoformat()}
    start: "09:30"
    end: "15:00"
""" for n, day in enumerate(days, start=1))
    path: Path = tmp_path_factory.mktemp("report") / "project.yaml"
    path.write_text(f"slug: rapport-e2e\nname: {REPORT_PROJECT}\nstate: finished\nmeetings:\n{meetings}",
                    encoding="utf-8")
    import_project(stack, path)
    with db(stack) as connection:
        project = int(connection.execute("SELECT id FROM project WHERE slug = 'rapport-e2e'").fetchone()[0])
        _seed_report(connection, project, now)
    yield project


def _seed_report(connection: sqlite3.Connection, project: int, now: datetime) -> None:
    meetings = [row[0] for row in connection.execute(
        "SELECT id FROM meeting WHERE project_id = ? ORDER BY number", (project,))]
    organisations = dict(connection.execute("SELECT key, id FROM organisation"))
    created = stamp(now - timedelta(days=200))
    people = []
    for index in range(PEOPLE):
        cursor = connection.execute("INSERT INTO person (teams_id, name, created_at, updated_at) VALUES (?, ?, ?, ?)",
                                    (f"rapport-{index}", f"Deltagare {index}", created, created))
        people.append(int(cursor.lastrowid or 0))
        organisation = organisations[MUNICIPALITIES[index % len(MUNICIPALITIES)]]
        cursor = connection.execute(
            "INSERT INTO registration (project_id, person_id, organisation_id, organisation_other, name, role_title,"
            " email, dietary, consent_list, alumni_opt_out, status, queued_at, created_at, updated_at)"
            " VALUES (?, ?, ?, '', ?, '', '', '', 0, 0, 'registered', ?, ?, ?)",
            (project, people[-1], organisation, f"Deltagare {index}", created, created, created))
        connection.executemany("INSERT INTO registration_meeting (registration_id, meeting_id) VALUES (?, ?)",
                               [(cursor.lastrowid, meeting) for meeting in meetings])
    for meeting, present in zip(meetings, PRESENT, strict=True):
        connection.executemany("INSERT INTO attendance (person_id, meeting_id, checked_in_at) VALUES (?, ?, ?)",
                               [(person, meeting, created) for person in people[:present]])
    connection.executemany(
        "INSERT INTO case_example (project_id, organisation_id, title, theme, challenge, actions, result, lessons,"
        " contact, links, sharing, status, review_note, created_at, updated_at)"
        " VALUES (?, ?, ?, 'Etableringar', '', '', '', '', '', '', 'project', 'approved', '', ?, ?)",
        [(project, organisations["falun"], f"Exempel {n}", created, created) for n in range(7)])
    _seed_homework(connection, project, meetings[0], people, created)
    _seed_evaluation(connection, meetings[0], people, created)


def _seed_homework(connection: sqlite3.Connection, project: int, meeting: int, people: list[int],
                   created: str) -> None:
    for title, meeting_id, answered in (("Kartlägg er tillståndsprocess", meeting, 20), ("Läs rapporten", None, 10)):
        cursor = connection.execute(
            "INSERT INTO assignment (project_id, meeting_id, title, instructions, deadline, created_at)"
            " VALUES (?, ?, ?, '', ?, ?)", (project, meeting_id, title, created, created))
        connection.executemany(
            "INSERT INTO submission (assignment_id, person_id, text, links, submitted_at, updated_at)"
            " VALUES (?, ?, 'Klart', '', ?, ?)", [(cursor.lastrowid, p, created, created) for p in people[:answered]])


def _seed_evaluation(connection: sqlite3.Connection, meeting: int, people: list[int], created: str) -> None:
    cursor = connection.execute(
        "INSERT INTO evaluation (meeting_id, questions, opens_at, closes_at, secret, closed_at, chart_token)"
        " VALUES (?, ?, ?, ?, NULL, ?, ?)",
        (meeting, questions_to_json(DEFAULT_QUESTIONS), created, created, created, secrets.token_urlsafe(24)))
    evaluation = cursor.lastrowid
    connection.executemany("INSERT INTO evaluation_invite (evaluation_id, person_id, answered) VALUES (?, ?, ?)",
                           [(evaluation, p, 1 if i < 12 else 0) for i, p in enumerate(people[:15])])
    knowledge = [5] * 6 + [4] * 3 + [3] * 3
    connection.executemany(
        "INSERT INTO answer (evaluation_id, respondent, organisation, \"values\", submitted_at, updated_at)"
        " VALUES (?, NULL, '', ?, ?, ?)",
        [(evaluation, json.dumps({"knowledge": k, "contacts": 4, "support": 2}), created, created)
         for k in knowledge])


async def test_report_card_workbook_and_pdf_show_the_known_figures(playground: Playground, stack: Stack,
                                                                   report_project: int) -> None:
    card = await choose_project(playground, "rapport", "report", report_project, has_card("Projektrapport"))
    text = card.all_text
    assert REPORT_PROJECT in text
    assert "14 av 15 kommuner har deltagit i lärprojektet. Saknas: Orsa kommun." in text
    assert "Vid de 4 träffarna har deltagarantalet legat mellan 15–35 personer." in text
    assert "38 % (30 av 80)" in text  # homework
    assert "Efter träff 1 svarade 12 av 15 inbjudna (80 %)." in text
    assert ("En klar majoritet (75 %) svarar att träffen i stor eller mycket stor utsträckning gett dem nya "
            "kunskaper") in text
    # Each figure once: the missing municipality, the evaluation's response, no row of zeros for Orsa.
    assert text.count("Orsa kommun") == 1 and text.count("12 av 15") == 1
    assert "Kommuner som saknas" not in text and "Övriga (1 st, inga anmälda)" in text
    chart = next(e for e in card.cards[0]["body"] if e.get("type") == "Chart.VerticalBar")
    assert [point["y"] for point in chart["data"]] == list(PRESENT)

    workbook = load_workbook(io.BytesIO(await _download(playground, card, "xlsx")))
    summary = [[c.value for c in row] for row in workbook["Sammanfattning"].iter_rows()]
    assert ["Kommuner som deltagit", "14 av 15"] in summary
    assert ["Kommuner som saknas", "Orsa kommun"] in summary
    assert ["Deltagare per träff (min–max)", "15–35"] in summary
    assert ["Kommunexempel som kommit in", "7"] in summary
    by_meeting = [[c.value for c in row] for row in workbook["Per träff"].iter_rows(min_row=2)]
    assert [row[4] for row in by_meeting] == list(PRESENT)
    by_organisation = {row[0].value: [c.value for c in row[1:]] for row in workbook["Per kommun"].iter_rows(min_row=2)}
    # Avesta has people 0, 14 and 28: two were at meetings 1, 3 and 4, all three at meeting 2.
    assert by_organisation["Avesta kommun"] == [3, 2, 3, 2, 2, 3]
    assert by_organisation["Orsa kommun"] == [0, 0, 0, 0, 0, 0]
    homework = [[c.value for c in row] for row in workbook["Hemuppgifter"].iter_rows(min_row=2)]
    assert homework[-1] == ["Totalt", 80, 30, 38]

    reader = PdfReader(io.BytesIO(await _download(playground, card, "pdf")))
    pdf_text = "\n".join(page.extract_text() for page in reader.pages)
    for expected in ("14 av 15 kommuner har deltagit", "Saknas: Orsa kommun", "mellan 15–35 personer",
                     "38 % (30 av 80)", "Kommunexempel som kommit in: 7", "Älvdalens kommun", "Malung-Sälens kommun"):
        assert expected in pdf_text


async def _download(playground: Playground, card: BotMessage, file_format: str) -> bytes:
    me = playground.personal_chat
    action = next(a for a in card.cards[0]["actions"] if a["data"].get("format") == file_format)
    before = len(playground.messages(me))
    await playground.submit(me, card.message_id, action["data"])
    ready = await playground.expect(me, lambda m: "Rapporten är klar" in m.all_text and file_format in m.all_text,
                                    after=before)
    async with aiohttp.ClientSession() as session, session.get(ready.cards[0]["actions"][0]["url"]) as response:
        assert response.status == 200
        return await response.read()
