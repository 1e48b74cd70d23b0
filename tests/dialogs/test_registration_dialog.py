"""The text registration dialog through botbuilder-testing's DialogTestClient, over a real
RegistrationService and dialog state stored in the SQL storage (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from botbuilder.core import ConversationState, TurnContext
from botbuilder.dialogs import DialogTurnStatus
from botbuilder.dialogs.choices import Choice
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount
from botbuilder.testing import DialogTestClient
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.commands import Role
from bot.core.i18n import t
from bot.core.router import Routes
from bot.core.turn import Turn
from bot.features.registration.service import Closed, RegistrationService, chosen_meetings
from bot.features.registration.text_actions import TextRegistrationActions
from bot.features.registration.text_actions import router as text_router
from dialogs.registration_dialog import (
    TextRegistrationDialog,
    TextRegistrationStart,
    TextRule,
    choice_index,
    meeting_numbers,
    text_answer,
    yes_or_no,
)
from storage.models import Meeting, Person, Project, Registration
from storage.projects import ProjectRepository
from storage.registrations import RegistrationRepository, RegistrationResult
from storage.state import SqlStorage
from tests.turns import run

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
DEADLINE = datetime(2027, 4, 14, 22, 0, tzinfo=UTC)
Sessions = async_sessionmaker[AsyncSession]


# --- reading answers ---------------------------------------------------------------------------

ORGANISATIONS = [
    Choice("Falu kommun", synonyms=["falun"]),
    Choice("Malung-Sälens kommun", synonyms=["malung-salen"]),
    Choice("Mora kommun", synonyms=["mora"]),
    Choice("Älvdalens kommun", synonyms=["alvdalen"]),
    Choice("Region Dalarna", synonyms=["region"]),
    Choice("Annan organisation", synonyms=["annan"]),
]


@pytest.mark.parametrize(
    ("answer", "index"),
    [
        ("1", 0),
        (" 4. ", 3),
        ("falu kommun", 0),
        ("FALUN", 0),
        ("Älvdalen", 3),
        ("alvdalen", 3),
        ("älvdalens kommun", 3),
        ("Malung-Sälen", 1),
        ("region dalarna", 4),
        ("annan", 5),
        ("0", None),
        ("7", None),
        ("²", None),
        ("kommun", None),
        ("Hedemora", None),
        ("", None),
    ],
)
def test_choice_by_number_or_name(answer: str, index: int | None) -> None:
    assert choice_index(answer, ORGANISATIONS) == index


@pytest.mark.parametrize(
    ("answer", "chosen"),
    [("alla", [1, 2, 3]), ("Alla.", [1, 2, 3]), ("1, 3", [1, 3]), ("3 och 1", [1, 3]), ("2", [2]), ("1;2", [1, 2])],
)
def test_meeting_numbers(answer: str, chosen: list[int]) -> None:
    assert meeting_numbers(answer, [1, 2, 3]) == chosen


@pytest.mark.parametrize("answer", ["", "-", "4", "1, 4", "första", "1.5", "0001", "1, ²"])
def test_meeting_numbers_refused(answer: str) -> None:
    assert meeting_numbers(answer, [1, 2, 3]) is None


def test_text_answers() -> None:
    name = TextRule("name", required=True, default="Anna Andersson")
    assert text_answer("ok", name) == "Anna Andersson"
    assert text_answer("Ja", name) == "Anna Andersson"
    assert text_answer("  Anna   Berg ", name) == "Anna Berg"
    assert text_answer("-", name) is None
    assert text_answer("ok", TextRule("name", required=True)) is None
    assert text_answer("x" * 201, name) is None
    assert text_answer("-", TextRule("role_title")) == ""
    assert text_answer("-", TextRule("email")) == ""
    assert text_answer("Anna@Falun.se", TextRule("email")) == "Anna@Falun.se"
    assert text_answer("anna@falun", TextRule("email")) is None
    assert text_answer("-", TextRule("organisation_other", required=True)) is None


@pytest.mark.parametrize(
    ("answer", "value"), [("ja", True), ("Ja!", True), ("yes", True), ("nej", False), ("nä", False)]
)
def test_yes_or_no(answer: str, value: bool) -> None:
    assert yes_or_no(answer) is value


def test_yes_or_no_refuses_anything_else() -> None:
    assert yes_or_no("kanske") is None


# --- the dialog --------------------------------------------------------------------------------


async def make_project(
    sessions: Sessions, slug: str = "planering", deadline: datetime = DEADLINE, name: str = "Planering"
) -> int:
    async with sessions.begin() as session:
        project = Project(slug=slug, name=name, calendar_token=f"tok-{slug}", registration_deadline=deadline)
        project.meetings = [
            Meeting(
                number=n,
                title=f"Träff {n}",
                starts_at=NOW + timedelta(days=30 * n),
                ends_at=NOW + timedelta(days=30 * n, hours=5),
                uid=f"{slug}-{n}",
            )
            for n in (1, 2, 3, 4)
        ]
        session.add(project)
        await session.flush()
        return project.id


async def make_person(sessions: Sessions) -> int:
    async with sessions.begin() as session:
        person = Person(teams_id="29:anna", name="Anna Andersson")
        session.add(person)
        await session.flush()
        return person.id


def calendar_url(project: Project, registration: Registration) -> str:
    numbers = "-".join(str(m.number) for m in chosen_meetings(registration, project.meetings))
    return f"https://bot.example/calendar/{project.calendar_token}/serie-{numbers}.ics"


@pytest.fixture
def service(sessions: Sessions) -> RegistrationService:
    return RegistrationService(ProjectRepository(sessions), RegistrationRepository(sessions), lambda: NOW)


@pytest.fixture
async def person(sessions: Sessions) -> int:
    return await make_person(sessions)


@pytest.fixture
def client(sessions: Sessions, service: RegistrationService, person: int) -> DialogTestClient:
    # Dialog state goes through the bot's own SQL storage, so everything the dialog keeps must pickle.
    return DialogTestClient(
        "msteams",
        TextRegistrationDialog(service, calendar_url),
        TextRegistrationStart(person, "Anna Andersson"),
        conversation_state=ConversationState(SqlStorage(sessions)),
    )


async def say(client: DialogTestClient, text: str) -> str:
    """Send one message; all the replies of that turn, as one text."""
    replies = [await client.send_activity(text)]
    while (reply := client.get_next_reply()) is not None:
        replies.append(reply)
    return "\n".join(reply.text or "" for reply in replies if reply is not None)


async def answer_all(client: DialogTestClient, answers: Sequence[str]) -> str:
    last = ""
    for answer in answers:
        last = await say(client, answer)
    return last


def full_answers(organisation: str = "falu kommun", meetings: str = "1, 3") -> list[str]:
    return ["hej", "ok", organisation, "Planerare", "anna@falun.se", meetings, "-", "ja", "ja"]


async def stored(service: RegistrationService, person: int) -> tuple[Registration, list[int]]:
    [(registration, project)] = await service.mine(person)
    return registration, [m.number for m in chosen_meetings(registration, project.meetings)]


async def test_happy_path_stores_the_registration(
    sessions: Sessions, service: RegistrationService, person: int, client: DialogTestClient
) -> None:
    await make_project(sessions)
    first = await say(client, "hej")
    assert "Anmälan till Planering" in first
    assert t("textreg.name", name="Anna Andersson") in first
    organisations = await say(client, "ok")
    assert "1. Avesta kommun" in organisations and "17. Annan organisation" in organisations
    assert t("textreg.role_title") in await say(client, "falu kommun")
    assert t("textreg.email") in await say(client, "Planerare")
    meetings = await say(client, "Anna@Falun.se")
    assert "Träff 4" in meetings and "alla" in meetings
    assert t("textreg.dietary") in await say(client, "1, 3")
    assert t("textreg.consent") in await say(client, "Vegetarisk")
    summary = await say(client, "ja")
    assert "- Kommun eller organisation: Falu kommun" in summary
    assert "- Träffar: 1, 3" in summary
    confirmation = await say(client, "ja")

    assert t("register.confirmed", project="Planering") in confirmation
    assert "https://bot.example/calendar/tok-planering/serie-1-3.ics" in confirmation
    assert client.dialog_turn_result.status == DialogTurnStatus.Complete
    assert isinstance(client.dialog_turn_result.result, RegistrationResult)
    registration, meetings_chosen = await stored(service, person)
    assert (registration.name, registration.organisation.key, registration.organisation_other) == (
        "Anna Andersson",
        "falun",
        "",
    )
    assert (registration.role_title, registration.email, registration.dietary) == (
        "Planerare",
        "anna@falun.se",
        "Vegetarisk",
    )
    assert registration.consent_list is True
    assert meetings_chosen == [1, 3]


@pytest.mark.parametrize(("answer", "key"), [("3", "falun"), ("falu kommun", "falun"), ("Älvdalen", "alvdalen")])
async def test_organisation_by_number_or_name(
    sessions: Sessions, service: RegistrationService, person: int, client: DialogTestClient, answer: str, key: str
) -> None:
    await make_project(sessions)
    await answer_all(client, full_answers(organisation=answer))
    registration, _ = await stored(service, person)
    assert registration.organisation.key == key


async def test_unknown_organisation_is_asked_again(sessions: Sessions, client: DialogTestClient) -> None:
    await make_project(sessions)
    retry = await answer_all(client, ["hej", "ok", "Stockholm"])
    assert t("textreg.choice_retry") in retry
    assert "16. Region Dalarna" in retry
    assert t("textreg.role_title") in await say(client, "region")


async def test_invalid_email_is_asked_again(
    sessions: Sessions, service: RegistrationService, person: int, client: DialogTestClient
) -> None:
    await make_project(sessions)
    retry = await answer_all(client, ["hej", "ok", "mora", "-", "anna@mora"])
    assert t("form.email_invalid") in retry
    assert t("textreg.email") in retry
    assert t("textreg.meetings") in await say(client, "anna@mora.se")
    await answer_all(client, ["alla", "-", "nej", "ja"])
    registration, _ = await stored(service, person)
    assert (registration.email, registration.role_title, registration.consent_list) == ("anna@mora.se", "", False)


async def test_all_meetings(
    sessions: Sessions, service: RegistrationService, person: int, client: DialogTestClient
) -> None:
    await make_project(sessions)
    await answer_all(client, full_answers(meetings="alla"))
    _, meetings = await stored(service, person)
    assert meetings == [1, 2, 3, 4]


async def test_unknown_meeting_is_asked_again(sessions: Sessions, client: DialogTestClient) -> None:
    await make_project(sessions)
    retry = await answer_all(client, ["hej", "ok", "mora", "-", "-", "1, 5"])
    assert t("textreg.meetings_retry") in retry
    assert t("textreg.dietary") in await say(client, "1 och 2")


async def test_avbryt_cancels_at_any_step(
    sessions: Sessions, service: RegistrationService, person: int, client: DialogTestClient
) -> None:
    await make_project(sessions)
    reply = await answer_all(client, ["hej", "ok", "falun", "Avbryt"])
    assert reply == t("textreg.cancelled")
    assert client.dialog_turn_result.status == DialogTurnStatus.Complete
    assert client.dialog_turn_result.result is None
    assert await service.mine(person) == []


async def test_other_organisation_asks_which(
    sessions: Sessions, service: RegistrationService, person: int, client: DialogTestClient
) -> None:
    await make_project(sessions)
    assert t("textreg.organisation_other") in await answer_all(client, ["hej", "Anna Berg", "Annan organisation"])
    assert t("textreg.organisation_other_retry", limit=200) in await say(client, "-")
    assert t("textreg.role_title") in await say(client, "Länsstyrelsen Dalarna")
    summary = await answer_all(client, ["-", "-", "2", "-", "ja"])
    assert "- Kommun eller organisation: Länsstyrelsen Dalarna" in summary
    await say(client, "ja")
    registration, meetings = await stored(service, person)
    assert (registration.name, registration.organisation.key, registration.organisation_other) == (
        "Anna Berg",
        "annan",
        "Länsstyrelsen Dalarna",
    )
    assert meetings == [2]


async def test_no_at_the_summary_sends_nothing(
    sessions: Sessions, service: RegistrationService, person: int, client: DialogTestClient
) -> None:
    await make_project(sessions)
    reply = await answer_all(client, [*full_answers()[:-1], "nej"])
    assert reply == t("textreg.not_sent")
    assert await service.mine(person) == []


async def test_closed_project_is_refused(
    sessions: Sessions, service: RegistrationService, client: DialogTestClient
) -> None:
    await make_project(sessions, deadline=NOW - timedelta(days=1))
    reply = await say(client, "hej")
    assert "Anmälan till Planering är stängd (sista anmälningsdag: söndag 28 februari" in reply
    assert t("textreg.name", name="Anna Andersson") not in reply
    assert isinstance(client.dialog_turn_result.result, Closed)


async def test_several_projects_are_chosen_from(
    sessions: Sessions, service: RegistrationService, person: int, client: DialogTestClient
) -> None:
    await make_project(sessions, slug="a", name="Avfall")
    second = await make_project(sessions, slug="b", name="Biologisk mångfald")
    choice = await say(client, "hej")
    assert t("textreg.choose_project") in choice and "2. Biologisk mångfald" in choice
    assert "Anmälan till Biologisk mångfald" in await say(client, "2")
    await answer_all(client, full_answers()[1:])
    [(registration, project)] = await service.mine(person)
    assert project.id == second


async def test_registering_again_edits(
    sessions: Sessions, service: RegistrationService, person: int, client: DialogTestClient
) -> None:
    await make_project(sessions)
    await answer_all(client, ["hej", "Anna Berg", "mora", "-", "-", "1", "-", "ja", "ja"])
    again = await say(client, "hej igen")
    assert t("register.title_edit") in again
    assert t("textreg.name", name="Anna Berg") in again
    reply = await answer_all(client, ["ok", "orsa", "-", "-", "2", "-", "ja", "ja"])
    assert t("register.updated", project="Planering") in reply
    registration, meetings = await stored(service, person)
    assert (registration.name, registration.organisation.key, meetings) == ("Anna Berg", "orsa", [2])


async def test_no_open_project(client: DialogTestClient) -> None:
    assert await say(client, "hej") == t("register.no_projects")


# --- the Teams feature -------------------------------------------------------------------------


class Chat:
    """The handler's part, in miniature: active dialog first, then the command; state saved per turn."""

    def __init__(self, sessions: Sessions, service: RegistrationService, person: int) -> None:
        self.state = ConversationState(SqlStorage(sessions))
        dialog_state = self.state.create_property("dialog_state")
        self.feature = TextRegistrationActions(service, dialog_state, calendar_url, self.changed)
        self.routes = Routes()
        self.routes.bind(text_router, self.feature)
        self.person = person
        self.consumed: list[bool] = []
        self.changes = 0

    def changed(self) -> None:
        self.changes += 1

    async def say(self, text: str, in_channel: bool = False) -> list[str]:
        kind = "channel" if in_channel else "personal"
        activity = Activity(
            type="message",
            text=text,
            locale="sv-SE",  # botbuilder's prompts have no Swedish culture: this must not trip them
            channel_id="msteams",
            from_property=ChannelAccount(id="29:anna", name="Anna Andersson"),
            recipient=ChannelAccount(id="bot", name="DalaLab"),
            conversation=ConversationAccount(id=f"conv-{kind}", conversation_type=kind),
        )
        turn = Turn(text, "", Role.PARTICIPANT, in_channel, "29:anna", None, "Anna Andersson", self.person)

        async def logic(context: TurnContext) -> None:
            consumed = await self.feature.continue_active(context, turn)
            self.consumed.append(consumed)
            if not consumed and text in self.routes.commands:
                await self.routes.commands[text](context, turn)
            await self.state.save_changes(context)

        return [reply.text or "" for reply in (await run(logic, activity)).replies]


async def test_feature_routes_answers_to_the_active_dialog(
    sessions: Sessions, service: RegistrationService, person: int
) -> None:
    await make_project(sessions)
    chat = Chat(sessions, service, person)
    await chat.say("schema")
    started = await chat.say("anmäl via text")
    assert t("textreg.name", name="Anna Andersson") in started[-1]
    for answer in ["ok", "falun", "-", "-", "alla", "-", "ja", "ja"]:
        await chat.say(answer)
    assert chat.consumed == [False, False, *[True] * 8]
    registration, _ = await stored(service, person)
    assert registration.organisation.key == "falun"
    assert chat.changes == 1
    await chat.say("schema")
    assert chat.consumed[-1] is False


async def test_feature_is_personal_chat_only(sessions: Sessions, service: RegistrationService, person: int) -> None:
    await make_project(sessions)
    chat = Chat(sessions, service, person)
    assert await chat.say("anmäl via text", in_channel=True) == [t("textreg.personal_only")]


async def test_feature_cancel_changes_nothing(sessions: Sessions, service: RegistrationService, person: int) -> None:
    await make_project(sessions)
    chat = Chat(sessions, service, person)
    await chat.say("anmäl via text")
    assert await chat.say("avbryt") == [t("textreg.cancelled")]
    await chat.say("ok")
    assert chat.consumed == [False, True, False]
    assert chat.changes == 0
