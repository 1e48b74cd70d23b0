"""Evaluations and their anonymous answers.

Anonymity: an answer row holds no person id. While an evaluation is open, ``respondent`` is an
HMAC of the person's id under the evaluation's own secret, so the same person's second submit
updates their answer instead of adding one. At closing the secret and every ``respondent`` are
erased: from then on nobody, not even with database access, can tell who answered what. Who was
invited and whether they answered is kept separately (for the response rate and the nudge) while the
evaluation is open.

Closing freezes what the results need and drops everything that could link an answer to a person
(``_freeze``): the number invited and the per-organisation breakdown (built under the anonymity
threshold) are stored on the evaluation; the answers lose their organisation and timestamps and are
rewritten in the order of their values (new ids say nothing about who answered first); the invites
(who answered) and the evaluation's outbox rows (the nudge went only to those who had not answered)
are deleted. tests/storage/test_anonymity_attack.py plays the attacker with every table.

The database server's own logs are outside this: on PostgreSQL one statement carries the person's id (the
invite it checks) beside the answer, and a server that logs statements with their parameters would record who
answered what. The README tells operators to keep parameters out of PostgreSQL's logs."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Boolean, and_, bindparam, delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from bot.features.evaluation.rules import questions_from_json
from bot.features.results.rules import AnswerData, breakdown_to_json, organisation_breakdown
from storage.db import by_key, dialect_insert, on_postgresql, once_more_on_conflict
from storage.models import (
    Answer,
    Delivery,
    Evaluation,
    EvaluationInvite,
    Meeting,
    Organisation,
    Project,
    Registration,
    UtcDateTime,
)
from storage.recent import Recent, shared


class EvaluationClosed(Exception):
    """The evaluation is closed (or not open yet)."""


@dataclass(frozen=True)
class OpenEvaluation:
    evaluation: Evaluation
    meeting: Meeting
    project: Project
    answered: bool


class StandingIn(Exception):
    """The person is invited but has no registration in the project (a colleague standing in for someone,
    storage/substitutes.py): the caller names the organisation they answer for."""


# Built once (a statement built per call costs more to build and look up than SQLite takes to run it);
# parameters are not named as columns: insert and update reserve those.
_ANSWERING = (
    select(Evaluation.secret, Evaluation.opens_at, Evaluation.closes_at, Evaluation.closed_at,
           EvaluationInvite.person_id.label("invited"), Registration.organisation_other, Organisation.name)
    .join(Meeting, Meeting.id == Evaluation.meeting_id)
    .outerjoin(EvaluationInvite, and_(EvaluationInvite.evaluation_id == Evaluation.id,
                                      EvaluationInvite.person_id == bindparam("who")))
    .outerjoin(Registration, and_(Registration.project_id == Meeting.project_id,
                                  Registration.person_id == bindparam("who")))
    .outerjoin(Organisation, Organisation.id == Registration.organisation_id)
    .where(Evaluation.id == bindparam("evaluation"))
)
"""Whether the evaluation is open and the person invited, its secret, and the organisation registered with."""
_ANSWERING_LOCKED = _ANSWERING.with_for_update(read=True, of=Evaluation)
"""The same, in a write transaction on PostgreSQL: a closing under way (which locks the evaluation first) is
waited for and then seen, so no answer lands between the closing's read of the answers and its rewrite of them.
(SQLite has one writer at a time.)"""
_CHANGE_ANSWER = (
    update(Answer)
    .where(Answer.evaluation_id == bindparam("evaluation"), Answer.respondent == bindparam("key"))
    .values(organisation=bindparam("from_organisation"), values=bindparam("answered"), updated_at=bindparam("now"))
)
_FIRST_ANSWER = insert(Answer).values(
    evaluation_id=bindparam("evaluation"), respondent=bindparam("key"), organisation=bindparam("from_organisation"),
    values=bindparam("answered"), submitted_at=bindparam("now"), updated_at=bindparam("now"))
_MARK_ANSWERED = (
    update(EvaluationInvite)
    .where(EvaluationInvite.evaluation_id == bindparam("evaluation"), EvaluationInvite.person_id == bindparam("who"))
    .values(answered=True)
)


_ANSWER_AT_ONCE = text("""
WITH still_open AS (
    SELECT id FROM evaluation
    WHERE id = :evaluation AND secret = :secret AND closed_at IS NULL AND opens_at <= :now AND closes_at > :now
    FOR SHARE
), invited AS (
    UPDATE evaluation_invite SET answered = TRUE
    WHERE evaluation_id IN (SELECT id FROM still_open) AND person_id = :who
    RETURNING evaluation_id
), stored AS (
    INSERT INTO answer (evaluation_id, respondent, organisation, "values", submitted_at, updated_at)
    SELECT evaluation_id, :key, :from_organisation, :answered, :now, :now FROM invited
    ON CONFLICT (evaluation_id, respondent) DO UPDATE
        SET organisation = excluded.organisation, "values" = excluded."values", updated_at = excluded.updated_at
    RETURNING xmax = 0 AS first
)
SELECT first FROM stored
""").bindparams(bindparam("now", type_=UtcDateTime())).columns(first=Boolean)
"""PostgreSQL: an answer the read found open and invited, written in one statement without a transaction.
It writes only if the evaluation is still open under the same secret (the key was made with it) and the
person still invited: the row lock waits for a closing under way and then sees it closed, and closing
deletes the invites. Returns whether the answer is the person's first (a row inserted, not updated by the
conflict clause, has no ``xmax``); no row when it wrote nothing."""


class EvaluationRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._postgres = on_postgresql(sessions)
        self._recent: Recent[int, Evaluation] | None = shared(sessions, "evaluations", frozenset({"evaluation"}))

    async def ensure(self, meeting_id: int, questions: str, opens_at: datetime, closes_at: datetime) -> Evaluation:
        """The meeting's evaluation, created on first call (idempotent, also across processes)."""
        async with self._sessions.begin() as session:
            existing = await session.scalar(select(Evaluation).where(Evaluation.meeting_id == meeting_id))
            if existing is not None:
                return existing
            insert = dialect_insert(session)
            await session.execute(insert(Evaluation).values(
                meeting_id=meeting_id, questions=questions, opens_at=opens_at, closes_at=closes_at,
                secret=secrets.token_hex(32), chart_token=secrets.token_urlsafe(24),
            ).on_conflict_do_nothing(index_elements=["meeting_id"]))
            created = await session.scalar(select(Evaluation).where(Evaluation.meeting_id == meeting_id))
            assert created is not None
            return created

    async def by_id(self, evaluation_id: int) -> Evaluation | None:
        """As read lately (storage.recent: until this process writes an evaluation, at most two seconds),
        shared with other turns: read-only. Whether it is open is checked again when an answer is saved."""
        if self._recent is None:
            return await self._load(evaluation_id)
        return await self._recent.get(evaluation_id, lambda: self._load(evaluation_id))

    async def _load(self, evaluation_id: int) -> Evaluation | None:
        async with self._sessions() as session:
            return await by_key(session, Evaluation, evaluation_id)

    async def by_chart_token(self, token: str) -> Evaluation | None:
        async with self._sessions() as session:
            return await session.scalar(select(Evaluation).where(Evaluation.chart_token == token))

    async def for_meeting(self, meeting_id: int) -> Evaluation | None:
        async with self._sessions() as session:
            return await session.scalar(select(Evaluation).where(Evaluation.meeting_id == meeting_id))

    async def invite(self, evaluation_id: int, person_id: int) -> None:
        async with self._sessions.begin() as session:
            insert = dialect_insert(session)
            await session.execute(insert(EvaluationInvite).values(
                evaluation_id=evaluation_id, person_id=person_id, answered=False
            ).on_conflict_do_nothing(index_elements=["evaluation_id", "person_id"]))

    async def invite_state(self, evaluation_id: int, person_id: int) -> bool | None:
        """None when not invited; otherwise whether the person has answered."""
        async with self._sessions() as session:
            return await session.scalar(select(EvaluationInvite.answered).where(
                EvaluationInvite.evaluation_id == evaluation_id, EvaluationInvite.person_id == person_id))

    async def open_for_person(self, person_id: int, now: datetime) -> list[OpenEvaluation]:
        async with self._sessions() as session:
            rows = await session.execute(
                select(Evaluation, Meeting, EvaluationInvite.answered)
                .join(EvaluationInvite, EvaluationInvite.evaluation_id == Evaluation.id)
                .join(Meeting, Meeting.id == Evaluation.meeting_id)
                .options(selectinload(Meeting.project))
                .where(EvaluationInvite.person_id == person_id, Evaluation.opens_at <= now,
                       Evaluation.closes_at > now, Evaluation.closed_at.is_(None))
                .order_by(Evaluation.opens_at)
            )
            return [OpenEvaluation(e, m, m.project, bool(a)) for e, m, a in rows.tuples()]

    async def answer(self, evaluation_id: int, person_id: int, values: dict[str, Any], now: datetime,
                     organisation: str | None = None) -> bool | None:
        """An invited person's answer stored or replaced, at once (one write transaction, or on PostgreSQL one
        guarded statement; see below): True when it is their first, None when they are not invited (nothing is
        written). It counts for the organisation they registered with for the meeting's project, or
        ``organisation`` for someone without a registration there (raises StandingIn when none is given).
        Raises EvaluationClosed outside the open window, before asking whether the person is invited.

        On PostgreSQL an answer that can be stored takes two round trips without a transaction: the read, and
        one statement that writes it if nothing changed meanwhile (``_ANSWER_AT_ONCE``); anything else (not
        open, not invited, standing in, or a closing in between) takes the transaction, which tells which."""
        who = {"evaluation": evaluation_id, "who": person_id}
        if self._postgres:
            async with self._sessions() as session:  # no transaction (storage.db.Sessions)
                connection = await session.connection()
                row = (await connection.execute(_ANSWERING, who)).first()
                ready = row is not None and _is_open(row, now) and row.invited is not None and row.secret
                answer = _answer_values(row, evaluation_id, person_id, values, now, organisation) if ready else None
                if row is not None and answer is not None:
                    first = (await connection.execute(_ANSWER_AT_ONCE, {**answer, "who": person_id,
                                                                         "secret": row.secret})).scalar()
                    if first is not None:
                        return bool(first)

        async def save() -> bool | None:
            async with self._sessions.begin() as session:
                connection = await session.connection()
                row = (await connection.execute(_ANSWERING_LOCKED, who)).first()
                if row is not None and not _is_open(row, now):  # closing erases the invites: closed comes first
                    raise EvaluationClosed(evaluation_id)
                if row is None or row.invited is None:
                    return None
                answer = _answer_values(row, evaluation_id, person_id, values, now, organisation)
                if answer is None:
                    raise StandingIn(evaluation_id)
                first = not (await connection.execute(_CHANGE_ANSWER, answer)).rowcount
                if first:
                    await connection.execute(_FIRST_ANSWER, answer)
                await connection.execute(_MARK_ANSWERED, who)
                return first

        return await once_more_on_conflict(save)

    async def own_answer(self, evaluation_id: int, person_id: int) -> dict[str, Any] | None:
        async with self._sessions() as session:
            evaluation = await by_key(session, Evaluation, evaluation_id)
            if evaluation is None or not evaluation.secret:
                return None
            values = await session.scalar(select(Answer.values).where(
                Answer.evaluation_id == evaluation_id,
                Answer.respondent == respondent_key(evaluation.secret, person_id)))
            return json.loads(values) if values else None

    async def close_due(self, now: datetime, threshold: int) -> int:
        """Close evaluations past their closing time and erase what linked answers to people. Also
        freezes evaluations closed before freezing existed (closed, but no frozen invited count)."""
        async with self._sessions.begin() as session:
            # Locked before the answers are read: an answer being written is waited for, and one not yet
            # written waits for the closing (and is then told it is closed), so none is lost in between.
            due = list((await session.scalars(select(Evaluation).where(
                (Evaluation.closes_at <= now) & Evaluation.closed_at.is_(None)
                | Evaluation.closed_at.is_not(None) & Evaluation.invited_count.is_(None)).with_for_update())).all())
            for evaluation in due:
                await _freeze(session, evaluation, now, threshold)
            return len(due)

    async def answers(self, evaluation_id: int) -> list[tuple[dict[str, Any], str]]:
        """(values, organisation) of every answer, in no meaningful order (ids are not exposed)."""
        async with self._sessions() as session:
            rows = await session.execute(select(Answer.values, Answer.organisation)
                                         .where(Answer.evaluation_id == evaluation_id).order_by(Answer.values))
            return [(json.loads(values), organisation) for values, organisation in rows.tuples()]

    async def invited_count(self, evaluation_id: int) -> int:
        async with self._sessions() as session:
            frozen = await session.scalar(select(Evaluation.invited_count).where(Evaluation.id == evaluation_id))
            if frozen is not None:
                return frozen
            return await session.scalar(select(func.count()).select_from(EvaluationInvite)
                                        .where(EvaluationInvite.evaluation_id == evaluation_id)) or 0

    async def for_project(self, project_id: int) -> list[tuple[Evaluation, Meeting]]:
        async with self._sessions() as session:
            rows = await session.execute(
                select(Evaluation, Meeting).join(Meeting, Meeting.id == Evaluation.meeting_id)
                .where(Meeting.project_id == project_id).order_by(Meeting.number))
            return list(rows.tuples())


async def _freeze(session: AsyncSession, evaluation: Evaluation, now: datetime, threshold: int) -> None:
    rows = (await session.execute(select(Answer.values, Answer.organisation)
                                  .where(Answer.evaluation_id == evaluation.id))).tuples().all()
    scale_questions = [q for q in questions_from_json(evaluation.questions) if q.kind == "scale"]
    answers = [AnswerData(json.loads(values), organisation) for values, organisation in rows]
    evaluation.breakdown = breakdown_to_json(organisation_breakdown(answers, scale_questions, threshold)
                                             if len(answers) >= threshold else [])
    evaluation.invited_count = await session.scalar(select(func.count()).select_from(EvaluationInvite)
                                                    .where(EvaluationInvite.evaluation_id == evaluation.id)) or 0
    evaluation.secret = None
    evaluation.closed_at = evaluation.closed_at or now
    await session.execute(delete(Answer).where(Answer.evaluation_id == evaluation.id))
    if rows:
        # Rewritten in the order of their values: the new ids follow the answers, not who gave them when.
        await session.execute(insert(Answer), [
            {"evaluation_id": evaluation.id, "respondent": None, "organisation": "", "values": values,
             "submitted_at": None, "updated_at": None}
            for values in sorted(values for values, _ in rows)
        ])
    await session.execute(delete(EvaluationInvite).where(EvaluationInvite.evaluation_id == evaluation.id))
    await session.execute(delete(Delivery).where(Delivery.source == f"evaluation:{evaluation.id}"))


def _answer_values(row: Any, evaluation_id: int, person_id: int, values: dict[str, Any], now: datetime,
                   organisation: str | None) -> dict[str, Any] | None:
    """The answer's parameters (``row``, ``_ANSWERING``'s, open and inviting the person); None when neither
    their registration nor ``organisation`` tells whom they answer for."""
    answering_for = (row.organisation_other or row.name) if row.name is not None else organisation
    if answering_for is None:
        return None
    return {"evaluation": evaluation_id, "key": respondent_key(row.secret or "", person_id),
            "from_organisation": answering_for, "now": now,
            "answered": json.dumps(values, ensure_ascii=False, sort_keys=True)}


def respondent_key(secret: str, person_id: int) -> str:
    return hmac.new(secret.encode(), str(person_id).encode(), hashlib.sha256).hexdigest()


class _Window(Protocol):
    opens_at: datetime
    closes_at: datetime
    closed_at: datetime | None


def _is_open(evaluation: _Window, now: datetime) -> bool:
    return evaluation.closed_at is None and evaluation.opens_at <= now < evaluation.closes_at
