"""Repository of registrations: placing people within quotas, the waitlist, cancellation with
promotion, and handing a place to a colleague. Every change runs in one transaction that first
bumps the project's lock_version, so two registrations can never both take the last place."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, case, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker
from sqlalchemy.orm import joinedload, selectinload

from bot.features.registration.handover_codes import new_code, normalised
from bot.features.registration.rules import (
    Limits,
    Occupancy,
    RegistrationForm,
    Status,
    Waiting,
    WaitReason,
    next_to_promote,
    place_for,
    registration_open,
    wait_reason,
)
from storage.db import by_key
from storage.models import Meeting, Organisation, Project, Registration, RegistrationMeeting, utcnow

TRANSFER_TTL = timedelta(days=7)


class RegistrationClosed(Exception):
    """The deadline has passed: no new registrations."""


class AlreadyRegistered(Exception):
    """The colleague taking a place over already has one in that project."""


class NotFound(LookupError):
    """No such registration for this person (or it belongs to someone else)."""


class OwnCode(NotFound):
    """A live hand-over code given by the person who holds the place: it is for a colleague."""


@dataclass(frozen=True)
class RegistrationResult:
    registration: Registration
    created: bool
    previous_status: Status | None
    waitlist_position: int | None
    waitlist_reason: WaitReason | None = None
    """For a waitlisted person: the limit that applies (their position counts in that queue)."""
    project: Project | None = None
    """The project with its meetings, when the caller had it at hand (the confirmation needs it)."""
    changed: bool = True
    """False when a registration that was there already got the very form it had (a double click, or a form
    sent again without changes): nothing was changed."""


@dataclass(frozen=True)
class CancelResult:
    cancelled: Registration
    promoted: Registration | None


@dataclass(frozen=True)
class OrganisationCount:
    organisation: str
    registered: int
    waitlisted: int


@dataclass(frozen=True)
class ProjectOverview:
    counts: list[OrganisationCount]
    waitlist: list[Registration]
    registered_total: int


class RegistrationRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._organisations: dict[str, Organisation] = {}
        """By key, as first read: only migrations add or change organisations."""

    async def organisation_kinds(self) -> dict[str, str]:
        async with self._sessions() as session:
            rows = await session.execute(select(Organisation.key, Organisation.kind))
            return dict(rows.tuples().all())

    async def status(self, project_id: int, person_id: int) -> Status | None:
        """The person's registration status for the project (None when they have none): one query."""
        async with self._sessions() as session:
            found = await session.scalar(select(Registration.status).where(
                Registration.project_id == project_id, Registration.person_id == person_id))
            return Status(found) if found is not None else None

    async def find(self, project_id: int, person_id: int) -> Registration | None:
        async with self._sessions() as session:
            return await session.scalar(
                _loaded().where(Registration.project_id == project_id, Registration.person_id == person_id)
            )

    async def by_id(self, registration_id: int) -> Registration | None:
        async with self._sessions() as session:
            return await session.scalar(_loaded().where(Registration.id == registration_id))

    async def of_person(self, person_id: int) -> list[Registration]:
        async with self._sessions() as session:
            rows = await session.scalars(
                _loaded()
                .where(Registration.person_id == person_id, Registration.status != Status.CANCELLED)
                .order_by(Registration.created_at)
            )
            return list(rows)

    async def register(
        self, project_id: int, person_id: int, form: RegistrationForm, now: datetime
    ) -> RegistrationResult:
        """Create the person's registration, or update it (a second attempt edits the first)."""
        edited = await self._edit_in_place(project_id, person_id, form)
        if edited is not None:
            return edited
        async with self._sessions.begin() as session:
            project = await _lock_project(session, project_id)
            organisation = await self._organisation(session, form.organisation_key)
            existing = await _with_meetings(session, project_id, person_id)
            active = existing is not None and existing.status != Status.CANCELLED
            if not active and not registration_open(project.registration_deadline, now):
                raise RegistrationClosed(project.name)
            previous = Status(existing.status) if active and existing else None
            moved = not active or existing is None or existing.organisation_id != organisation.id
            if moved:
                # Counted before the new row exists, so the person never counts against themselves.
                occupancy = await _occupancy(
                    session, project_id, organisation.id, exclude=existing.id if existing else None
                )
                status = place_for(
                    Limits(project.quota_per_organisation, project.capacity), occupancy, organisation.kind
                )
            registration = existing or Registration(project_id=project_id, person_id=person_id)
            _fill(registration, form, organisation)
            if moved:
                registration.status = status
                registration.queued_at = now
                registration.cancelled_at = None
                if not active:
                    registration.created_at = now
            if existing is None:
                registration.meetings = []
                session.add(registration)
            await _choose_meetings(session, registration, project_id, form.meeting_numbers)
            registration.organisation = organisation
            await session.flush()
            reason = await _wait_reason(session, project, registration, organisation.kind)
            position = await _waitlist_position(session, registration, reason)
        # Returned as by_id would load it (its organisation and meetings), without reading it again.
        return RegistrationResult(registration, not active, previous, position, reason)

    async def _edit_in_place(self, project_id: int, person_id: int,
                             form: RegistrationForm) -> RegistrationResult | None:
        """An edit that keeps the place (same organisation, still active) changes no one's place, so it
        takes no project lock: on PostgreSQL, registrations of one project would otherwise queue on it,
        each holding it for several round trips. None when the place may change: the caller then works
        under the project's lock. One UPDATE finds the place and writes the details, only while it is
        active and of the form's organisation: a cancel or a move (a cancel holds the project's lock, not
        this row's, until it writes) makes it change nothing, and the edit goes the locked way; otherwise
        it holds the row's lock for the rest of the edit.

        In plain statements on the session's connection (the most common write of a registration, and
        the ORM's loading and flushing was most of its cost); the registration returned is built from
        what was written, as ``by_id`` would load it."""
        organisation = await self._known_organisation(form.organisation_key)
        now = utcnow()
        async with self._sessions.begin() as session:
            connection = await session.connection()
            row = (await connection.execute(_EDIT_IN_PLACE, {
                "project": project_id, "who": person_id, "kept_organisation": organisation.id,
                "new_other": form.organisation_other, "new_name": form.name, "new_role": form.role_title,
                "new_email": form.email, "new_dietary": form.dietary, "new_consent": form.consent_list,
                "now": now})).mappings().first()
            if row is None:
                return None
            meeting_ids, meetings_changed = await _set_meetings(connection, row["id"], project_id,
                                                                form.meeting_numbers)
            registration = Registration(**row)
            registration.organisation = organisation
            registration.meetings = [RegistrationMeeting(registration_id=row["id"], meeting_id=i) for i in meeting_ids]
            reason, position = None, None
            if registration.status == Status.WAITLISTED:
                project = await by_key(session, Project, project_id)
                if project is not None:
                    reason = await _wait_reason(session, project, registration, organisation.kind)
                    position = await _waitlist_position(session, registration, reason)
        return RegistrationResult(registration, False, Status(row["status"]), position, reason,
                                  changed=meetings_changed or row["updated_at"] == now)

    async def cancel(self, registration_id: int, person_id: int, now: datetime) -> CancelResult:
        """Cancel a registration; a freed place goes to the first one who can take it."""
        async with self._sessions.begin() as session:
            registration = await session.get(Registration, registration_id)
            if registration is None or registration.person_id != person_id:
                raise NotFound(registration_id)
            project = await _lock_project(session, registration.project_id)
            was_registered = registration.status == Status.REGISTERED
            registration.status = Status.CANCELLED
            registration.cancelled_at = now
            registration.transfer_code = None
            await session.flush()
            promoted_id = await _promote(session, project, registration.organisation_id) if was_registered else None
        promoted = await self._reload(promoted_id) if promoted_id else None
        return CancelResult(await self._reload(registration_id), promoted)

    async def offer_transfer(self, registration_id: int, person_id: int, now: datetime) -> str:
        """A one-time code the holder gives a colleague, who takes the place over with it."""
        async with self._sessions.begin() as session:
            registration = await session.get(Registration, registration_id)
            if registration is None or registration.person_id != person_id or registration.status == Status.CANCELLED:
                raise NotFound(registration_id)
            registration.transfer_code = new_code()
            registration.transfer_expires_at = now + TRANSFER_TTL
            return registration.transfer_code

    async def take_over(
        self, code: str, person_id: int, name: str, email: str, now: datetime
    ) -> tuple[Registration, Registration]:
        """Hand the place behind ``code`` to ``person_id``: same organisation, same meetings, same
        status. A colleague on the project's waitlist takes it over too: their own entry (and what
        they filled in) becomes the place. Returns (the colleague's registration, the holder's
        cancelled one)."""
        async with self._sessions.begin() as session:
            holder = await session.scalar(
                select(Registration)
                .where(Registration.transfer_code == (normalised(code) or "-"))
                .options(selectinload(Registration.meetings))
            )
            if holder is None or holder.transfer_expires_at is None or holder.transfer_expires_at <= now:
                raise NotFound(code)
            if holder.person_id == person_id:
                raise OwnCode(code)
            await _lock_project(session, holder.project_id)
            mine = await session.scalar(
                select(Registration).where(
                    Registration.project_id == holder.project_id, Registration.person_id == person_id
                )
            )
            if mine is not None and mine.status == Status.REGISTERED:
                raise AlreadyRegistered(holder.project_id)
            waiting = mine is not None and mine.status == Status.WAITLISTED
            colleague = mine or Registration(project_id=holder.project_id, person_id=person_id)
            if mine is None:
                session.add(colleague)
            for field in ("organisation_id", "organisation_other", "status", "queued_at"):
                setattr(colleague, field, getattr(holder, field))
            if not waiting:  # someone new: only what Teams knows about them
                colleague.name, colleague.email = name, email
                colleague.role_title, colleague.dietary, colleague.consent_list = "", "", False
            colleague.cancelled_at = None
            if not waiting:
                colleague.created_at = now
            meeting_ids = [link.meeting_id for link in holder.meetings]
            holder.status, holder.cancelled_at, holder.transfer_code = Status.CANCELLED, now, None
            await session.flush()
            await _set_meeting_ids(session, colleague, meeting_ids)
        return await self._reload(colleague.id), await self._reload(holder.id)

    async def fill_free_places(self, project_id: int) -> list[Registration]:
        """After a quota or capacity was raised: move up everyone who now fits, in waitlist order."""
        promoted_ids: list[int] = []
        async with self._sessions.begin() as session:
            project = await _lock_project(session, project_id)
            while (promoted := await _promote(session, project, freed_organisation_id=0)) is not None:
                promoted_ids.append(promoted)
                await session.flush()
        return [await self._reload(registration_id) for registration_id in promoted_ids]

    async def people_for_meeting(self, meeting_id: int, among: Collection[int] | None = None) -> list[int]:
        """Person ids registered (not waitlisted or cancelled) for a meeting; with ``among``, only
        those of these people (a batch of reminders asks about its own recipients, not everyone)."""
        query = (
            select(Registration.person_id)
            .join(RegistrationMeeting, RegistrationMeeting.registration_id == Registration.id)
            .where(RegistrationMeeting.meeting_id == meeting_id, Registration.status == Status.REGISTERED)
            .order_by(Registration.person_id)
        )
        if among is not None:
            query = query.where(Registration.person_id.in_(list(among)))
        async with self._sessions() as session:
            return list(await session.scalars(query))

    async def expected_at_meeting(self, meeting_id: int, among: Collection[int] | None = None) -> list[int]:
        """Person ids expected at a meeting: registered for it and not away, plus the colleagues sent
        in someone's place (storage/substitutes.py). Reminders and the evaluation go to these."""
        from storage.substitutes import SubstituteRepository

        return await SubstituteRepository(self._sessions).expected(meeting_id, among)

    async def stood_in_for(self, meeting_id: int, person_id: int) -> Registration | None:
        """The place a colleague stands in for at a meeting (their answers count for its organisation)."""
        from storage.substitutes import SubstituteRepository

        return await SubstituteRepository(self._sessions).holder_of(meeting_id, person_id)

    async def people_in_project(self, project_id: int, organisation_key: str | None = None) -> list[int]:
        async with self._sessions() as session:
            query = select(Registration.person_id).where(
                Registration.project_id == project_id, Registration.status == Status.REGISTERED
            )
            if organisation_key is not None:
                query = query.join(Registration.organisation).where(Organisation.key == organisation_key)
            return list(await session.scalars(query.order_by(Registration.person_id)))

    async def overview(self, project_id: int) -> ProjectOverview:
        async with self._sessions() as session:
            rows = await session.execute(
                select(Organisation.name, Registration.status, func.count())
                .join(Registration.organisation)
                .where(Registration.project_id == project_id, Registration.status != Status.CANCELLED)
                .group_by(Organisation.name, Organisation.sort_order, Registration.status)
                .order_by(Organisation.sort_order)
            )
            counts: dict[str, dict[str, int]] = {}
            for name, status, count in rows.tuples():
                counts.setdefault(name, {})[status] = count
            waitlist = await session.scalars(
                _loaded()
                .where(Registration.project_id == project_id, Registration.status == Status.WAITLISTED)
                .order_by(Registration.queued_at, Registration.id)
            )
        per_org = [
            OrganisationCount(name, c.get(Status.REGISTERED, 0), c.get(Status.WAITLISTED, 0))
            for name, c in counts.items()
        ]
        return ProjectOverview(per_org, list(waitlist), sum(c.registered for c in per_org))

    async def for_export(self, project_id: int) -> list[Registration]:
        async with self._sessions() as session:
            rows = await session.scalars(
                _loaded()
                .join(Registration.organisation)
                .where(Registration.project_id == project_id)
                .order_by(Organisation.sort_order, Registration.status, Registration.queued_at)
            )
            return list(rows)

    async def _organisation(self, session: AsyncSession, key: str) -> Organisation:
        """The organisation with this key, in ``session`` without a query once this process has read it."""
        return await session.merge(await self._known_organisation(key), load=False)

    async def _known_organisation(self, key: str) -> Organisation:
        """The organisation with this key as this process read it (organisations change with a deployment)."""
        known = self._organisations.get(key)
        if known is None:
            # Read apart: an object of the write session would be expired should that roll back.
            async with self._sessions() as reader:
                known = await _organisation(reader, key)
            self._organisations[key] = known
        return known

    async def _reload(self, registration_id: int) -> Registration:
        registration = await self.by_id(registration_id)
        assert registration is not None
        return registration


def _loaded():  # type: ignore[no-untyped-def]
    # Not the person: nothing that reads a registration this way uses it (a query per read saved).
    return select(Registration).options(
        joinedload(Registration.organisation),  # many-to-one: a join, not a second query
        selectinload(Registration.meetings),
    )


async def _lock_project(session: AsyncSession, project_id: int) -> Project:
    # The UPDATE takes PostgreSQL's row lock and SQLite's write lock before anything is counted; it
    # returns the project as the lock found it (one round trip, not an UPDATE and a SELECT).
    project = await session.scalar(
        update(Project).where(Project.id == project_id).values(lock_version=Project.lock_version + 1)
        .returning(Project),
        execution_options={"populate_existing": True},
    )
    if project is None:
        raise NotFound(project_id)
    return project


async def _with_meetings(session: AsyncSession, project_id: int, person_id: int) -> Registration | None:
    return (await session.scalars(
        select(Registration)
        .where(Registration.project_id == project_id, Registration.person_id == person_id)
        .options(joinedload(Registration.meetings))
    )).unique().one_or_none()


_DETAILS = {"organisation_other": "new_other", "name": "new_name", "role_title": "new_role", "email": "new_email",
            "dietary": "new_dietary", "consent_list": "new_consent"}
"""The details a form edits: column, and the parameter that has the form's value."""
_EDIT_IN_PLACE = (
    update(Registration)
    .where(Registration.project_id == bindparam("project"), Registration.person_id == bindparam("who"),
           Registration.status != Status.CANCELLED, Registration.organisation_id == bindparam("kept_organisation"))
    .values(**{column: bindparam(parameter) for column, parameter in _DETAILS.items()},
            # Moved only when a detail changes, so what it returns tells an edit from the same form sent again.
            updated_at=case((or_(*(Registration.__table__.c[column].is_distinct_from(bindparam(parameter))
                                   for column, parameter in _DETAILS.items())), bindparam("now")),
                            else_=Registration.updated_at))
    .returning(*Registration.__table__.columns)
)
_MEETINGS_LINKED = (
    select(Meeting.id, Meeting.number, RegistrationMeeting.meeting_id)
    .outerjoin(RegistrationMeeting, and_(RegistrationMeeting.meeting_id == Meeting.id,
                                         RegistrationMeeting.registration_id == bindparam("place")))
    .where(Meeting.project_id == bindparam("project"))
    .order_by(Meeting.number)
)
_UNLINK = delete(RegistrationMeeting).where(RegistrationMeeting.registration_id == bindparam("place"),
                                            RegistrationMeeting.meeting_id == bindparam("meeting"))
_LINK = insert(RegistrationMeeting).values(registration_id=bindparam("place"), meeting_id=bindparam("meeting"))
_MEETING_NUMBERS = select(Meeting.id, Meeting.number).where(Meeting.project_id == bindparam("project")) \
    .order_by(Meeting.number)
"""Statements built once: building one costs more than SQLite takes to run it. (Parameters are not named
as columns: insert and update reserve those.)"""


async def _set_meetings(connection: AsyncConnection, registration_id: int, project_id: int,
                        numbers: frozenset[int]) -> tuple[list[int], bool]:
    """The registration's meetings made those with these numbers (links kept, added and removed): their ids, and
    whether any link changed. The project's meetings and which of them the registration has, in one statement."""
    rows = (await connection.execute(_MEETINGS_LINKED, {"project": project_id, "place": registration_id})).all()
    wanted = [meeting_id for meeting_id, number, _linked in rows if number in numbers]
    linked = {meeting_id for meeting_id, _number, link in rows if link is not None}
    if gone := linked.difference(wanted):
        await connection.execute(_UNLINK, [{"place": registration_id, "meeting": i} for i in sorted(gone)])
    if new := [i for i in wanted if i not in linked]:
        await connection.execute(_LINK, [{"place": registration_id, "meeting": i} for i in new])
    return wanted, bool(gone or new)


async def _meeting_ids(connection: AsyncConnection, project_id: int, numbers: frozenset[int]) -> list[int]:
    """The ids of the project's meetings with these numbers, in the order of their numbers."""
    rows = await connection.execute(_MEETING_NUMBERS, {"project": project_id})
    return [meeting_id for meeting_id, number in rows if number in numbers]


async def _organisation(session: AsyncSession, key: str) -> Organisation:
    organisation = await session.scalar(select(Organisation).where(Organisation.key == key))
    if organisation is None:
        raise ValueError(f"unknown organisation {key!r}")
    return organisation


def _fill(registration: Registration, form: RegistrationForm, organisation: Organisation) -> None:
    registration.organisation_id = organisation.id
    registration.organisation_other = form.organisation_other
    registration.name = form.name
    registration.role_title = form.role_title
    registration.email = form.email
    registration.dietary = form.dietary
    registration.consent_list = form.consent_list


async def _occupancy(session: AsyncSession, project_id: int, organisation_id: int, exclude: int | None) -> Occupancy:
    registered = (
        select(func.count())
        .select_from(Registration)
        .where(Registration.project_id == project_id, Registration.status == Status.REGISTERED)
    )
    if exclude is not None:
        registered = registered.where(Registration.id != exclude)
    total = await session.scalar(registered) or 0
    in_org = await session.scalar(registered.where(Registration.organisation_id == organisation_id)) or 0
    return Occupancy(in_org, total)


async def _choose_meetings(
    session: AsyncSession, registration: Registration, project_id: int, numbers: frozenset[int]
) -> None:
    """``registration.meetings`` (loaded) made the meetings with these numbers: links kept, added and
    removed as the ORM sees them, without reloading the collection first."""
    ids = await _meeting_ids(await session.connection(), project_id, numbers)
    kept = {link.meeting_id: link for link in registration.meetings}
    registration.meetings = [kept.get(i) or RegistrationMeeting(meeting_id=i) for i in ids]


async def _set_meeting_ids(session: AsyncSession, registration: Registration, meeting_ids: list[int]) -> None:
    await session.flush()
    await session.refresh(registration, ["meetings"])
    registration.meetings = [RegistrationMeeting(registration_id=registration.id, meeting_id=i) for i in meeting_ids]


async def _wait_reason(session: AsyncSession, project: Project, registration: Registration,
                       organisation_kind: str) -> WaitReason | None:
    if registration.status != Status.WAITLISTED:
        return None
    occupancy = await _occupancy(session, project.id, registration.organisation_id, exclude=registration.id)
    # Places may have been freed by hand since the person was queued: the quota then still explains it.
    return wait_reason(Limits(project.quota_per_organisation, project.capacity), occupancy,
                       organisation_kind) or WaitReason.QUOTA


async def _waitlist_position(session: AsyncSession, registration: Registration,
                             reason: WaitReason | None = WaitReason.QUOTA) -> int | None:
    """Place in the queue that applies: the municipality's own when its quota is what keeps the
    person waiting, the whole project's when the project is full."""
    if registration.status != Status.WAITLISTED:
        return None
    ahead = (
        select(func.count())
        .select_from(Registration)
        .where(
            Registration.project_id == registration.project_id,
            Registration.status == Status.WAITLISTED,
            Registration.queued_at < registration.queued_at,
        )
    )
    if reason is not WaitReason.FULL:
        ahead = ahead.where(Registration.organisation_id == registration.organisation_id)
    return (await session.scalar(ahead) or 0) + 1


async def _promote(session: AsyncSession, project: Project, freed_organisation_id: int) -> int | None:
    waiting_rows = await session.execute(
        select(Registration.id, Registration.organisation_id, Organisation.kind, Registration.queued_at)
        .join(Registration.organisation)
        .where(Registration.project_id == project.id, Registration.status == Status.WAITLISTED)
    )
    waiting = [Waiting(*row) for row in waiting_rows.tuples()]
    per_org_rows = await session.execute(
        select(Registration.organisation_id, func.count())
        .where(Registration.project_id == project.id, Registration.status == Status.REGISTERED)
        .group_by(Registration.organisation_id)
    )
    per_org: dict[int, int] = dict(per_org_rows.tuples().all())
    chosen = next_to_promote(
        waiting,
        freed_organisation_id,
        Limits(project.quota_per_organisation, project.capacity),
        per_org,
        sum(per_org.values()),
    )
    if chosen is None:
        return None
    promoted = await session.get(Registration, chosen.registration_id)
    assert promoted is not None
    promoted.status = Status.REGISTERED
    return promoted.id


def meeting_numbers(registration: Registration, meetings: Sequence[Meeting]) -> list[int]:
    chosen = {link.meeting_id for link in registration.meetings}
    return [meeting.number for meeting in meetings if meeting.id in chosen]
