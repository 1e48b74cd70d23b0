"""Attendance in Teams: a participant's "Jag är här" on the check-in card, and the coordinator's
`närvaro` list with a toggle per registered person."""

from __future__ import annotations

from botbuilder.core import TurnContext

from bot.core.actions import int_value, replace_card, send_card
from bot.core.clock import Clock
from bot.core.commands import Role
from bot.core.i18n import format_when, t
from bot.core.router import Router
from bot.core.turn import Turn
from bot.features.attendance.cards import attendance_card, checked_in_card, checked_in_text
from bot.features.attendance.service import (
    OPENS_BEFORE,
    AttendanceList,
    CheckInService,
    NotOpen,
    NotRegistered,
    default_meeting,
)
from bot.features.projects.choice import chosen_project
from storage.models import Meeting, Project
from storage.projects import ProjectRepository

router = Router("attendance")


class CheckInActions:
    """Anyone registered for the meeting: one tap, stored once."""

    def __init__(self, service: CheckInService) -> None:
        self._service = service

    @router.verb("checkin", shared=True)
    async def check_in(self, context: TurnContext, turn: Turn) -> None:
        meeting_id = int_value(turn.value, "meeting_id")
        result = await self._service.check_in(turn.person_id, meeting_id) if meeting_id and turn.person_id else None
        if result is None:
            await context.send_activity(t("card.unknown_action"))
        elif isinstance(result, NotRegistered):
            await context.send_activity(t("checkin.not_registered", number=result.meeting.number))
        elif isinstance(result, NotOpen):
            await context.send_activity(_not_open(result))
        elif turn.in_channel:
            # The channel's card is everyone's: it stays, the confirmation is a reply.
            await context.send_activity(checked_in_text(turn.name, result.meeting, result.at, result.new))
        else:
            await replace_card(context, checked_in_card(turn.name, result.meeting, result.at, result.new))


def _not_open(result: NotOpen) -> str:
    if result.too_early:
        return t("checkin.too_early", number=result.meeting.number,
                 when=format_when(result.meeting.starts_at - OPENS_BEFORE))
    return t("checkin.closed", number=result.meeting.number)


class AttendanceListActions:
    """Coordinators mark attendance from the list of people registered for a meeting."""


    def __init__(self, projects: ProjectRepository, attendance: AttendanceList,
                 clock: Clock) -> None:
        self._projects = projects
        self._attendance = attendance
        self._clock = clock

    @router.command("närvaro", "narvaro", "attendance", role=Role.COORDINATOR, in_manifest=False, personal=True)
    @router.verb("attendance_open", role=Role.COORDINATOR)
    async def open(self, context: TurnContext, turn: Turn) -> None:
        chosen = await self._meeting(context, turn)
        if chosen is not None:
            project, meeting = chosen
            await send_card(context, attendance_card(await self._attendance.sheet(project, meeting), project.meetings))

    @router.verb("attendance_save", role=Role.COORDINATOR)
    async def save(self, context: TurnContext, turn: Turn) -> None:
        chosen = await self._meeting(context, turn)
        if chosen is None:
            return
        project, meeting = chosen
        try:
            change = await self._attendance.save(meeting, turn.value)
        except ValueError:
            await context.send_activity(t("attendance.tampered"))
            return
        sheet = await self._attendance.sheet(project, meeting)
        await replace_card(context, attendance_card(sheet, project.meetings))
        key = "attendance.saved" if change.added or change.removed else "attendance.unchanged"
        await context.send_activity(t(key, number=meeting.number, present=sheet.present_count,
                                      registered=len(sheet.participants), added=change.added,
                                      removed=change.removed))

    async def _meeting(self, context: TurnContext, turn: Turn) -> tuple[Project, Meeting] | None:
        project = await chosen_project(
            context, turn, await self._projects.all_projects(), "attendance_open", "report.no_projects"
        )
        if project is None:
            return None
        meeting_id = int_value(turn.value, "meeting_id")
        if meeting_id is None:
            meeting = default_meeting(project.meetings, self._clock())
            if meeting is None:
                await context.send_activity(t("attendance.no_meetings", project=project.name))
                return None
            return project, meeting
        meeting = next((m for m in project.meetings if m.id == meeting_id), None)
        if meeting is None:
            await context.send_activity(t("card.unknown_action"))
            return None
        return project, meeting
