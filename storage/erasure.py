"""Erasure (a person's own request) and retention (finished projects after a while): what identifies
a person goes, the rows that statistics count stay.

Kept, without identity: registrations (counts per municipality, the waitlist history), attendance
(linked only to the erased person row), evaluation answers and who-was-invited rows (response
rates), homework texts, case examples and alumni replies (the municipality's experience). Removed:
names, e-mail, roles, dietary needs, consents, Entra ID and Teams ids, the keyed hashes that link
open evaluation answers to the person, conversation references and dialog state, planned messages;
the person is also cut out of the references of channels and group chats they wrote in, and out of
any stored state that mentions them.

Old values must not stay readable in the database files either: SQLite runs with ``secure_delete``
(storage/db.py: freed space is overwritten) and erasure ends with a WAL checkpoint that truncates the
log, where the old pages would otherwise stay until the next checkpoint. PostgreSQL keeps old row
versions until VACUUM: see README, Security and privacy.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy import delete as sql_delete
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.outbox.addresses import person_address
from storage.evaluations import respondent_key
from storage.models import (
    AlumniReply,
    Answer,
    Assignment,
    CaseExample,
    Conversation,
    Coordinator,
    Delivery,
    Evaluation,
    EvaluationInvite,
    Meeting,
    Person,
    Project,
    Registration,
    StateItem,
    Submission,
)

log = logging.getLogger(__name__)

ERASED_TEAMS_ID = "raderad:{id}"
"""What replaces the Teams id, so a later message from the same account creates a fresh person."""
ENDED_STATES = ("finished", "alumni")
CANCELLED_REASON = "cancelled: the recipient's data was erased"
CHECKPOINT_RETRIES = (0.01, 0.05, 0.2, 0.5, 1.0, 0.0)
"""Pauses between tries of the checkpoint after an erasure while a reader keeps it from finishing."""


@dataclass(frozen=True)
class ErasureReport:
    """How many rows each step changed (for the log and the tests; no personal data)."""

    registrations: int = 0
    waitlist_left: int = 0
    answers: int = 0
    invites: int = 0
    conversations: int = 0
    state_items: int = 0
    examples: int = 0
    submissions: int = 0
    alumni_replies: int = 0
    deliveries: int = 0


class ErasureRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def erase_person(self, person_id: int, now: datetime, placeholder: str) -> ErasureReport | None:
        """Erase one person in one transaction; None when there is no such person (or already erased).
        ``placeholder`` is the name left on their registrations ("Raderad person")."""
        async with self._sessions.begin() as session:
            person = await session.get(Person, person_id)
            if person is None or person.erased_at is not None:
                return None
            conversations, state_items = await _forget_conversations(session, person)
            report = ErasureReport(
                registrations=await _anonymise_registrations(session, Registration.person_id == person_id,
                                                             placeholder),
                # Nobody could be told about a place: a waiting registration leaves the waitlist.
                waitlist_left=await _changed(session, update(Registration).where(
                    Registration.person_id == person_id, Registration.status == "waitlisted"
                ).values(status="cancelled", cancelled_at=now)),
                answers=await _unlink_open_answers(session, person_id),
                invites=await _changed(session, update(EvaluationInvite)
                                       .where(EvaluationInvite.person_id == person_id).values(person_id=None)),
                conversations=conversations,
                state_items=state_items,
                examples=await _changed(session, update(CaseExample).where(CaseExample.person_id == person_id)
                                        .values(contact="", person_id=None)),
                submissions=await _changed(session, update(Submission).where(Submission.person_id == person_id)
                                           .values(person_id=None)),
                alumni_replies=await _changed(session, update(AlumniReply).where(AlumniReply.person_id == person_id)
                                              .values(person_id=None)),
                deliveries=await _changed(session, update(Delivery).where(
                    Delivery.recipient == person_address(person_id), Delivery.state.in_(("pending", "claimed"))
                ).values(state="cancelled", last_error=CANCELLED_REASON)),
            )
            _blank(person, now)
        await self.checkpoint()
        return report

    async def checkpoint(self) -> None:
        """SQLite: move the write-ahead log into the database file and truncate it, so the pages with
        the old values are gone from the log (secure_delete has zeroed them in the file)."""
        bind = self._sessions.kw.get("bind")
        if not isinstance(bind, AsyncEngine) or bind.dialect.name != "sqlite":
            return
        busy = 1
        async with bind.connect() as connection:
            # Connections have no busy timeout (storage.sqlite_inline): a reader still in the log makes
            # the checkpoint report "busy" at once, so it is tried again a few times.
            for delay in CHECKPOINT_RETRIES:
                busy = (await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")).one()[0]
                if not busy:
                    break
                await asyncio.sleep(delay)
        if busy:
            log.warning("the WAL checkpoint after an erasure could not finish (a reader was busy)")

    async def expired_projects(self, cutoff: datetime) -> list[int]:
        """Finished or alumni projects that ended (finished_at, else their last meeting) by ``cutoff``."""
        last_meeting = select(func.max(Meeting.ends_at)).where(Meeting.project_id == Project.id).scalar_subquery()
        ended = func.coalesce(Project.finished_at, last_meeting)
        async with self._sessions() as session:
            rows = await session.scalars(select(Project.id).where(Project.state.in_(ENDED_STATES), ended <= cutoff)
                                         .order_by(Project.id))
            return list(rows)

    async def anonymise_project(self, project_id: int, placeholder: str) -> int:
        """Registrations, invitations, homework and examples of one project without identity;
        returns how many rows changed (0 once done, so running it again is cheap)."""
        evaluations = select(Evaluation.id).join(Meeting, Meeting.id == Evaluation.meeting_id) \
            .where(Meeting.project_id == project_id)
        assignments = select(Assignment.id).where(Assignment.project_id == project_id)
        async with self._sessions.begin() as session:
            return sum([
                await _anonymise_registrations(session, Registration.project_id == project_id, placeholder),
                await _changed(session, update(EvaluationInvite).where(
                    EvaluationInvite.evaluation_id.in_(evaluations), EvaluationInvite.person_id.is_not(None)
                ).values(person_id=None)),
                await _changed(session, update(Submission).where(
                    Submission.assignment_id.in_(assignments), Submission.person_id.is_not(None)
                ).values(person_id=None)),
                await _changed(session, update(CaseExample).where(
                    CaseExample.project_id == project_id,
                    or_(CaseExample.person_id.is_not(None), CaseExample.contact != ""),
                ).values(contact="", person_id=None)),
            ])

    async def unlink_alumni_replies(self, cutoff: datetime) -> int:
        """Alumni replies older than ``cutoff`` no longer point at their author."""
        async with self._sessions.begin() as session:
            return await _changed(session, update(AlumniReply).where(
                AlumniReply.created_at <= cutoff, AlumniReply.person_id.is_not(None)).values(person_id=None))

    async def people_only_in(self, project_ids: Sequence[int], keep_aad: frozenset[str]) -> list[int]:
        """People (not erased, not coordinators) whose every registration is in ``project_ids``."""
        if not project_ids:
            return []
        elsewhere = select(Registration.person_id).where(Registration.project_id.not_in(list(project_ids)))
        coordinators = select(Coordinator.aad_object_id)
        async with self._sessions() as session:
            rows = await session.execute(
                select(Person.id, Person.aad_object_id).join(Registration, Registration.person_id == Person.id)
                .where(Registration.project_id.in_(list(project_ids)), Person.id.not_in(elsewhere),
                       Person.erased_at.is_(None),
                       or_(Person.aad_object_id.is_(None), Person.aad_object_id.not_in(coordinators)))
                .distinct().order_by(Person.id)
            )
            return [person_id for person_id, aad in rows.tuples() if (aad or "").lower() not in keep_aad]


async def _changed(session: AsyncSession, statement: Any) -> int:
    result = await session.execute(statement)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def _anonymise_registrations(session: AsyncSession, which: ColumnElement[bool], placeholder: str) -> int:
    not_yet = or_(Registration.name != placeholder, Registration.email != "", Registration.role_title != "",
                  Registration.dietary != "", Registration.consent_list.is_(True),
                  Registration.transfer_code.is_not(None))
    return await _changed(session, update(Registration).where(which, not_yet).values(
        name=placeholder, email="", role_title="", dietary="", consent_list=False, alumni_opt_out=True,
        transfer_code=None, transfer_expires_at=None,
    ))


async def _unlink_open_answers(session: AsyncSession, person_id: int) -> int:
    """Open evaluations still hold the keyed hash that finds the person's answer: remove it (the
    answer stays, anonymous, as it would after closing)."""
    rows = await session.execute(
        select(Evaluation.id, Evaluation.secret).join(EvaluationInvite, and_(
            EvaluationInvite.evaluation_id == Evaluation.id, EvaluationInvite.person_id == person_id))
        .where(Evaluation.secret.is_not(None))
    )
    unlinked = 0
    for evaluation_id, secret in rows.tuples():
        unlinked += await _changed(session, update(Answer).where(
            Answer.evaluation_id == evaluation_id, Answer.respondent == respondent_key(secret or "", person_id)
        ).values(respondent=None))
    return unlinked


async def _forget_conversations(session: AsyncSession, person: Person) -> tuple[int, int]:
    """Delete the person's conversation references and the dialog and user state kept for them
    (botbuilder's keys: "<channel>/conversations/<id>" and "<channel>/users/<Teams id>")."""
    ids = list(await session.scalars(select(Conversation.conversation_id).where(Conversation.person_id == person.id)))
    keys = [f"msteams/users/{person.teams_id}", *(f"msteams/conversations/{c}" for c in ids)]
    mentions = [StateItem.data.contains(value, autoescape=True) for value in _identifiers(person)]
    states = await _changed(session, sql_delete(StateItem).where(or_(StateItem.key.in_(keys), *mentions)))
    conversations = await _changed(session, sql_delete(Conversation).where(Conversation.person_id == person.id))
    await _scrub_shared_references(session, person)
    return conversations, states


def _identifiers(person: Person) -> list[str]:
    """What identifies the person in stored JSON: the Teams id and the Entra ID object id."""
    return [value for value in (person.teams_id, person.aad_object_id) if value]


async def _scrub_shared_references(session: AsyncSession, person: Person) -> None:
    """A channel's or group chat's reference remembers the last person who wrote there (its "user"):
    drop it when that is the person. Proactive posts there do not need it."""
    mentions = [Conversation.reference.contains(value, autoescape=True) for value in _identifiers(person)]
    if not mentions:
        return
    for conversation in (await session.scalars(select(Conversation).where(or_(*mentions)))).all():
        reference = json.loads(conversation.reference)
        user = reference.get("user") or {}
        if user.get("id") == person.teams_id or (person.aad_object_id and (
                str(user.get("aadObjectId") or "").lower() == person.aad_object_id.lower())):
            reference.pop("user", None)
            conversation.reference = json.dumps(reference, ensure_ascii=False, sort_keys=True)


def _blank(person: Person, now: datetime) -> None:
    person.teams_id = ERASED_TEAMS_ID.format(id=person.id)
    person.name = ""
    person.email = None
    person.aad_object_id = None
    person.locale = None
    person.erased_at = now
