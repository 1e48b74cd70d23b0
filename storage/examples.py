"""Repository of case examples and the coordinators' requests for them.

Reviews and channel posts are compare-and-set updates, so a second click (or a second
coordinator at the same moment) finds nothing left to do."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.input_rules import links_to_text
from bot.features.examples.rules import EDITABLE, ExampleForm, ExampleStatus
from storage.models import CaseExample, ExampleRequest, Organisation, Person, Project


class NotEditable(Exception):
    """The example is someone else's, or has been approved or rejected already."""


@dataclass(frozen=True)
class ExampleEntry:
    """An example with the names a card shows."""

    example: CaseExample
    organisation_name: str
    organisation_key: str
    project_name: str
    sender_name: str


@dataclass(frozen=True)
class Saved:
    example: CaseExample
    created: bool


class ExampleRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    # --- requests ---------------------------------------------------------------------------

    async def create_request(self, project_id: int, theme: str, deadline: datetime,
                             organisation_keys: Sequence[str], created_by: int | None,
                             now: datetime) -> tuple[ExampleRequest, bool]:
        """The request, created once: the same theme, deadline and municipalities again (a double
        click on "Skicka") returns the first one and False."""
        keys = ",".join(sorted(organisation_keys))
        async with self._sessions.begin() as session:
            # Serialises two confirmations of one project on PostgreSQL (SQLite has one writer).
            await session.execute(select(Project.id).where(Project.id == project_id).with_for_update())
            existing = await session.scalar(select(ExampleRequest).where(
                ExampleRequest.project_id == project_id, ExampleRequest.theme == theme,
                ExampleRequest.deadline == deadline, ExampleRequest.organisation_keys == keys))
            if existing is not None:
                return existing, False
            request = ExampleRequest(project_id=project_id, theme=theme, deadline=deadline, organisation_keys=keys,
                                     created_by=created_by, created_at=now)
            session.add(request)
            await session.flush()
            return request, True

    async def request(self, request_id: int) -> ExampleRequest | None:
        async with self._sessions() as session:
            return await session.get(ExampleRequest, request_id)

    async def open_requests(self, now: datetime, project_id: int | None = None) -> list[ExampleRequest]:
        """Requests whose deadline is still ahead, newest first."""
        query = select(ExampleRequest).where(ExampleRequest.deadline > now)
        if project_id is not None:
            query = query.where(ExampleRequest.project_id == project_id)
        async with self._sessions() as session:
            return list(await session.scalars(query.order_by(ExampleRequest.created_at.desc(),
                                                             ExampleRequest.id.desc())))

    async def organisations_answered(self, request_id: int) -> set[int]:
        """Organisations that have sent an example for the request (in any state)."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(CaseExample.organisation_id).where(CaseExample.request_id == request_id).distinct())
            return set(rows)

    # --- examples ---------------------------------------------------------------------------

    async def save(self, project_id: int, person_id: int, request_id: int | None, form: ExampleForm,
                   example_id: int | None, now: datetime) -> Saved:
        """Store an example. ``example_id`` edits the person's own example; without it, an example of
        theirs with the same title that is still editable is updated (a double click stores one).
        Either way it goes back to "submitted" for review. Raises NotEditable."""
        async with self._sessions.begin() as session:
            organisation_id = await session.scalar(select(Organisation.id).where(
                Organisation.key == form.organisation_key))
            if organisation_id is None:
                raise ValueError(f"unknown organisation {form.organisation_key!r}")
            example = await _editable(session, project_id, person_id, form.title, example_id)
            created = example is None
            if example is None:
                example = CaseExample(project_id=project_id, person_id=person_id, request_id=request_id,
                                      created_at=now)
                session.add(example)
            _fill(example, form, organisation_id)
            example.status, example.review_note, example.updated_at = ExampleStatus.SUBMITTED, "", now
            await session.flush()
            return Saved(example, created)

    async def entry(self, example_id: int) -> ExampleEntry | None:
        found = await self._entries(_entries().where(CaseExample.id == example_id))
        return found[0] if found else None

    async def awaiting_review(self, limit: int) -> tuple[list[ExampleEntry], int]:
        """The oldest examples waiting for a review (at most ``limit``) and how many wait in all."""
        waiting = CaseExample.status == ExampleStatus.SUBMITTED
        async with self._sessions() as session:
            total = await session.scalar(select(func.count()).select_from(CaseExample).where(waiting)) or 0
        query = _entries().where(waiting).order_by(CaseExample.updated_at, CaseExample.id).limit(limit)
        return await self._entries(query), total

    async def approved(self) -> list[ExampleEntry]:
        return await self._entries(_entries().where(CaseExample.status == ExampleStatus.APPROVED)
                                   .order_by(CaseExample.updated_at.desc()))

    async def review(self, example_id: int, status: ExampleStatus, note: str, now: datetime) -> bool:
        """submitted -> ``status``, once; False when it was not waiting for a review."""
        return await self._transition(
            update(CaseExample).where(CaseExample.id == example_id, CaseExample.status == ExampleStatus.SUBMITTED)
            .values(status=status, review_note=note, updated_at=now))

    async def mark_posted(self, example_id: int, now: datetime) -> bool:
        """Record that an approved example is posted to the channel; False when it already was."""
        return await self._transition(
            update(CaseExample).where(CaseExample.id == example_id, CaseExample.status == ExampleStatus.APPROVED,
                                      CaseExample.posted_at.is_(None)).values(posted_at=now))

    async def _transition(self, statement: object) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(statement)  # type: ignore[call-overload]
            return (result.rowcount or 0) == 1

    async def _entries(self, query: Select[tuple[CaseExample, str, str, str, str]]) -> list[ExampleEntry]:
        async with self._sessions() as session:
            rows = await session.execute(query)
            return [ExampleEntry(e, org, key, project, person or "") for e, org, key, project, person in rows.tuples()]


def _entries() -> Select[tuple[CaseExample, str, str, str, str]]:
    return (
        select(CaseExample, Organisation.name, Organisation.key, Project.name, Person.name)
        .join(Organisation, Organisation.id == CaseExample.organisation_id)
        .join(Project, Project.id == CaseExample.project_id)
        .outerjoin(Person, Person.id == CaseExample.person_id)
    )


async def _editable(session: AsyncSession, project_id: int, person_id: int, title: str,
                    example_id: int | None) -> CaseExample | None:
    if example_id is not None:
        example = await session.get(CaseExample, example_id)
        if example is None or example.person_id != person_id or example.status not in EDITABLE:
            raise NotEditable(example_id)
        return example
    own = await session.scalars(select(CaseExample).where(
        CaseExample.project_id == project_id, CaseExample.person_id == person_id,
        CaseExample.status.in_([str(s) for s in EDITABLE])))
    # Compared in Python: SQLite's lower() leaves Å, Ä and Ö as they are.
    return next((e for e in own if _same_title(e.title, title)), None)


def _same_title(a: str, b: str) -> bool:
    return unicodedata.normalize("NFC", a).casefold() == unicodedata.normalize("NFC", b).casefold()


def _fill(example: CaseExample, form: ExampleForm, organisation_id: int) -> None:
    example.organisation_id = organisation_id
    example.title, example.theme, example.contact = form.title, form.theme, form.contact
    example.challenge, example.actions = form.challenge, form.actions
    example.result, example.lessons = form.result, form.lessons
    example.links, example.sharing = links_to_text(form.links), str(form.sharing)
