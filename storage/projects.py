"""Repository of learning projects, their meetings and the organisations people register from.

Projects come back with their meetings loaded (ordered by number), usable after the session closes.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from enum import Enum
from typing import Final

from sqlalchemy import Select, and_, bindparam, exists, not_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import joinedload, selectinload

from bot.features.evaluation.rules import questions_from_json, questions_to_json
from bot.features.projects.spec import MeetingSpec, ProjectSpec
from storage.db import by_key, once_more_on_conflict
from storage.models import Meeting, Organisation, Project
from storage.recent import Recent, shared

ACTIVE_STATES = ("open", "running")
UID_DOMAIN = "dalalab.regiondalarna.se"
# The meeting fields a calendar entry shows: a change in any of them is a new SEQUENCE.
MEETING_FIELDS = ("title", "starts_at", "ends_at", "place", "online_link", "programme")


class EditConflict(Exception):
    """The project was changed by someone else since the card was shown (its edit version moved on)."""


class _NotGiven(Enum):
    NOT_GIVEN = "not given"


NOT_GIVEN: Final = _NotGiven.NOT_GIVEN
"""Default of update_settings' optional fields: "leave unchanged", since None means "no limit"."""


def meeting_uid(slug: str, number: int) -> str:
    """The calendar UID of a project's meeting: stable as long as the meeting keeps its number."""
    return f"{slug}-traff-{number}@{UID_DOMAIN}"


class ProjectRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._organisations: list[Organisation] | None = None
        self._recent: Recent[int, Project] | None = shared(sessions, "projects", _PROJECT_TABLES)
        self._recent_meetings: Recent[int, Meeting] | None = shared(sessions, "meetings", _PROJECT_TABLES)

    async def upsert(self, spec: ProjectSpec) -> Project:
        """Create or update the project with ``spec.slug``; running it twice changes nothing."""
        async def upsert() -> Project:
            async with self._sessions.begin() as session:
                return await _upsert(session, spec)

        return await once_more_on_conflict(upsert)

    async def save(self, spec: ProjectSpec, expected_version: int, *, copied_from_id: int | None = None,
                   now: datetime | None = None) -> Project:
        """Apply a coordinator's edit of the project ``spec.slug`` (created when ``expected_version``
        is -1 and the slug is free) through the same path as an import: a changed meeting keeps its UID
        and gets a higher SEQUENCE. Raises EditConflict when someone else saved in between."""
        async with self._sessions.begin() as session:
            if expected_version >= 0:
                # One conditional UPDATE claims the edit: atomic on every backend, so of two coordinators
                # saving the same version exactly one succeeds and the other is told.
                claimed = await session.execute(
                    update(Project)
                    .where(Project.slug == spec.slug, Project.edit_version == expected_version)
                    .values(edit_version=expected_version + 1)
                )
                if claimed.rowcount != 1:  # type: ignore[attr-defined]
                    raise EditConflict(spec.slug)
            elif await session.scalar(select(Project.id).where(Project.slug == spec.slug)) is not None:
                raise EditConflict(spec.slug)
            project = await _upsert(session, spec, bump_version=False, now=now)
            if copied_from_id is not None:
                project.copied_from_id = copied_from_id
            # Quota and capacity decide who gets a place: serialise with registrations, as update_settings does.
            project.lock_version = (project.lock_version or 0) + 1
            project_id = project.id
        found = await self.by_id(project_id)
        assert found is not None
        return found

    async def free_slug(self, base: str) -> str:
        """``base``, or ``base-2``, ``base-3``... whichever no project has yet."""
        async with self._sessions() as session:
            taken = set(await session.scalars(select(Project.slug).where(Project.slug.like(f"{base}%"))))
        if base not in taken:
            return base
        return next(f"{base}-{n}" for n in range(2, len(taken) + 3) if f"{base}-{n}" not in taken)

    async def by_id(self, project_id: int) -> Project | None:
        """The project with its meetings, in one query (a join), not two: most turns ask for one. As read
        lately (storage.recent: until this process writes a project or meeting, at most two seconds), and
        then shared with other turns: read-only."""
        if self._recent is None:
            return await self._load(project_id)
        return await self._recent.get(project_id, lambda: self._load(project_id))

    async def _load(self, project_id: int) -> Project | None:
        async with self._sessions() as session:
            return (await session.scalars(_BY_ID, {"project": project_id})).unique().one_or_none()

    async def by_slug(self, slug: str) -> Project | None:
        return await self._one(_projects().where(Project.slug == slug))

    async def by_calendar_token(self, token: str) -> Project | None:
        return await self._one(_projects().where(Project.calendar_token == token))

    async def all_projects(self) -> list[Project]:
        return await self._all(_projects().order_by(Project.name, Project.id))

    async def open_projects(self, now: datetime) -> list[Project]:
        """Projects people can take part in: open or running, and not every meeting over yet."""
        meetings = select(Meeting.id).where(Meeting.project_id == Project.id)
        not_over = or_(not_(exists(meetings)), exists(meetings.where(Meeting.ends_at > now)))
        query = _projects().where(and_(Project.state.in_(ACTIVE_STATES), not_over))
        return await self._all(query.order_by(Project.name, Project.id))

    async def update_settings(
        self,
        project_id: int,
        quota_per_organisation: int | None = None,
        capacity: int | None | _NotGiven = NOT_GIVEN,
        registration_deadline: datetime | None | _NotGiven = NOT_GIVEN,
    ) -> Project | None:
        """Change what is given (capacity/deadline None = no limit); None when there is no such project."""
        _check_settings(quota_per_organisation, capacity, registration_deadline)
        async with self._sessions.begin() as session:
            project = await session.get(Project, project_id, with_for_update=True)
            if project is None:
                return None
            if quota_per_organisation is not None:
                project.quota_per_organisation = quota_per_organisation
            if not isinstance(capacity, _NotGiven):
                project.capacity = capacity
            if not isinstance(registration_deadline, _NotGiven):
                project.registration_deadline = registration_deadline
            # Quota and capacity decide who gets a place, so a change serialises with registrations.
            project.lock_version += 1
            # The settings card is an edit too: a project card opened before it must not overwrite it.
            project.edit_version += 1
        return await self.by_id(project_id)

    async def mark_notified(self, meeting_id: int, sequence: int) -> None:
        """Participants have been told about this version of the meeting."""
        async with self._sessions.begin() as session:
            meeting = await session.get(Meeting, meeting_id)
            if meeting is not None:
                meeting.notified_sequence = max(meeting.notified_sequence, sequence)

    async def link_channel(self, project_id: int, conversation_id: str) -> None:
        async with self._sessions.begin() as session:
            project = await session.get(Project, project_id)
            if project is not None:
                project.channel_conversation_id = conversation_id

    async def meeting(self, meeting_id: int) -> Meeting | None:
        """The meeting (without its project), as read lately: read-only, as ``by_id``'s."""
        if self._recent_meetings is None:
            return await self._load_meeting(meeting_id)
        return await self._recent_meetings.get(meeting_id, lambda: self._load_meeting(meeting_id))

    async def _load_meeting(self, meeting_id: int) -> Meeting | None:
        async with self._sessions() as session:
            return await by_key(session, Meeting, meeting_id)

    async def organisations(self) -> list[Organisation]:
        """The municipalities and other organisations, read once: only migrations add or change them
        (a new list comes with a new deployment, so with a new process)."""
        if self._organisations is None:
            async with self._sessions() as session:
                rows = await session.scalars(select(Organisation).order_by(Organisation.sort_order, Organisation.name))
                self._organisations = list(rows)
        return list(self._organisations)

    async def upcoming_meetings(self, project_id: int, now: datetime) -> list[Meeting]:
        """Meetings not yet over (one in progress counts), earliest first."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Meeting)
                .where(Meeting.project_id == project_id, Meeting.ends_at > now)
                .order_by(Meeting.starts_at, Meeting.number)
            )
            return list(rows)

    async def next_meeting(self, project_id: int, now: datetime) -> Meeting | None:
        """The next meeting that takes place (a cancelled one is skipped)."""
        upcoming = [m for m in await self.upcoming_meetings(project_id, now) if m.cancelled_at is None]
        return upcoming[0] if upcoming else None

    async def _one(self, query: Select[tuple[Project]]) -> Project | None:
        async with self._sessions() as session:
            return await session.scalar(query)

    async def _all(self, query: Select[tuple[Project]]) -> list[Project]:
        async with self._sessions() as session:
            return list(await session.scalars(query))


_PROJECT_TABLES = frozenset({"project", "meeting"})


_BY_ID = select(Project).options(joinedload(Project.meetings)).where(Project.id == bindparam("project"))
"""Built once: most turns ask for a project, and building the statement cost more than running it."""


def _projects() -> Select[tuple[Project]]:
    return select(Project).options(selectinload(Project.meetings))


async def _upsert(session: AsyncSession, spec: ProjectSpec, bump_version: bool = True,
                  now: datetime | None = None) -> Project:
    project = await session.scalar(_projects().where(Project.slug == spec.slug))
    if project is None:
        project = Project(slug=spec.slug, calendar_token=secrets.token_urlsafe(24), meetings=[])
        session.add(project)
    project.name = spec.name
    project.description = spec.description
    project.quota_per_organisation = spec.quota_per_organisation
    project.capacity = spec.capacity
    project.registration_deadline = spec.registration_deadline
    project.state = spec.state
    project.registration_closed = spec.registration_closed
    project.contact = spec.contact
    project.reminder_offsets = spec.reminders
    project.evaluation_questions = (
        questions_to_json(spec.evaluation_questions) if spec.evaluation_questions is not None else None
    )
    _sync_meetings(project, spec.meetings, now or datetime.now(UTC))
    if bump_version:
        # An import changes what an open editing card shows: that card's save must be refused.
        project.edit_version = (project.edit_version or 0) + 1
    await session.flush()
    return project


def _sync_meetings(project: Project, specs: Sequence[MeetingSpec], now: datetime) -> None:
    """Match meetings by number: update in place (UID kept), add the new, drop the ones no longer listed."""
    existing = {meeting.number: meeting for meeting in project.meetings}
    meetings: list[Meeting] = []
    for spec in specs:
        meeting = existing.get(spec.number)
        if meeting is None:
            meeting = Meeting(number=spec.number, uid=meeting_uid(project.slug, spec.number), sequence=0)
            _copy_fields(meeting, spec, now)
        elif _differs(meeting, spec):
            _copy_fields(meeting, spec, now)
            meeting.sequence += 1
        meetings.append(meeting)
    # Replacing the collection lets delete-orphan remove the dropped meetings (and, by cascade, their
    # registration_meeting rows); sorted so the returned project matches what a fresh load gives.
    project.meetings = sorted(meetings, key=lambda meeting: meeting.number)


def _differs(meeting: Meeting, spec: MeetingSpec) -> bool:
    cancelled = meeting.cancelled_at is not None
    return cancelled != spec.cancelled or any(getattr(meeting, name) != getattr(spec, name) for name in MEETING_FIELDS)


def _copy_fields(meeting: Meeting, spec: MeetingSpec, now: datetime) -> None:
    for name in MEETING_FIELDS:
        setattr(meeting, name, getattr(spec, name))
    if not spec.cancelled:
        meeting.cancelled_at = None
    elif meeting.cancelled_at is None:
        meeting.cancelled_at = now


def spec_of(project: Project) -> ProjectSpec:
    """The project as a spec (what an import of its exported file gives back)."""
    questions = questions_from_json(project.evaluation_questions) if project.evaluation_questions else None
    return ProjectSpec(
        slug=project.slug,
        name=project.name,
        description=project.description,
        quota_per_organisation=project.quota_per_organisation,
        capacity=project.capacity,
        registration_deadline=project.registration_deadline,
        state=project.state,
        registration_closed=project.registration_closed,
        contact=project.contact,
        meetings=tuple(meeting_spec_of(meeting) for meeting in project.meetings),
        reminders=project.reminder_offsets,
        evaluation_questions=questions,
    )


def meeting_spec_of(meeting: Meeting) -> MeetingSpec:
    return MeetingSpec(
        number=meeting.number,
        title=meeting.title,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        place=meeting.place,
        online_link=meeting.online_link,
        programme=meeting.programme,
        cancelled=meeting.cancelled_at is not None,
    )


def _check_settings(quota: int | None, capacity: int | None | _NotGiven, deadline: datetime | None | _NotGiven) -> None:
    if quota is not None and quota < 1:
        raise ValueError("quota_per_organisation must be at least 1")
    if isinstance(capacity, int) and capacity < 1:
        raise ValueError("capacity must be at least 1 (or None for no limit)")
    if isinstance(deadline, datetime) and deadline.tzinfo is None:
        raise ValueError("registration_deadline must be timezone-aware")
