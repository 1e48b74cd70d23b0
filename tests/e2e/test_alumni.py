"""The alumni phase through the Agents Playground: `koppla alumnkanal`, `avsluta projekt` telling
participants 1:1 with an opt-out button, an announcement that honours the opt-out, the monthly
exchange prompt posted on schedule (bot clock moved forward) with a reply and its digest, and
`vem kan` finding a person by an example's theme only when they agreed to be listed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.core.i18n import format_when, use_now
from bot.features.alumni.rules import digest_due, prompt_slot
from bot.outbox.addresses import person_address
from scripts.devstack import Stack
from tests.e2e.conftest import bot_now, import_project
from tests.e2e.playground import BotMessage, Playground
from tests.e2e.test_attendance_and_report import choose_project, db, move_clock_to, person_id, stamp, thread_of
from tests.e2e.test_registration import has_card, register
from tests.e2e.test_reminders_and_messages import bot_hook

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NAME = "Kompetensförsörjning i kommunerna"
ANNOUNCEMENT = "Välkomna till seminariet om kompetensförsörjning på Dalating i april!"
REPLY = "Vi bygger ett traineeprogram tillsammans med grannkommunerna."


@pytest.fixture(scope="module")
def alumni_project(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    day = (bot_now(stack).astimezone(STOCKHOLM) + timedelta(days=5)).date()
    path: Path = tmp_path_factory.mktemp("alumni") / "project.yaml"
    path.write_text(f"""slug: alumni-e2e
name: {NAME}
meetings:
  - number: 1
    title: Att attrahera och behålla kompetens
    date: {day.isoformat()}
    start: "13:00"
    end: "16:00"
    place: Leksand
""", encoding="utf-8")
    import_project(stack, path)
    with db(stack) as connection:
        yield int(connection.execute("SELECT id FROM project WHERE slug = 'alumni-e2e'").fetchone()[0])


async def test_finish_opt_out_announcement_and_the_monthly_prompt(playground: Playground, stack: Stack,
                                                                   alumni_project: int) -> None:
    project, me, chat = alumni_project, playground.personal_chat, playground.group_chat
    await register(playground, chat, "user-id-3", project, "Sara Öberg", organisation="leksand")
    await register(playground, chat, "user-id-4", project, "Johan Mäkelä", organisation="rattvik")

    # The app is installed in the team (as in Teams: the installation carries channelData.team.aadGroupId,
    # which the alumni channel's deep link needs; the playground's channel posts do not carry it).
    general = playground.channel("General")
    before = len(playground.messages(general))
    await playground.install(general)
    await playground.expect(general, lambda m: "välkommen" in m.all_text, after=before)
    channel = playground.channel("Lärprojekt")
    link = await playground.reply_to(channel, "koppla alumnkanal", mention=True)
    before = len(playground.messages(link.conversation_id))
    await playground.submit(link.conversation_id, link.message_id,
                            {"verb": "link_alumni_channel", "project_id": project})
    await playground.expect(link.conversation_id, lambda m: f"alumnkanal för {NAME}" in m.all_text, after=before)

    finish = await choose_project(playground, "avsluta projekt", "alumni_finish_start", project,
                                  has_card(f"Avsluta {NAME}?"))
    assert "2 deltagare får besked" in finish.all_text
    await playground.submit(me, finish.message_id, {"verb": "alumni_finish", "project_id": project,
                                                    "prompt": "monthly"})
    await playground.expect(me, lambda m: m.message_id == finish.message_id and "i alumnläge" in m.all_text)
    await bot_hook(stack, "/_test/run-jobs")
    await playground.delivered_to("user-id-3", lambda m: f"Tack för att du var med i {NAME}" in m.all_text)
    welcome = await playground.delivered_to("user-id-4", lambda m: f"Tack för att du var med i {NAME}" in m.all_text)
    opt_out = next(a for a in welcome.cards[0]["actions"] if a.get("data", {}).get("verb") == "alumni_opt_out")
    # The deep link to the alumni channel carries the team's group id (channelData.team.aadGroupId).
    [link_to_channel] = [a["url"] for a in welcome.cards[0]["actions"] if a["type"] == "Action.OpenUrl"]
    assert "groupId=0c0a0000-0000-4000-8000-0000000000aa" in link_to_channel and "tenantId=" in link_to_channel
    await playground.submit(welcome.conversation_id, welcome.message_id, opt_out["data"], "user-id-4")
    await _wait_for_opt_out(playground, stack, "user-id-4")

    # The coordinator's announcement reaches Sara, not Johan who opted out.
    compose = await playground.reply_to(me, "alumnimeddelande")
    before = len(playground.messages(me))
    await playground.submit(me, compose.message_id, {"verb": "alumni_announce_preview", "projects": str(project),
                                                     "text": ANNOUNCEMENT})
    preview = await playground.expect(me, has_card("Förhandsgranskning"), after=before)
    assert "1 mottagare" in preview.all_text
    confirm = next(a for a in preview.cards[0]["actions"] if a["data"]["verb"] == "alumni_announce_confirm")
    await playground.submit(me, preview.message_id, confirm["data"])
    await playground.expect(me, lambda m: "skickas nu till 1 alumn." in m.all_text)
    await bot_hook(stack, "/_test/run-jobs")
    await playground.delivered_to("user-id-3", lambda m: ANNOUNCEMENT in m.all_text)
    with pytest.raises(AssertionError):
        await playground.delivered_to("user-id-4", lambda m: ANNOUNCEMENT in m.all_text, timeout=1.5)
    with db(stack) as connection:
        planned = connection.execute("SELECT recipient FROM delivery WHERE kind = 'alumni_message'").fetchall()
    assert planned == [(person_address(person_id(stack, 'user-id-3')),)]

    await _monthly_prompt_and_digest(playground, stack)


async def _wait_for_opt_out(playground: Playground, stack: Stack, user: str) -> None:
    johan = person_id(stack, user)
    for _ in range(50):
        with db(stack) as connection:
            row = connection.execute("SELECT alumni_opt_out FROM registration r JOIN project p ON p.id = r.project_id "
                                     "WHERE p.slug = 'alumni-e2e' AND r.person_id = ?", (johan,)).fetchone()
        if row and row[0]:
            return
        await playground.quiet(playground.personal_chat, 0.2)
    raise AssertionError("the opt-out was not stored")


async def _monthly_prompt_and_digest(playground: Playground, stack: Stack) -> None:
    now = bot_now(stack).astimezone(STOCKHOLM)
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    slot = prompt_slot(year, month, STOCKHOLM)
    with use_now(slot.asked_at):  # the bot's clock when it sends the prompt decides whether a year shows
        shared_on = f"Svaren samlas och delas här {format_when(digest_due(slot.asked_at))}"

    def is_prompt(message: BotMessage) -> bool:
        return "Månadens fråga till alumnerna" in message.all_text and shared_on in message.all_text

    await move_clock_to(stack, slot.asked_at - timedelta(minutes=2))
    await bot_hook(stack, "/_test/run-jobs")
    await playground.quiet(playground.personal_chat, 1.0)
    assert not [m for m in playground.messages() if is_prompt(m)]  # planned, not yet due
    await move_clock_to(stack, slot.asked_at + timedelta(minutes=1))
    await bot_hook(stack, "/_test/run-jobs")
    prompt = await playground.expect_anywhere(is_prompt)

    thread = thread_of(prompt)
    before = len(playground.messages(thread))
    value = {**prompt.cards[0]["actions"][0]["data"], "reply": REPLY}
    await playground.submit(thread, prompt.message_id, value, "user-id-3")
    await playground.expect(thread, lambda m: "Tack Sara Öberg!" in m.all_text, after=before)

    await move_clock_to(stack, digest_due(slot.asked_at) + timedelta(minutes=1))
    await bot_hook(stack, "/_test/run-jobs")
    digest = await playground.expect_anywhere(lambda m: "Det här jobbar alumnerna med" in m.all_text
                                              and REPLY in m.all_text)
    assert "Sara Öberg, Leksands kommun" in digest.all_text


async def test_vem_kan_finds_only_people_who_agreed_to_be_listed(playground: Playground, stack: Stack,
                                                                 alumni_project: int) -> None:
    me = playground.personal_chat
    sara, johan = person_id(stack, "user-id-3"), person_id(stack, "user-id-4")
    with db(stack) as connection:
        # Sara agreed to be listed (the registration helper ticks it); Johan now withdraws it.
        connection.execute("UPDATE registration SET consent_list = 0 WHERE person_id = ?", (johan,))
        organisation = connection.execute("SELECT id FROM organisation WHERE key = 'leksand'").fetchone()[0]
        created = stamp(datetime.now(ZoneInfo("UTC")))
        for person, theme in ((sara, "Kompetensväxling"), (johan, "Kompetensväxling i vården")):
            connection.execute(
                "INSERT INTO case_example (project_id, person_id, organisation_id, title, theme, challenge, actions,"
                " result, lessons, contact, links, sharing, status, review_note, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, '', '', '', '', ?, '', 'alumni', 'approved', '', ?, ?)",
                (alumni_project, person, organisation, f"Exempel från {person}", theme, f"kontakt-{person}@example.se",
                 created, created))
    answer = await playground.reply_to(me, "vem kan kompetensväxling")
    assert "Sara Öberg" in answer.all_text and "Kompetensväxling" in answer.all_text
    assert "Johan" not in answer.all_text and f"kontakt-{johan}" not in answer.all_text
    nobody = await playground.reply_to(me, "vem vet om kompetensväxling i vården")
    assert "Jag hittade ingen" in nobody.all_text


async def test_search_matches_word_parts_and_inflections(playground: Playground, stack: Stack,
                                                        alumni_project: int) -> None:
    """`vem kan` and `exempel` find "Planeringsstrategi på tolv månader" by "planeringsstrategi" and a
    text about a "bostad" by "bostäder" (Snowball's Swedish stems, word parts)."""
    me, sara = playground.personal_chat, person_id(stack, "user-id-3")
    with db(stack) as connection:
        organisation = connection.execute("SELECT id FROM organisation WHERE key = 'leksand'").fetchone()[0]
        created = stamp(datetime.now(ZoneInfo("UTC")))
        connection.execute(
            "INSERT INTO case_example (project_id, person_id, organisation_id, title, theme, challenge, actions,"
            " result, lessons, contact, links, sharing, status, review_note, created_at, updated_at)"
            " VALUES (?, ?, ?, 'Planeringsstrategi på tolv månader', 'Översiktsplanering',"
            " 'Varje ny bostad skulle ligga nära kollektivtrafik.', '', '', '', '', '', 'alumni', 'approved', '',"
            " ?, ?)", (alumni_project, sara, organisation, created, created))
    found = await playground.reply_to(me, "vem kan planeringsstrategi")
    assert "Sara Öberg" in found.all_text and "Planeringsstrategi på tolv månader" in found.all_text
    inflected = await playground.reply_to(me, "vem kan bostäder")
    assert "Sara Öberg" in inflected.all_text
    examples = await playground.reply_to(me, "exempel bostäder")
    assert "Planeringsstrategi på tolv månader" in examples.all_text
    nothing = await playground.reply_to(me, "exempel bostäder i vården")
    assert "Inga exempel hittades" in nothing.all_text
