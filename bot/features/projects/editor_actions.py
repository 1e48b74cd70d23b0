"""`nytt projekt` and `ändra projekt`: a coordinator creates and edits a project in the personal chat,
the card updated in place at every step. Every save goes through ProjectRepository.save, the path an
import takes (a moved meeting keeps its calendar UID and gets a higher SEQUENCE; the reminder planner
then moves the reminders and tells those registered once), guarded by the project's edit version."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from botbuilder.core import TurnContext

from bot.core.actions import int_value, replace_card, send_card
from bot.core.commands import Role
from bot.core.i18n import t
from bot.core.router import Router
from bot.core.turn import Turn
from bot.features.projects.cards import (
    accepting,
    meeting_form,
    project_form,
    registration_preview,
)
from bot.features.projects.choice import chosen_project
from bot.features.projects.desk import ProjectDesk, personal_only, shown_version, version_of, with_fields
from bot.features.projects.rules import (
    ProjectFormInvalid,
    deadline_parts,
    local_parts,
    parse_meeting,
    parse_project_fields,
    slug_for,
)
from bot.features.projects.spec import MeetingSpec, ProjectSpec
from bot.features.registration.cards import MeetingLine
from bot.features.registration.notices import RegistrationNotices
from storage.models import Project
from storage.projects import EditConflict, meeting_spec_of, spec_of

router = Router("projects.editor")


class ProjectEditorActions:

    def __init__(self, desk: ProjectDesk, notices: RegistrationNotices) -> None:
        self._desk = desk
        self._notices = notices

    @router.command("nytt projekt", "nytt lärprojekt", "new project", role=Role.COORDINATOR, in_manifest=False)
    @personal_only("nytt projekt")
    async def new(self, context: TurnContext, turn: Turn) -> None:
        await send_card(context, project_form({"quota": "3"}, [], None, 0))

    @router.verb("project_new", role=Role.COORDINATOR, shared=True)
    @personal_only("ändra projekt")
    async def new_in_place(self, context: TurnContext, turn: Turn) -> None:
        await replace_card(context, project_form({"quota": "3"}, [], None, 0))

    @router.command("ändra projekt", "andra projekt", "edit project", role=Role.COORDINATOR, in_manifest=False)
    @personal_only("ändra projekt")
    async def choose(self, context: TurnContext, turn: Turn) -> None:
        project = await chosen_project(context, turn, await self._desk.projects.all_projects(), "project_show")
        if project is not None:
            await send_card(context, await self._desk.editor(project))

    @router.verb("project_show", role=Role.COORDINATOR, shared=True)
    @personal_only("ändra projekt")
    async def show(self, context: TurnContext, turn: Turn) -> None:
        project = await self._desk.project(context, turn)
        if project is not None:
            await replace_card(context, await self._desk.editor(project))

    @router.verb("project_edit_fields", role=Role.COORDINATOR, shared=True)
    @personal_only("ändra projekt")
    async def edit_fields(self, context: TurnContext, turn: Turn) -> None:
        project = await self._desk.project(context, turn)
        if project is not None:
            await replace_card(context, project_form(self._fields_of(project), [], project.id, project.edit_version))

    @router.verb("project_save", role=Role.COORDINATOR, shared=True)
    @personal_only("ändra projekt")
    async def save_fields(self, context: TurnContext, turn: Turn) -> None:
        project_id = int_value(turn.value, "project_id")
        project = await self._desk.projects.by_id(project_id) if project_id else None
        if project_id and project is None:
            await context.send_activity(t("project.not_found"))
            return
        try:
            fields = parse_project_fields(turn.value, self._desk.zone, self._desk.clock(),
                                          project.registration_deadline if project else None)
        except ProjectFormInvalid as invalid:
            await replace_card(context, project_form(turn.value, invalid.problems, project_id,
                                                     version_of(turn.value)))
            return
        if project is None:
            await self._create(context, turn, with_fields(ProjectSpec(slug="", name="", state="planned"), fields))
            return
        saved = await self._desk.save(context, turn, project, with_fields(spec_of(project), fields), t("pe.saved"))
        if saved is not None:
            # More places (quota or capacity) let people on the waitlist in, as the settings card does.
            for promoted in await self._desk.registrations.fill_free_places(saved.id):
                await self._notices.tell_promoted(promoted, saved)

    async def _create(self, context: TurnContext, turn: Turn, spec: ProjectSpec) -> None:
        base = slug_for(spec.name, self._desk.clock().astimezone(self._desk.zone).year)
        existing = await self._desk.projects.by_slug(base)
        if existing is not None and existing.name == spec.name and existing.edit_version == 0:
            # The same card submitted twice (a double click): one project, shown again.
            await replace_card(context, await self._desk.editor(existing, t("pe.created")))
            return
        slug = await self._desk.projects.free_slug(base)
        try:
            created = await self._desk.projects.save(replace(spec, slug=slug), -1, now=self._desk.clock())
        except EditConflict:
            await context.send_activity(t("pe.conflict"))
            return
        await replace_card(context, await self._desk.editor(created, t("pe.created")))

    @router.verb("project_meeting_new", role=Role.COORDINATOR, shared=True)
    @personal_only("ändra projekt")
    async def new_meeting(self, context: TurnContext, turn: Turn) -> None:
        project = await self._desk.project(context, turn)
        if project is None:
            return
        number = max((m.number for m in project.meetings), default=0) + 1
        values: dict[str, Any] = {"number": str(number)}
        template = await self._template(project, number)
        if template is not None:
            values |= {"title": template.title, "place": template.place, "online_link": template.online_link,
                       "programme": template.programme}
        await replace_card(context, meeting_form(project, values, [], None, False))

    @router.verb("project_meeting_edit", role=Role.COORDINATOR, shared=True)
    @personal_only("ändra projekt")
    async def edit_meeting(self, context: TurnContext, turn: Turn) -> None:
        project = await self._desk.project(context, turn)
        number = int_value(turn.value, "meeting_number")
        meeting = next((m for m in project.meetings if m.number == number), None) if project else None
        if project is None:
            return
        if meeting is None:
            await replace_card(context, await self._desk.editor(project, t("pe.meeting_not_found"), attention=True))
            return
        day, start = local_parts(meeting.starts_at, self._desk.zone)
        values = {"number": str(meeting.number), "title": meeting.title, "date": day, "start": start,
                  "end": local_parts(meeting.ends_at, self._desk.zone)[1], "place": meeting.place,
                  "online_link": meeting.online_link, "programme": meeting.programme}
        await replace_card(context, meeting_form(project, values, [], meeting.number, meeting.cancelled_at is None))

    @router.verb("project_meeting_save", role=Role.COORDINATOR, shared=True)
    @personal_only("ändra projekt")
    async def save_meeting(self, context: TurnContext, turn: Turn) -> None:
        project = await self._desk.project(context, turn)
        if project is None:
            return
        spec = spec_of(project)
        original = int_value(turn.value, "original")
        current = next((m for m in spec.meetings if m.number == original), None) if original else None
        if original and current is None:
            await replace_card(context, await self._desk.editor(project, t("pe.meeting_not_found"), attention=True))
            return
        values = dict(turn.value)
        if current is not None:
            values["number"] = str(current.number)  # a meeting keeps its number (its calendar UID)
        taken = [m.number for m in spec.meetings if m is not current]
        try:
            meeting = parse_meeting(values, self._desk.zone, self._desk.clock(), taken, current)
        except ProjectFormInvalid as invalid:
            failed = meeting_form(project, values, invalid.problems, original, current is not None,
                                  shown_version(project, turn.value))
            await replace_card(context, failed)
            return
        others = tuple(m for m in spec.meetings if m is not current)
        meetings = tuple(sorted((*others, meeting), key=lambda m: m.number))
        moved = current is not None and current != meeting
        notice = t("pe.meeting_moved" if moved else "pe.meeting_saved", number=meeting.number)
        await self._desk.save(context, turn, project, replace(spec, meetings=meetings), notice)

    @router.verb("project_meeting_cancel", role=Role.COORDINATOR, shared=True)
    @personal_only("ändra projekt")
    async def cancel_meeting(self, context: TurnContext, turn: Turn) -> None:
        project = await self._desk.project(context, turn)
        if project is None:
            return
        spec = spec_of(project)
        original = int_value(turn.value, "original")
        if not any(m.number == original for m in spec.meetings):
            await replace_card(context, await self._desk.editor(project, t("pe.meeting_not_found"), attention=True))
            return
        meetings = tuple(replace(m, cancelled=True) if m.number == original else m for m in spec.meetings)
        notice = t("pe.meeting_cancelled_done", number=original)
        await self._desk.save(context, turn, project, replace(spec, meetings=meetings), notice)

    @router.verb("project_preview", role=Role.COORDINATOR, shared=True)
    @personal_only("ändra projekt")
    async def preview(self, context: TurnContext, turn: Turn) -> None:
        """The registration card exactly as participants get it, without its button."""
        project = await self._desk.project(context, turn)
        if project is None:
            return
        lines = [MeetingLine(m.number, m.title, m.starts_at, m.place) for m in project.meetings
                 if m.cancelled_at is None]
        organisations = [(o.key, o.name) for o in await self._desk.projects.organisations()]
        await send_card(context, registration_preview(project.id, project.name, lines, organisations))

    @router.verb("project_open", role=Role.COORDINATOR, shared=True)
    @personal_only("ändra projekt")
    async def open_registration(self, context: TurnContext, turn: Turn) -> None:
        project = await self._desk.project(context, turn)
        if project is None:
            return
        if not any(m.cancelled_at is None for m in project.meetings):
            await replace_card(context, await self._desk.editor(project, t("pe.open_needs_meetings"), attention=True))
            return
        spec = spec_of(project)
        state = "open" if spec.state == "planned" else spec.state
        await self._desk.save(context, turn, project, replace(spec, state=state, registration_closed=False),
                              t("pe.opened"))

    @router.verb("project_close", role=Role.COORDINATOR, shared=True)
    @personal_only("ändra projekt")
    async def close_registration(self, context: TurnContext, turn: Turn) -> None:
        project = await self._desk.project(context, turn)
        if project is not None and accepting(project):
            await self._desk.save(context, turn, project, replace(spec_of(project), registration_closed=True),
                                  t("pe.closed"))
        elif project is not None:
            await replace_card(context, await self._desk.editor(project))

    async def _template(self, project: Project, number: int) -> MeetingSpec | None:
        """For a copied project: the source project's meeting with this number (its texts, not its dates)."""
        if project.copied_from_id is None:
            return None
        source = await self._desk.projects.by_id(project.copied_from_id)
        meeting = next((m for m in source.meetings if m.number == number), None) if source else None
        return meeting_spec_of(meeting) if meeting is not None else None

    def _fields_of(self, project: Project) -> dict[str, Any]:
        day, clock = deadline_parts(project.registration_deadline, self._desk.zone)
        return {"name": project.name, "description": project.description, "contact": project.contact,
                "quota": str(project.quota_per_organisation), "capacity": str(project.capacity or ""),
                "deadline": day, "deadline_time": clock}
