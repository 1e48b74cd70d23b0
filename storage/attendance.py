"""Attendance: what people answered to a meeting reminder, and check-ins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, bindparam, delete, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db import on_postgresql, once_more_on_conflict
from storage.models import Attendance, MeetingSubstitute, Registration, RegistrationMeeting, UtcDateTime

INTENTS = ("coming", "not_coming")
COMING = "coming"
REGISTERED = "registered"

# Built once: a statement built per call costs more to build and to look up in SQLAlchemy's cache
# than SQLite takes to run it. (Parameters are not named as columns: insert and update reserve those.)
_PLACE_AT_MEETING = (
    select(Registration.id)
    .join(RegistrationMeeting, RegistrationMeeting.registration_id == Registration.id)
    .where(RegistrationMeeting.meeting_id == bindparam("at_meeting"), Registration.person_id == bindparam("who"),
           Registration.status == REGISTERED)
)
_CHANGE_ANSWER = (
    update(Attendance)
    .where(Attendance.person_id == bindparam("who"), Attendance.meeting_id == bindparam("at_meeting"))
    .values(intent=bindparam("answer"), answered_at=bindparam("now"))
)
_FIRST_ANSWER = insert(Attendance).values(person_id=bindparam("who"), meeting_id=bindparam("at_meeting"),
                                          intent=bindparam("answer"), answered_at=bindparam("now"))
_DROP_UNUSED_OFFER = (
    delete(MeetingSubstitute)
    .where(MeetingSubstitute.registration_id == bindparam("place"),
           MeetingSubstitute.meeting_id == bindparam("at_meeting"), MeetingSubstitute.person_id.is_(None))
)


_ANSWER_AT_ONCE = text(f"""
WITH place AS (
    SELECT registration.id FROM registration
    JOIN registration_meeting ON registration_meeting.registration_id = registration.id
    WHERE registration_meeting.meeting_id = :at_meeting AND registration.person_id = :who
      AND registration.status = '{REGISTERED}'
    LIMIT 1
), answered AS (
    INSERT INTO attendance (person_id, meeting_id, intent, answered_at)
    SELECT CAST(:who AS INTEGER), CAST(:at_meeting AS INTEGER), CAST(:answer AS VARCHAR(20)), :now FROM place
    ON CONFLICT (person_id, meeting_id) DO UPDATE SET intent = excluded.intent, answered_at = excluded.answered_at
), offer_dropped AS (
    DELETE FROM meeting_substitute
    WHERE registration_id IN (SELECT id FROM place) AND meeting_id = :at_meeting AND person_id IS NULL
      AND CAST(:answer AS VARCHAR(20)) = '{COMING}'
)
SELECT id FROM place
""").bindparams(bindparam("now", type_=UtcDateTime())).columns(id=Integer)
"""PostgreSQL: the whole answer to a reminder in one statement, run atomically without a transaction (one
round trip where the transaction takes five). The insert's conflict clause stands in for the transaction's
second try (``once_more_on_conflict``): another click may record the first answer meanwhile."""


class AttendanceRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._postgres = on_postgresql(sessions)

    async def answer(self, person_id: int, meeting_id: int, intent: str, now: datetime) -> Attendance:
        """Record (or change) a person's answer; pressing the same button twice keeps one row."""
        if intent not in INTENTS:
            raise ValueError(f"unknown intent {intent!r}")
        async def answer() -> Attendance:
            async with self._sessions.begin() as session:
                row = await session.scalar(
                    select(Attendance).where(Attendance.person_id == person_id, Attendance.meeting_id == meeting_id)
                )
                if row is None:
                    row = Attendance(person_id=person_id, meeting_id=meeting_id)
                    session.add(row)
                row.intent = intent
                row.answered_at = now
                return row

        return await once_more_on_conflict(answer)

    async def answer_own_reminder(self, person_id: int, meeting_id: int, intent: str, now: datetime) -> int | None:
        """*Jag kommer* / *Jag kan inte* from someone registered for the meeting, in one write transaction:
        their place at it, their answer (changed, else recorded), and when they are coming after all, the
        unused code that would have sent a colleague in their place dropped (a colleague who already took
        the meeting keeps it; both may come). The most common write after a reminder goes out.

        The id of the person's registration when it has them at this meeting; None when it does not (or
        there is no such meeting): nothing was written, and the caller looks for a colleague's place they
        stand in for."""
        if intent not in INTENTS:
            raise ValueError(f"unknown intent {intent!r}")
        ids = {"who": person_id, "at_meeting": meeting_id}
        if self._postgres:
            async with self._sessions() as session:  # no transaction: one statement (storage.db.Sessions)
                place = await session.scalar(_ANSWER_AT_ONCE, {**ids, "answer": intent, "now": now})
            return int(place) if place is not None else None

        async def answer() -> int | None:
            async with self._sessions.begin() as session:
                # In plain statements: SQLAlchemy's ORM layer around one costs several times what it does.
                connection = await session.connection()
                place = (await connection.execute(_PLACE_AT_MEETING, ids)).scalar()
                if place is None:
                    return None
                answer = {**ids, "answer": intent, "now": now}
                if not (await connection.execute(_CHANGE_ANSWER, answer)).rowcount:
                    await connection.execute(_FIRST_ANSWER, answer)
                if intent == COMING:
                    await connection.execute(_DROP_UNUSED_OFFER, {"place": place, "at_meeting": meeting_id})
                return int(place)

        # PostgreSQL: the same person's other click may record the first answer meanwhile.
        return await once_more_on_conflict(answer)

    async def answers(self, meeting_id: int) -> dict[int, str]:
        async with self._sessions() as session:
            rows = await session.execute(
                select(Attendance.person_id, Attendance.intent).where(Attendance.meeting_id == meeting_id)
            )
            return {person_id: intent for person_id, intent in rows.tuples() if intent}
