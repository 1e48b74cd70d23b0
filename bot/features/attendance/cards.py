"""Attendance cards: the check-in card at a meeting's start ("Jag är här"), its confirmation, and
the coordinator's attendance list with a toggle per registered person and per substitute."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.core.cards import Card, card, heading, paragraph, submit
from bot.core.i18n import format_span, format_time, t
from bot.core.markdown import literal
from bot.core.meetings import MeetingView
from bot.features.attendance.service import PRESENT_PREFIX, AttendanceSheet, ListedParticipant


def checkin_card(project_name: str, meeting: MeetingView) -> Card:
    body = [
        heading(t("checkin.title", number=meeting.number)),
        paragraph(literal(f"{project_name} · {meeting.title}"), isSubtle=True),
        paragraph(format_span(meeting.starts_at, meeting.ends_at)),
        paragraph(t("checkin.body")),
    ]
    return card(body, [submit(t("checkin.button"), "checkin", meeting_id=meeting.id)])


def checked_in_text(name: str, meeting: MeetingView, at: datetime, new: bool) -> str:
    key = "checkin.done" if new else "checkin.already"
    return t(key, name=literal(name) if name else t("checkin.you"), number=meeting.number, time=format_time(at))


def checked_in_card(name: str, meeting: MeetingView, at: datetime, new: bool) -> Card:
    return card([paragraph(checked_in_text(name, meeting, at, new))])


def _listed(person: ListedParticipant) -> str:
    title = f"{person.name} ({person.organisation})"
    if person.stands_in_for:
        return t("attendance.stands_in", person=title, holder=person.stands_in_for)
    return t("attendance.absent", person=title) if person.absent else title


def attendance_card(sheet: AttendanceSheet, meetings: Sequence[MeetingView]) -> Card:
    meeting, project_id = sheet.meeting, sheet.project.id
    body: list[dict[str, Any]] = [
        heading(t("attendance.title")),
        paragraph(literal(sheet.project.name), weight="Bolder"),
        paragraph(t("attendance.meeting", number=meeting.number, title=literal(meeting.title),
                    when=format_span(meeting.starts_at, meeting.ends_at))),
        paragraph(t("attendance.summary", present=sheet.present_count, registered=len(sheet.participants))),
    ]
    if sheet.absent_count or sheet.substitute_count:
        body.append(paragraph(t("attendance.away", absent=sheet.absent_count, substitutes=sheet.substitute_count)))
    others = [m for m in meetings if m.id != meeting.id]
    if others:
        body.append({"type": "ActionSet", "actions": [
            submit(t("attendance.other_meeting", number=m.number), "attendance_open", project_id=project_id,
                   meeting_id=m.id) for m in others]})
    if not sheet.participants:
        body.append(paragraph(t("attendance.nobody")))
        return card(body)
    body += [
        {"type": "Input.Toggle", "id": f"{PRESENT_PREFIX}{p.person_id}", "title": _listed(p),
         "value": "true" if p.present else "false", "valueOn": "true", "valueOff": "false"}
        for p in sheet.participants
    ]
    return card(body, [submit(t("attendance.save"), "attendance_save", project_id=project_id,
                              meeting_id=meeting.id)])
