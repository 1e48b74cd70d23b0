"""Hand-over codes (issue 13): 80 random bits, typeable, single use, and at most 5 wrong attempts per
person per hour (the limiter is bounded in memory)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from botbuilder.schema import Activity, ChannelAccount, ConversationAccount
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import Components
from bot.core.i18n import t
from bot.features.registration.handover_codes import ALPHABET, SYMBOLS, WrongAttempts, new_code, normalised, shown
from storage.models import Registration
from storage.registrations import RegistrationRepository
from tests.bot.features.privacy.test_actions import anna, components, register_anna, sessions, turn

__all__ = ["components", "sessions"]  # fixtures shared with test_privacy_actions

NOW = datetime(2027, 5, 3, 9, 0, tzinfo=UTC)


def test_a_code_holds_at_least_64_random_bits() -> None:
    assert SYMBOLS * math.log2(len(set(ALPHABET))) >= 64
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000 and all(len(code) == SYMBOLS and set(code) <= set(ALPHABET) for code in codes)
    # Every symbol is used in every position (not a narrow or fixed part).
    assert all({code[i] for code in codes} == set(ALPHABET) for i in range(SYMBOLS))


def test_codes_are_shown_in_groups_and_typed_back_loosely() -> None:
    code = "7K2MQX9D4HNBR3TF"
    assert shown(code) == "7K2M-QX9D-4HNB-R3TF"
    assert normalised("7k2m-qx9d-4hnb-r3tf") == code
    assert normalised(" 7K2M QX9D 4HNB R3TF ") == code
    assert normalised("7K2M-QX9D-4HNB-R3TO") == "7K2MQX9D4HNBR3T0"  # O read as 0
    assert normalised("3FA9C1") is None and normalised("") is None and normalised("7K2M-QX9D-4HNB-R3T!") is None
    assert normalised("I0L0-0000-0000-0000") == "1010000000000000"


def test_five_wrong_attempts_in_an_hour_block_the_sixth() -> None:
    now = [NOW]
    attempts = WrongAttempts(lambda: now[0])
    for _ in range(5):
        assert not attempts.blocked(7)
        attempts.record(7)
    assert attempts.blocked(7) and not attempts.blocked(8)
    now[0] = NOW + timedelta(minutes=59)
    assert attempts.blocked(7)
    now[0] = NOW + timedelta(hours=1, seconds=1)
    assert not attempts.blocked(7)


def test_the_limiter_remembers_a_bounded_number_of_people() -> None:
    attempts = WrongAttempts(lambda: NOW, max_people=100)
    for person in range(5000):
        attempts.record(person)
    assert len(attempts) == 100


def said(text: str, user: str) -> Activity:
    return Activity(
        type="message", text=text, locale="sv-SE", channel_id="msteams", service_url="https://smba.example/",
        from_property=ChannelAccount(id=f"29:{user}", name=user.title(), aad_object_id=f"aad-{user}"),
        recipient=ChannelAccount(id="bot", name="DalaLab"),
        conversation=ConversationAccount(id=f"a:{user}", conversation_type="personal"),
    )


async def annas_code(components: Components, sessions: async_sessionmaker[AsyncSession]) -> str:
    """Anna, registered, offers her place: the hand-over code as she is shown it."""
    await turn(components, said("hej", "anna"))
    [anna_person] = await anna(sessions)
    await register_anna(sessions, anna_person.id)
    async with sessions() as session:
        registration = await session.scalar(select(Registration).where(Registration.person_id == anna_person.id))
    assert registration is not None
    return shown(await RegistrationRepository(sessions).offer_transfer(registration.id, anna_person.id, NOW))


async def test_the_sixth_attempt_is_refused_even_with_the_right_code_and_a_code_works_once(
    components: Components, sessions: async_sessionmaker[AsyncSession],
) -> None:
    code = await annas_code(components, sessions)

    for _ in range(5):
        [wrong] = await turn(components, said("ta över " + shown(new_code()), "bo"))
        assert "Koden stämmer inte" in wrong.text
    [refused] = await turn(components, said(f"ta över {code}", "bo"))
    assert "för många gånger" in refused.text

    [taken] = await turn(components, said(f"ta över {code.lower()}", "cecilia"))
    assert "Klart!" in taken.text
    [again] = await turn(components, said(f"ta över {code}", "david"))
    assert "Koden stämmer inte" in again.text  # single use


async def test_the_holders_own_code_says_whom_it_is_for_and_is_not_a_wrong_attempt(
    components: Components, sessions: async_sessionmaker[AsyncSession],
) -> None:
    code = await annas_code(components, sessions)

    for _ in range(6):
        [own] = await turn(components, said(f"ta över {code}", "anna"))
        assert own.text == t("transfer.own_code")
    [taken] = await turn(components, said(f"ta över {code}", "bo"))
    assert "Klart!" in taken.text
    [unknown] = await turn(components, said("ta över " + shown(new_code()), "anna"))
    assert "Koden stämmer inte" in unknown.text  # the code is used up: now it is just a wrong code
