"""The text-only registration dialog through the Agents Playground (for clients without cards)."""

from __future__ import annotations

import sqlite3

from scripts.devstack import Stack
from tests.e2e.playground import Playground

STEPS = [
    ("Planering för hållbarhet och utvecklingskraft", "Vad heter du?"),
    ("ok", "Vilken kommun eller organisation"),
    ("Region Dalarna", "Vilken roll eller titel"),
    ("Regional utvecklare", "Vilken e-postadress"),
    ("linnea.hassis@regiondalarna.se", "Vilka träffar"),
    ("alla", "specialkost"),
    ("-", "deltagarlistan"),
    ("ja", "Stämmer det här?"),
]


async def test_registration_by_text_one_question_at_a_time(playground: Playground, stack: Stack) -> None:
    me = playground.personal_chat
    first = await playground.reply_to(me, "anmäl via text")
    assert "Svara med numret eller namnet" in first.all_text or "Vad heter du?" in first.all_text
    steps = STEPS if "Vilket lärprojekt" in first.all_text else STEPS[1:]
    for answer, next_question in steps:
        before = len(playground.messages(me))
        await playground.say(me, answer)
        await playground.expect(me, lambda m, q=next_question: q in m.all_text, after=before)
    before = len(playground.messages(me))
    await playground.say(me, "ja")
    done = await playground.expect(me, lambda m: "anmäld" in m.all_text or "sparade" in m.all_text, after=before)
    assert "Planering för hållbarhet" in done.all_text
    with sqlite3.connect(stack.workdir / "dalalab.db") as db:
        role, meetings = db.execute(
            "SELECT r.role_title, (SELECT count(*) FROM registration_meeting m WHERE m.registration_id = r.id) "
            "FROM registration r JOIN person p ON p.id = r.person_id JOIN project j ON j.id = r.project_id "
            "WHERE p.teams_id = 'user-id-0' AND j.slug = 'planering-2027'").fetchone()
    assert role == "Regional utvecklare" and meetings == 4


async def test_a_command_in_the_middle_of_the_questions_wins(playground: Playground) -> None:
    me = playground.personal_chat
    await playground.reply_to(me, "anmäl via text")
    reply = await playground.reply_to(me, "hjälp")
    assert "Det här kan du göra" in reply.all_text
    after = await playground.reply_to(me, "ok")
    assert "Säg till om du behöver något" in after.all_text  # the questions were dropped: "ok" is small talk


async def test_avbryt_cancels(playground: Playground) -> None:
    me = playground.personal_chat
    await playground.reply_to(me, "anmäl via text")
    reply = await playground.reply_to(me, "avbryt")
    assert "Anmälan är avbruten" in reply.all_text
