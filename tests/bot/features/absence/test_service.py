"""Absence from one meeting on SQLite and PostgreSQL: "Jag kan inte" takes a person off the meeting's
messages, a one-time code sends a colleague to that meeting only, and each edge of the code (own,
used, expired, a colleague already going, the place cancelled) is refused."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.features.absence.service import (
    AbsenceService,
    AlreadyGoing,
    Answered,
    NotInvolved,
    Offered,
    OwnMeetingCode,
    SubstituteLeft,
    Taken,
    TooLate,
)
from bot.features.evaluation.rules import DEFAULT_QUESTIONS, questions_to_json
from bot.features.evaluation.service import EvaluationService, Saved
from storage.attendance import AttendanceRepository
from storage.evaluations import EvaluationRepository
from storage.models import Attendance
from storage.projects import ProjectRepository
from storage.registrations import RegistrationRepository
from storage.substitutes import Claimed, SubstituteRepository
from tests.storage.followup_seed import START, seed, stranger


class Clock:
    def __init__(self) -> None:
        self.now = START - timedelta(days=3)

    def __call__(self) -> datetime:
        return self.now


def service(sessions: async_sessionmaker[AsyncSession], clock: Clock) -> AbsenceService:
    return AbsenceService(ProjectRepository(sessions), RegistrationRepository(sessions),
                          AttendanceRepository(sessions), SubstituteRepository(sessions), clock)


async def expected(sessions: async_sessionmaker[AsyncSession], meeting_id: int) -> list[int]:
    return await RegistrationRepository(sessions).expected_at_meeting(meeting_id)


async def test_cannot_come_takes_the_person_off_that_meeting_only(sessions: async_sessionmaker[AsyncSession]) -> None:
    seeded = await seed(sessions, "a1", ["falun", "mora"])
    a, b = seeded.people
    first, second = seeded.meeting_ids
    absence = service(sessions, Clock())

    result = await absence.answer(a, first, "not_coming")

    assert isinstance(result, Answered) and result.registration_id is not None
    assert await expected(sessions, first) == [b]
    assert await expected(sessions, second) == [a, b]
    assert isinstance(await absence.answer(a, first, "coming"), Answered)  # changed their mind
    assert await expected(sessions, first) == [a, b]


async def test_a_colleague_with_the_code_goes_to_that_meeting_only(sessions: async_sessionmaker[AsyncSession]) -> None:
    seeded = await seed(sessions, "a2", ["falun", "mora"])
    a, b = seeded.people
    first, second = seeded.meeting_ids
    colleague = await stranger(sessions, "a2-colleague", "Kollega")
    absence = service(sessions, Clock())

    offered = await absence.offer_substitute(a, first)
    assert isinstance(offered, Offered) and len(offered.code) == 16  # 80 bits, as a place's hand-over code
    assert isinstance(await absence.answer(a, first, "not_coming"), Answered)  # the code stays good
    claimed = await absence.claim(offered.code.lower(), colleague)

    assert isinstance(claimed, Claimed) and claimed.meeting.id == first and claimed.holder.person_id == a
    assert claimed.holder.organisation.key == "falun"
    assert await expected(sessions, first) == [b, colleague]  # sending someone means not coming
    assert await expected(sessions, second) == [a, b]
    assert isinstance(await absence.offer_substitute(a, first), Taken)
    assert await absence.claim(offered.code, await stranger(sessions, "a2-other", "Annan")) is None  # used


async def test_codes_that_must_not_work(sessions: async_sessionmaker[AsyncSession]) -> None:
    seeded = await seed(sessions, "a3", ["falun", "mora"])
    a, b = seeded.people
    first = seeded.meeting_ids[0]
    clock = Clock()
    absence = service(sessions, clock)
    colleague = await stranger(sessions, "a3-colleague", "Kollega")

    offered = await absence.offer_substitute(a, first)
    assert isinstance(offered, Offered)
    assert isinstance(await absence.claim(offered.code, a), OwnMeetingCode)  # one's own code: for a colleague
    assert await absence.claim("ABCDEF" if offered.code != "ABCDEF" else "FEDCBA", colleague) is None
    assert isinstance(await absence.claim(offered.code, b), AlreadyGoing)  # b is registered for it already
    await absence.answer(a, first, "coming")  # came after all: the unused code stops working
    assert await absence.claim(offered.code, colleague) is None

    again = await absence.offer_substitute(a, first)
    assert isinstance(again, Offered)
    clock.now = START + timedelta(hours=5)  # the meeting is over: the code has run out
    assert await absence.claim(again.code, colleague) is None
    assert isinstance(await absence.offer_substitute(a, first), TooLate)


async def test_the_substitute_goes_when_the_place_is_cancelled_or_they_cannot_come(
        sessions: async_sessionmaker[AsyncSession]) -> None:
    seeded = await seed(sessions, "a4", ["falun", "mora"])
    a, b = seeded.people
    first = seeded.meeting_ids[0]
    absence = service(sessions, Clock())
    colleague, other = await stranger(sessions, "a4-c", "Kollega"), await stranger(sessions, "a4-o", "Annan")

    for holder, stand_in in ((a, colleague), (b, other)):
        offered = await absence.offer_substitute(holder, first)
        assert isinstance(offered, Offered)
        assert isinstance(await absence.claim(offered.code, stand_in), Claimed)
    assert await expected(sessions, first) == [colleague, other]

    left = await absence.answer(colleague, first, "not_coming")
    assert isinstance(left, SubstituteLeft) and left.holder_person_id == a
    registrations = RegistrationRepository(sessions)
    place = await registrations.find(seeded.project_id, b)
    assert place is not None
    await registrations.cancel(place.id, b, START - timedelta(days=2))
    assert await expected(sessions, first) == []


async def test_someone_with_nothing_to_do_with_the_meeting_is_told_so(
        sessions: async_sessionmaker[AsyncSession]) -> None:
    seeded = await seed(sessions, "a5", ["falun"])
    outsider = await stranger(sessions, "a5-x", "Utomstående")
    absence = service(sessions, Clock())
    assert isinstance(await absence.answer(outsider, seeded.meeting_ids[0], "not_coming"), NotInvolved)
    assert await absence.answer(outsider, 424242, "coming") == NotInvolved(None)
    assert isinstance(await absence.offer_substitute(outsider, seeded.meeting_ids[0]), NotInvolved)
    assert await expected(sessions, seeded.meeting_ids[0]) == seeded.people


async def test_a_substitutes_evaluation_answer_counts_for_the_holders_municipality(
        sessions: async_sessionmaker[AsyncSession]) -> None:
    seeded = await seed(sessions, "a6", ["mora"])
    [holder] = seeded.people
    meeting = seeded.meeting_ids[0]
    colleague = await stranger(sessions, "a6-c", "Kollega")
    clock = Clock()
    absence = service(sessions, clock)
    offered = await absence.offer_substitute(holder, meeting)
    assert isinstance(offered, Offered)
    await absence.claim(offered.code, colleague)
    evaluations = EvaluationRepository(sessions)
    ends = START + timedelta(hours=5)
    evaluation = await evaluations.ensure(meeting, questions_to_json(DEFAULT_QUESTIONS), ends, ends + timedelta(days=7))
    await evaluations.invite(evaluation.id, colleague)
    clock.now = ends + timedelta(hours=1)
    evaluate = EvaluationService(evaluations, RegistrationRepository(sessions), ProjectRepository(sessions), clock)

    saved = await evaluate.submit(evaluation.id, colleague, {"knowledge": "4", "contacts": "4", "support": "4"})

    assert isinstance(saved, Saved)
    assert [organisation for _values, organisation in await evaluations.answers(evaluation.id)] == ["Mora kommun"]


async def test_an_answer_to_a_reminder_is_one_transaction_and_a_double_click_one_answer(
        sessions: async_sessionmaker[AsyncSession]) -> None:
    seeded = await seed(sessions, "a7", ["falun", "mora"])
    a = seeded.people[0]
    first = seeded.meeting_ids[0]
    absence = service(sessions, Clock())
    transactions: list[object] = []
    statements: list[str] = []
    count = transactions.append

    def record(_connection: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(Engine, "begin", count)  # every engine: the writer is an engine of its own on PostgreSQL
    event.listen(Engine, "before_cursor_execute", record)
    try:
        answers = [await absence.answer(a, first, "coming")]
        statements.clear()
        answers.append(await absence.answer(a, first, "coming"))
    finally:
        event.remove(Engine, "begin", count)
        event.remove(Engine, "before_cursor_execute", record)

    assert all(isinstance(answer, Answered) and answer.registration_id is not None for answer in answers)
    assert len(transactions) == 3  # one per answer, and the meeting's read once (then kept: storage.recent)
    if sessions.kw["bind"].dialect.name == "postgresql":  # one statement, autocommitted: no BEGIN is sent
        assert len(statements) == 1 and statements[0].lstrip().startswith("WITH place AS")
    else:  # the place, the answer changed, the unused offer dropped
        assert statements[0] == "BEGIN IMMEDIATE" and len(statements) == 4
    async with sessions() as session:
        rows = (await session.execute(select(Attendance.intent).where(Attendance.person_id == a,
                                                                      Attendance.meeting_id == first))).all()
    assert [row.intent for row in rows] == ["coming"]
    assert await AttendanceRepository(sessions).answers(first) == {a: "coming"}


async def test_clicks_at_the_same_moment_store_one_answer(
        sessions: async_sessionmaker[AsyncSession]) -> None:
    seeded = await seed(sessions, "a8", ["falun", "mora"])
    a = seeded.people[0]
    first = seeded.meeting_ids[0]
    absence = service(sessions, Clock())

    answers = await asyncio.gather(*(absence.answer(a, first, "coming") for _ in range(4)))

    assert all(isinstance(answer, Answered) for answer in answers)
    assert await AttendanceRepository(sessions).answers(first) == {a: "coming"}
