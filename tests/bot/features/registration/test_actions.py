"""Registration through the handler (tests/turns.py): a submit that races the deadline, and a
hand-over to someone who already has a place, each get their own answer, and nothing else is
mistaken for them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import Components, build_bot
from bot.core.i18n import t
from bot.core.settings import Settings
from bot.features.registration.handover_codes import shown
from bot.features.registration.rules import RegistrationForm
from storage.models import Meeting, Person, Project, Registration
from storage.projects import ProjectRepository
from storage.registrations import RegistrationRepository
from tests.turns import replies, text_of, turn

DEADLINE = datetime(2027, 4, 14, 22, 0, tzinfo=UTC)
BEFORE = DEADLINE - timedelta(seconds=1)
FORM = {"name": "Anna Lindqvist", "organisation": "falun", "role_title": "Planerare", "email": "anna@falun.se",
        "meetings": "1", "dietary": "", "consent_list": "true"}


class Clock:
    def __init__(self) -> None:
        self.now = BEFORE

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def sessions(sqlite_sessions: async_sessionmaker[AsyncSession]) -> async_sessionmaker[AsyncSession]:
    return sqlite_sessions


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def components(sessions: async_sessionmaker[AsyncSession], clock: Clock) -> Components:
    return build_bot(Settings(language="sv"), sessions, TestAdapter(), clock)


async def make_project(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions.begin() as session:
        project = Project(slug="p", name="Energi", calendar_token="tok", registration_deadline=DEADLINE,
                          contact="samordnare@falun.se")
        project.meetings = [Meeting(number=1, title="Start", starts_at=DEADLINE + timedelta(days=9),
                                    ends_at=DEADLINE + timedelta(days=9, hours=2), uid="p-1")]
        session.add(project)
        await session.flush()
        return project.id


def said(user: str, text: str | None = None, value: dict[str, Any] | None = None) -> Activity:
    return Activity(
        type="message", text=text, value=value, locale="sv-SE", channel_id="msteams",
        service_url="https://smba.example/",
        from_property=ChannelAccount(id=f"29:{user}", name=user.title(), aad_object_id=f"aad-{user}"),
        recipient=ChannelAccount(id="bot", name="DalaLab"),
        conversation=ConversationAccount(id=f"a:{user}", conversation_type="personal"),
    )


async def person_id(sessions: async_sessionmaker[AsyncSession], user: str) -> int:
    async with sessions() as session:
        found = await session.scalar(select(Person.id).where(Person.teams_id == f"29:{user}"))
    assert found is not None
    return found


async def test_a_submit_that_races_the_deadline_is_told_so_not_sorry_for_a_technical_error(
    components: Components, sessions: async_sessionmaker[AsyncSession], clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project_id = await make_project(sessions)
    read_organisations = ProjectRepository.organisations

    async def deadline_passes_meanwhile(self: ProjectRepository) -> Any:
        # Between the service's check (still open) and the repository's own check under its lock.
        clock.now = DEADLINE + timedelta(seconds=1)
        return await read_organisations(self)

    monkeypatch.setattr(ProjectRepository, "organisations", deadline_passes_meanwhile)

    [reply] = await replies(components.bot, said("anna", value={"verb": "register", "project_id": project_id,
                                                                 **FORM}))

    assert text_of(reply) == t("register.closed_meanwhile", project="Energi", deadline="onsdag 14 april",
                               contact="samordnare@falun.se")
    assert "Anmälan till Energi stängde medan du fyllde i din anmälan" in text_of(reply)
    async with sessions() as session:
        assert await session.scalar(select(Registration.id)) is None


async def test_a_submit_after_the_deadline_is_told_it_closed_while_the_form_was_filled_in(
    components: Components, sessions: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    project_id = await make_project(sessions)
    clock.now = DEADLINE

    [reply] = await replies(components.bot, said("anna", value={"verb": "register", "project_id": project_id,
                                                                 **FORM}))

    assert text_of(reply).startswith(
        "Anmälan till Energi stängde medan du fyllde i din anmälan (sista anmälningsdag: onsdag 14 april), "
        "så den sparades inte.")


async def test_registration_closed_by_the_coordinator_names_no_deadline(
    components: Components, sessions: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    """Closed by hand before its deadline: the deadline, still ahead, is not given as the reason."""
    project_id = await make_project(sessions)
    async with sessions.begin() as session:
        (await session.get_one(Project, project_id)).registration_closed = True
    clock.now = DEADLINE - timedelta(days=3)

    [asked] = await replies(components.bot, said("anna", value={"verb": "register_start", "project_id": project_id}))
    [sent] = await replies(components.bot, said("anna", value={"verb": "register", "project_id": project_id, **FORM}))

    assert text_of(asked) == t("register.closed_by_coordinator", project="Energi", contact="samordnare@falun.se")
    assert text_of(sent).startswith("Samordnaren stängde anmälan till Energi medan du fyllde i din anmälan")
    assert "sista anmälningsdag" not in text_of(asked) + text_of(sent)
    async with sessions() as session:
        assert await session.scalar(select(Registration.id)) is None


async def test_dates_in_a_turn_are_shown_in_the_settings_zone(
    sessions: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    # TZ_NAME=America/New_York: the deadline (22.00 UTC) is 18.00 there, not Stockholm's midnight.
    bot = build_bot(Settings(language="sv", time_zone="America/New_York"), sessions, TestAdapter(), clock).bot
    project_id = await make_project(sessions)
    clock.now = DEADLINE

    [reply] = await replies(bot, said("anna", value={"verb": "register", "project_id": project_id, **FORM}))

    assert "(sista anmälningsdag: onsdag 14 april kl. 18.00)" in text_of(reply)


async def hand_over(components: Components, sessions: async_sessionmaker[AsyncSession]) -> str:
    """Anna holds a place and offers it; Bo has one of his own. The code, as Anna was given it."""
    project_id = await make_project(sessions)
    repository = RegistrationRepository(sessions)
    for user in ("anna", "bo"):
        await replies(components.bot, said(user, "hej"))
        form = RegistrationForm(user.title(), "falun", "", "Planerare", "", frozenset({1}), "", True)
        await repository.register(project_id, await person_id(sessions, user), form, BEFORE)
    async with sessions() as session:
        anna = await session.scalar(select(Registration).where(
            Registration.person_id == await person_id(sessions, "anna")))
    assert anna is not None
    return shown(await repository.offer_transfer(anna.id, anna.person_id, BEFORE))


async def test_taking_over_a_place_with_one_already_is_refused_as_such(
    components: Components, sessions: async_sessionmaker[AsyncSession]
) -> None:
    code = await hand_over(components, sessions)

    [reply] = await replies(components.bot, said("bo", f"ta över {code}"))

    assert text_of(reply) == t("transfer.already_registered")


async def test_another_value_error_in_a_take_over_is_not_mistaken_for_already_registered(
    components: Components, sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    code = await hand_over(components, sessions)

    async def broken(*_args: Any) -> Any:
        raise ValueError("invalid literal for int() with base 10: 'x'")

    monkeypatch.setattr(RegistrationRepository, "take_over", broken)

    # Not answered as "already registered": the turn fails, and the adapter apologises and logs the cause.
    with pytest.raises(ValueError, match="invalid literal"):
        await replies(components.bot, said("bo", f"ta över {code}"))


async def annas_registration(components: Components, sessions: async_sessionmaker[AsyncSession]) -> int:
    """Anna registered (through the form) for a new project; her registration's id."""
    project_id = await make_project(sessions)
    await replies(components.bot, said("anna", value={"verb": "register", "project_id": project_id, **FORM}))
    async with sessions() as session:
        registration_id = await session.scalar(select(Registration.id))
    assert registration_id is not None
    return registration_id


async def test_yes_cancel_pressed_twice_says_it_is_cancelled_once_and_nothing_else(
    components: Components, sessions: async_sessionmaker[AsyncSession]
) -> None:
    registration_id = await annas_registration(components, sessions)
    press = said("anna", value={"verb": "cancel_confirmed", "registration_id": registration_id})
    press.reply_to_id = "question-card"  # the card the button is on, which the answer replaces

    first, second = await turn(components.bot, press), await turn(components.bot, press)

    for pressed in (first, second):
        assert pressed.replies == []
        [updated] = pressed.updated
        assert "Din anmälan till Energi är avbokad" in text_of(updated)
    async with sessions() as session:
        assert await session.scalar(select(Registration.status)) == "cancelled"


async def test_yes_cancel_for_someone_elses_registration_finds_nothing(
    components: Components, sessions: async_sessionmaker[AsyncSession]
) -> None:
    registration_id = await annas_registration(components, sessions)
    await turn(components.bot, said("anna", value={"verb": "cancel_confirmed", "registration_id": registration_id}))

    [reply] = await replies(components.bot, said("erik", value={"verb": "cancel_confirmed",
                                                                 "registration_id": registration_id}))

    assert text_of(reply) == t("mine.not_found")
