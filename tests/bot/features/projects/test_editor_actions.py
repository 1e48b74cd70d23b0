"""Coordinators run projects from cards in the personal chat (botbuilder's TestAdapter through the
handler): create a draft, add meetings, move one the way an import would, cancel one, open and close
registration, evaluation questions, copy, the project list; a stale card is refused with a message;
a double click creates one project; the shared chats get no project cards; a card-made project exports
to YAML that imports back unchanged."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import Components, build_bot
from bot.core.settings import Settings
from bot.features.evaluation.rules import questions_from_json
from bot.features.projects.exports import project_yaml
from bot.features.projects.spec import parse_project_yaml
from storage.models import Project
from storage.projects import ProjectRepository, spec_of
from tests.turns import turn

NOW = datetime(2027, 1, 10, 9, tzinfo=UTC)
STOCKHOLM = ZoneInfo("Europe/Stockholm")
BOSS = "aad-boss"
FIELDS = {"name": "Service på landsbygden", "description": "Samverkan kring [service](https://evil.example)",
          "quota": "3", "capacity": "40", "deadline": "2027-04-14", "deadline_time": "",
          "contact": "Linnea Hassis"}


def meeting_values(number: int, day: str, place: str = "Falun") -> dict[str, Any]:
    return {"number": str(number), "title": f"Träff om tema {number}", "date": day, "start": "10:00",
            "end": "15:00", "place": place, "online_link": "", "programme": "Fika från 9.30"}


@pytest.fixture
def sessions(sqlite_sessions: async_sessionmaker[AsyncSession]) -> async_sessionmaker[AsyncSession]:
    return sqlite_sessions


@pytest.fixture
def components(sessions: async_sessionmaker[AsyncSession]) -> Components:
    return build_bot(Settings(language="sv", coordinator_ids=frozenset({BOSS})), sessions, TestAdapter(),
                     lambda: NOW)


class Chat:
    """A coordinator's personal chat: what the bot sent and which card it updated in place."""

    def __init__(self, components: Components, aad: str = BOSS, kind: str = "personal") -> None:
        self.components, self.aad, self.kind = components, aad, kind
        self.sent: list[Activity] = []
        self.updated: list[Activity] = []

    def activity(self, text: str | None = None, value: dict[str, Any] | None = None) -> Activity:
        return Activity(
            type="message", text=text, value=value, locale="sv-SE", channel_id="msteams",
            service_url="https://smba.example/", reply_to_id="card-1" if value else None,
            from_property=ChannelAccount(id=f"29:{self.aad}", name="Linnea", aad_object_id=self.aad),
            recipient=ChannelAccount(id="bot", name="DalaLab"),
            conversation=ConversationAccount(id=f"a:{self.kind}-{self.aad}", conversation_type=self.kind),
        )

    async def say(self, text: str) -> dict[str, Any] | str:
        await self._turn(self.activity(text))
        return _content(self.sent[-1])

    async def press(self, verb: str, /, **values: Any) -> dict[str, Any] | str:
        """Press a card button: the reply is the card updated in place (or a new message)."""
        before_sent, before_updated = len(self.sent), len(self.updated)
        await self._turn(self.activity(value={"verb": verb, **values}))
        if len(self.updated) > before_updated:
            assert self.updated[-1].id == "card-1"
            return _content(self.updated[-1])
        assert len(self.sent) > before_sent, "nothing sent"
        return _content(self.sent[-1])

    async def _turn(self, activity: Activity) -> None:
        sent = await turn(self.components.bot, activity)
        self.sent.extend(sent.replies)
        self.updated.extend(sent.updated)


def _content(activity: Activity) -> dict[str, Any] | str:
    if activity.attachments:
        return dict(activity.attachments[0].content)
    return str(activity.text)


def text_of(card: dict[str, Any] | str) -> str:
    return card if isinstance(card, str) else str(card)


def blocks(card: dict[str, Any] | str) -> str:
    """The TextBlocks' own texts (as the client gets them, not a repr)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TextBlock":
                found.append(str(node["text"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return "\n".join(found)


def buttons(card: dict[str, Any] | str) -> dict[str, dict[str, Any]]:
    assert isinstance(card, dict)
    return {action["data"]["verb"]: action["data"] for action in card.get("actions", [])}


async def stored(sessions: async_sessionmaker[AsyncSession]) -> Project:
    projects = await ProjectRepository(sessions).all_projects()
    assert len(projects) == 1
    return projects[0]


async def create_with_meetings(chat: Chat, sessions: async_sessionmaker[AsyncSession], count: int) -> Project:
    form = await chat.say("nytt projekt")
    assert buttons(form)["project_save"] == {"verb": "project_save", "version": 0}
    editor = await chat.press("project_save", **FIELDS, version=0)
    assert "Utkastet är sparat" in text_of(editor)
    for number in range(1, count + 1):
        ids = buttons(await chat.press("project_meeting_new", **buttons(editor)["project_meeting_new"]))
        editor = await chat.press("project_meeting_save", **meeting_values(number, f"2027-0{number + 4}-03"),
                                  **ids["project_meeting_save"])
        assert f"Träff {number} är sparad." in text_of(editor)
    return await stored(sessions)


async def test_create_a_draft_with_four_meetings_then_open_it(
    components: Components, sessions: async_sessionmaker[AsyncSession],
) -> None:
    chat = Chat(components)
    project = await create_with_meetings(chat, sessions, 4)
    assert (project.slug, project.state, project.quota_per_organisation, project.capacity) == (
        "service-pa-landsbygden-2027", "planned", 3, 40)
    assert [m.number for m in project.meetings] == [1, 2, 3, 4]
    assert project.meetings[1].starts_at == datetime(2027, 6, 3, 8, tzinfo=UTC)
    editor = await chat.press("project_show", project_id=project.id)
    assert len(editor["actions"]) <= 6  # Teams shows six buttons at most
    assert r"\[service\](https\:\/\/evil\.example)" in blocks(editor)  # typed text is escaped, not a link
    # A deadline "at the end of the day" shows as that day, as everywhere else (not "torsdag 15 april kl. 00.00").
    assert "Sista anmälningsdag: onsdag 14 april" in text_of(editor) and "kl. 00.00" not in text_of(editor)
    preview = await chat.press("project_preview", **buttons(editor)["project_preview"])
    assert "Förhandsvisning" in text_of(preview) and "actions" not in preview
    assert "Träff om tema 4" in text_of(preview)
    opened = await chat.press("project_open", **buttons(editor)["project_open"])
    assert "Projektet är öppet för anmälan." in text_of(opened)
    assert (await stored(sessions)).state == "open"
    assert "Nästa steg: sista anmälningsdag onsdag 14 april" in text_of(await chat.say("projekt"))
    closed = await chat.press("project_close", **buttons(opened)["project_close"])
    assert "Anmälan är stängd." in text_of(closed) and (await stored(sessions)).registration_closed


async def test_a_project_needs_a_meeting_before_it_opens(
    components: Components, sessions: async_sessionmaker[AsyncSession],
) -> None:
    chat = Chat(components)
    editor = await chat.press("project_save", **FIELDS, version=0)
    refused = await chat.press("project_open", **buttons(editor)["project_open"])
    assert "Lägg till minst en träff" in text_of(refused) and (await stored(sessions)).state == "planned"


async def test_a_mistake_shows_the_form_again_with_what_was_typed(
    components: Components, sessions: async_sessionmaker[AsyncSession],
) -> None:
    chat = Chat(components)
    again = await chat.press("project_save", **{**FIELDS, "name": "", "quota": "0"}, version=0)
    assert "Namn måste fyllas i." in text_of(again) and "Platser per kommun ska vara" in text_of(again)
    assert "Linnea Hassis" in text_of(again)  # nothing typed is lost
    assert await ProjectRepository(sessions).all_projects() == []


async def test_a_double_click_creates_one_project(
    components: Components, sessions: async_sessionmaker[AsyncSession],
) -> None:
    chat = Chat(components)
    await chat.press("project_save", **FIELDS, version=0)
    second = await chat.press("project_save", **FIELDS, version=0)
    assert "Utkastet är sparat" in text_of(second)
    await stored(sessions)  # exactly one


async def test_moving_a_meeting_goes_the_import_way(
    components: Components, sessions: async_sessionmaker[AsyncSession],
) -> None:
    chat = Chat(components)
    project = await create_with_meetings(chat, sessions, 2)
    before = project.meetings[1]
    editor = await chat.press("project_show", project_id=project.id)
    form = await chat.press("project_meeting_edit", **buttons(editor)["project_meeting_edit"], meeting_number="2")
    assert "Ändra träff 2" in text_of(form) and "2027-06-03" in text_of(form)
    moved = await chat.press("project_meeting_save", **{**meeting_values(2, "2027-06-10", "Vansbro"), "number": "7"},
                             **buttons(form)["project_meeting_save"])
    assert "Träff 2 är ändrad. De anmälda får ett meddelande" in text_of(moved)
    after = (await stored(sessions)).meetings[1]
    assert (after.id, after.uid, after.number) == (before.id, before.uid, 2)  # the number is kept
    assert (after.sequence, after.notified_sequence, after.place) == (1, 0, "Vansbro")


async def test_a_stale_card_is_refused_with_a_clear_message(
    components: Components, sessions: async_sessionmaker[AsyncSession],
) -> None:
    anna, erik = Chat(components), Chat(components)
    project = await create_with_meetings(anna, sessions, 1)
    editor = await anna.press("project_show", project_id=project.id)
    # Both open the same meeting; Erik saves first, Anna's card is now stale.
    anna_form = await anna.press("project_meeting_edit", **buttons(editor)["project_meeting_edit"], meeting_number="1")
    erik_form = await erik.press("project_meeting_edit", **buttons(editor)["project_meeting_edit"], meeting_number="1")
    await erik.press("project_meeting_save", **meeting_values(1, "2027-05-04", "Mora"),
                     **buttons(erik_form)["project_meeting_save"])
    refused = await anna.press("project_meeting_save", **meeting_values(1, "2027-05-05", "Leksand"),
                               **buttons(anna_form)["project_meeting_save"])
    assert "Någon annan har ändrat projektet" in text_of(refused) and "Mora" in text_of(refused)
    assert (await stored(sessions)).meetings[0].place == "Mora"


async def test_cancelling_a_meeting(components: Components, sessions: async_sessionmaker[AsyncSession]) -> None:
    chat = Chat(components)
    project = await create_with_meetings(chat, sessions, 2)
    editor = await chat.press("project_show", project_id=project.id)
    form = await chat.press("project_meeting_edit", **buttons(editor)["project_meeting_edit"], meeting_number="1")
    done = await chat.press("project_meeting_cancel", **buttons(form)["project_meeting_cancel"])
    assert "Träff 1 är inställd" in text_of(done) and "INSTÄLLD" in text_of(done)
    first = (await stored(sessions)).meetings[0]
    assert first.cancelled_at == NOW and first.sequence == 1


async def test_evaluation_questions_default_edit_and_reset(
    components: Components, sessions: async_sessionmaker[AsyncSession],
) -> None:
    chat = Chat(components)
    editor = await chat.press("project_save", **FIELDS, version=0)
    form = await chat.press("project_questions", **buttons(editor)["project_questions"])
    assert "Träffen gav mig nya kunskaper" in text_of(form)  # the region's questions by default
    data = buttons(form)["project_questions_save"]
    assert data["keys"] == ["knowledge", "contacts", "support", "valuable", "improve", "wishes"]
    values = {f"q{i}_text": "" for i in range(data["rows"])}
    values |= {"q0_text": "Nya kunskaper?", "q0_kind": "scale", "q0_required": "true",
               "q6_text": "Något mer?", "q6_kind": "text"}
    saved = await chat.press("project_questions_save", **data, **values)
    assert "Utvärderingsfrågorna är sparade" in text_of(saved)
    questions = questions_from_json((await stored(sessions)).evaluation_questions)
    assert [(q.key, q.text, q.kind) for q in questions] == [("knowledge", "Nya kunskaper?", "scale"),
                                                              ("q1", "Något mer?", "text")]
    bad = await chat.press("project_questions_save", **buttons(saved)["project_questions"] | {
        "verb": "project_questions_save", "keys": ["knowledge"], "rows": 2}, q0_text="", q1_text="")
    assert "Fråga 1: utvärderingen behöver minst en fråga." in text_of(bad)
    reset = await chat.press("project_questions_default", project_id=data["project_id"],
                             version=buttons(saved)["project_questions"]["version"])
    assert "Regionens frågor är tillbaka." in text_of(reset)
    assert (await stored(sessions)).evaluation_questions is None


async def test_copy_takes_texts_questions_and_reminders_but_no_dates(
    components: Components, sessions: async_sessionmaker[AsyncSession],
) -> None:
    chat = Chat(components)
    source = await create_with_meetings(chat, sessions, 2)
    form = await chat.say("kopiera projekt")
    assert "Kopiera ett lärprojekt" in text_of(form)
    missing = await chat.press("project_copy", source_id=str(source.id), name="")
    assert "Namn måste fyllas i." in text_of(missing)
    copied = await chat.press("project_copy", source_id=str(source.id), name="Service 2028")
    assert "Kopian är sparad som utkast" in text_of(copied)
    projects = {p.name: p for p in await ProjectRepository(sessions).all_projects()}
    copy = projects["Service 2028"]
    assert (copy.state, copy.meetings, copy.registration_deadline, copy.copied_from_id) == (
        "planned", [], None, source.id)
    assert (copy.description, copy.contact, copy.reminder_offsets) == (
        source.description, source.contact, source.reminder_offsets)
    new = await chat.press("project_meeting_new", **buttons(copied)["project_meeting_new"])
    assert "Träff om tema 1" in text_of(new) and "Fika från 9.30" in text_of(new)  # texts, no date
    date_input = next(e for e in new["body"] if e.get("id") == "date")
    assert date_input["value"] == "" and date_input["type"] == "Input.Date"


async def test_project_list_shows_state_counts_and_next_step(
    components: Components, sessions: async_sessionmaker[AsyncSession],
) -> None:
    chat = Chat(components)
    assert "Inga lärprojekt än" in text_of(await chat.say("projekt"))
    await create_with_meetings(chat, sessions, 1)
    listing = await chat.say("projekt")
    assert "Utkast (planerat) · 1 träff · 0 anmälda, 0 på reservlistan" in text_of(listing)
    assert "Nästa steg: förhandsgranska och öppna för anmälan." in text_of(listing)
    assert set(buttons(listing)) == {"project_show", "project_new", "project_copy_start"}
    assert any(e.get("type") == "Input.ChoiceSet" and e["id"] == "project_id" for e in listing["body"])


async def test_project_cards_only_in_the_personal_chat(components: Components) -> None:
    channel = Chat(components, kind="channel")
    for text in ("projekt", "nytt projekt", "ändra projekt", "kopiera projekt"):
        reply = await channel.say(text)
        assert "personliga chatten" in text_of(reply), text
    assert "personliga chatten" in text_of(await channel.press("project_save", **FIELDS, version=0))


async def test_a_card_made_project_exports_to_yaml_that_imports_back_unchanged(
    components: Components, sessions: async_sessionmaker[AsyncSession],
) -> None:
    chat = Chat(components)
    project = await create_with_meetings(chat, sessions, 4)
    editor = await chat.press("project_show", project_id=project.id)
    await chat.press("project_open", **buttons(editor)["project_open"])
    made = await stored(sessions)
    text = project_yaml(spec_of(made), STOCKHOLM)
    assert parse_project_yaml(text, STOCKHOLM) == spec_of(made)
    again = await ProjectRepository(sessions).upsert(parse_project_yaml(text, STOCKHOLM))
    assert spec_of(again) == spec_of(made)
    assert [(m.id, m.uid, m.sequence) for m in again.meetings] == [(m.id, m.uid, m.sequence) for m in made.meetings]
