"""Registration use cases: what a participant and a coordinator can do with registrations.
Plain Python over the repositories and a clock; the Teams edge renders the results."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot.core.clock import Clock
from bot.core.input_rules import FormInvalid, Problem
from bot.features.registration.rules import RegistrationForm, Status, parse_form, registration_open
from storage.models import Meeting, Organisation, Project, Registration
from storage.projects import ProjectRepository
from storage.registrations import CancelResult, RegistrationClosed, RegistrationRepository, RegistrationResult


@dataclass(frozen=True)
class FormView:
    """Everything the registration form needs."""

    project: Project
    organisations: list[Organisation]
    existing: Registration | None


@dataclass(frozen=True)
class Closed:
    project: Project
    meanwhile: bool = False
    """It closed while a submit was being handled: open when checked, past the deadline when saved."""


@dataclass(frozen=True)
class Invalid:
    view: FormView
    problems: list[Problem]
    values: Mapping[str, Any]


class RegistrationService:
    def __init__(self, projects: ProjectRepository, registrations: RegistrationRepository, clock: Clock) -> None:
        self._projects = projects
        self._registrations = registrations
        self._clock = clock

    async def project(self, project_id: int) -> Project | None:
        return await self._projects.by_id(project_id)

    async def open_projects(self) -> list[Project]:
        return await self._projects.open_projects(self._clock())

    async def form(self, project_id: int, person_id: int) -> FormView | Closed | None:
        """The form to fill in, prefilled with an existing registration; Closed after the deadline
        for someone not yet registered."""
        project = await self._projects.by_id(project_id)
        if project is None:
            return None
        existing = await self._active(project_id, person_id)
        if existing is None and not _accepting(project, self._clock()):
            return Closed(project)
        return FormView(project, await self._projects.organisations(), existing)

    async def submit(
        self, project_id: int, person_id: int, values: Mapping[str, Any]
    ) -> RegistrationResult | Invalid | Closed | None:
        # As form() decides, reading the registration's status only: its details are for a form shown again.
        project = await self._projects.by_id(project_id)
        if project is None:
            return None
        if not _accepting(project, self._clock()):  # closed to new places: still open to edits of one
            status = await self._registrations.status(project_id, person_id)
            if status in (None, Status.CANCELLED):
                return Closed(project)
        organisations = await self._projects.organisations()
        kinds = {organisation.key: organisation.kind for organisation in organisations}
        try:
            # A cancelled meeting cannot be chosen (the card no longer offers it; the server checks too).
            open_meetings = [m.number for m in project.meetings if m.cancelled_at is None]
            form: RegistrationForm = parse_form(values, kinds, open_meetings)
        except FormInvalid as invalid:
            return Invalid(FormView(project, organisations, await self._active(project_id, person_id)),
                           invalid.problems, values)
        try:
            result = await self._registrations.register(project_id, person_id, form, self._clock())
        except RegistrationClosed:  # the repository checks again under the project's lock
            return Closed(project, meanwhile=True)
        return replace(result, project=project)

    async def mine(self, person_id: int) -> list[tuple[Registration, Project]]:
        registrations = await self._registrations.of_person(person_id)
        result = []
        for registration in registrations:
            project = await self._projects.by_id(registration.project_id)
            if project is not None:
                result.append((registration, project))
        return result

    async def registration(self, registration_id: int, person_id: int,
                           cancelled_too: bool = False) -> tuple[Registration, Project] | None:
        """A registration, only for its owner (another person's id finds nothing); a cancelled one only when
        ``cancelled_too``."""
        registration = await self._registrations.by_id(registration_id)
        if registration is None or registration.person_id != person_id or (
                registration.status == Status.CANCELLED and not cancelled_too):
            return None
        project = await self._projects.by_id(registration.project_id)
        return (registration, project) if project else None

    async def cancel(self, registration_id: int, person_id: int) -> CancelResult:
        return await self._registrations.cancel(registration_id, person_id, self._clock())

    async def offer_transfer(self, registration_id: int, person_id: int) -> str:
        return await self._registrations.offer_transfer(registration_id, person_id, self._clock())

    async def take_over(self, code: str, person_id: int, name: str, email: str) -> tuple[Registration, Registration]:
        return await self._registrations.take_over(code, person_id, name, email, self._clock())

    async def _active(self, project_id: int, person_id: int) -> Registration | None:
        existing = await self._registrations.find(project_id, person_id)
        return existing if existing is not None and existing.status != Status.CANCELLED else None


def _accepting(project: Project, now: datetime) -> bool:
    """New registrations: not for a draft ("planned"), nor once closed by hand or past the deadline."""
    if project.state not in ("open", "running") or project.registration_closed:
        return False
    return registration_open(project.registration_deadline, now)


def chosen_meetings(registration: Registration, meetings: Sequence[Meeting]) -> list[Meeting]:
    chosen = {link.meeting_id for link in registration.meetings}
    return [meeting for meeting in meetings if meeting.id in chosen]
