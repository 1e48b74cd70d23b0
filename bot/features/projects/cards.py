"""Cards a coordinator runs a project with, in the personal chat, each updated in place: the project's
fields, its editor (meetings, registration, preview), one meeting, the evaluation questions, the list of
projects and the copy form. Every text a coordinator typed is escaped before it goes into a card."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.cards import Card, card, heading, paragraph, submit
from bot.core.i18n import count_phrase, format_deadline, format_time, format_when, t
from bot.core.input_rules import Problem
from bot.core.markdown import literal
from bot.features.evaluation.rules import Question
from bot.features.projects.rules import MAX_QUESTIONS
from bot.features.registration.cards import MeetingLine, Prefill, registration_form
from storage.models import Meeting, Project


@dataclass(frozen=True)
class Counts:
    registered: int
    waitlisted: int


def project_form(values: Mapping[str, Any], problems: Sequence[Problem], project_id: int | None,
                 version: int) -> Card:
    """The project's own fields; ``values`` are what the inputs show (the stored project, or what was
    typed when something was wrong: nothing typed is lost)."""
    body: list[dict[str, Any]] = [heading(t("pe.edit_title" if project_id else "pe.new_title"))]
    body += _problems(problems)
    body += [
        _text("name", values, required=True, placeholder=t("pe.placeholder.name"), limit=200),
        _text("description", values, multiline=True, limit=4000),
        _number("quota", values, low=1, high=50),
        _number("capacity", values, low=1, high=10000),
        _date("deadline", values),
        _time("deadline_time", values),
        _text("contact", values, required=True, placeholder=t("pe.placeholder.contact"), limit=300),
    ]
    data: dict[str, Any] = {"version": version}
    if project_id:
        data["project_id"] = project_id
    actions = [submit(t("pe.save" if project_id else "pe.save_draft"), "project_save", **data)]
    if project_id:
        actions.append(submit(t("pe.back"), "project_show", project_id=project_id))
    return card(body, actions)


def project_editor(project: Project, zone: ZoneInfo, counts: Counts, notice: str = "",
                   attention: bool = False) -> Card:
    """The project as it stands, with its meetings and what can be done next (six buttons at most)."""
    body: list[dict[str, Any]] = [heading(literal(project.name)),
                                  paragraph(t(f"pe.state.{project.state}"), isSubtle=True)]
    if notice:
        body.append(paragraph(notice, color="Attention" if attention else "Good", weight="Bolder"))
    if project.description:
        body.append(paragraph(literal(project.description)))
    body.append(paragraph("\n\n".join(_summary(project, zone, counts)), size="Small"))
    if not project.meetings:
        body.append(paragraph(t("pe.no_meetings"), isSubtle=True))
    body += [_meeting_block(meeting) for meeting in project.meetings]
    ids = {"project_id": project.id, "version": project.edit_version}
    actions = [submit(t("pe.add_meeting"), "project_meeting_new", **ids)]
    if project.meetings:
        body.append({"type": "Input.ChoiceSet", "id": "meeting_number", "label": t("pe.choose_meeting"),
                     "value": str(project.meetings[0].number),
                     "choices": [{"title": t("meeting.heading", number=m.number, title=m.title),
                                  "value": str(m.number)} for m in project.meetings]})
        actions.append(submit(t("pe.edit_meeting"), "project_meeting_edit", **ids))
    actions.append(submit(t("pe.edit_fields"), "project_edit_fields", **ids))
    actions.append(submit(t("pe.preview"), "project_preview", **ids))
    if accepting(project):
        actions.append(submit(t("pe.close"), "project_close", **ids))
    elif project.state in ("planned", "open", "running"):
        actions.append(submit(t("pe.open"), "project_open", **ids))
    actions.append(submit(t("pe.questions"), "project_questions", **ids))
    return card(body, actions[:6])


def accepting(project: Project) -> bool:
    return project.state in ("open", "running") and not project.registration_closed


def meeting_form(project: Project, values: Mapping[str, Any], problems: Sequence[Problem],
                 original: int | None, cancellable: bool, version: int | None = None) -> Card:
    """One meeting; ``original`` is the number of the meeting edited (None for a new one). ``version``:
    the project's edit version the card saves against (see desk.shown_version), the project's own by default."""
    title = t("pe.meeting_edit_title", number=original) if original else t("pe.meeting_new_title")
    body: list[dict[str, Any]] = [heading(title), paragraph(literal(project.name), isSubtle=True)]
    body += _problems(problems)
    body += [
        _number("number", values, low=1, high=999, required=True),
        _text("title", values, required=True, limit=300),
        _date("date", values, required=True),
        {"type": "ColumnSet", "columns": [
            {"type": "Column", "width": "stretch", "items": [_time("start", values, required=True)]},
            {"type": "Column", "width": "stretch", "items": [_time("end", values, required=True)]},
        ]},
        _text("place", values, limit=300),
        _text("online_link", values, placeholder=t("pe.placeholder.link"), limit=1000, style="Url"),
        _text("programme", values, multiline=True, limit=4000),
    ]
    ids: dict[str, Any] = {"project_id": project.id, "version": _version(project, version)}
    if original:
        ids["original"] = original
    actions = [submit(t("pe.save_meeting"), "project_meeting_save", **ids)]
    if original and cancellable:
        actions.append(submit(t("pe.cancel_meeting"), "project_meeting_cancel", **ids))
    actions.append(submit(t("pe.back"), "project_show", project_id=project.id))
    return card(body, actions)


def questions_form(project: Project, questions: Sequence[Question], problems: Sequence[Problem],
                   values: Mapping[str, Any] | None = None, version: int | None = None) -> Card:
    """The project's evaluation questions: the stored ones and empty rows to add more (ten at most).
    ``version`` as for meeting_form."""
    rows = min(MAX_QUESTIONS, len(questions) + 2)
    body: list[dict[str, Any]] = [heading(t("pe.questions_title")), paragraph(literal(project.name), isSubtle=True),
                                  paragraph(t("pe.questions_intro"), size="Small")]
    body += _problems(problems)
    for row in range(rows):
        question = questions[row] if row < len(questions) else None
        text = values.get(f"q{row}_text", "") if values is not None else (question.text if question else "")
        kind = values.get(f"q{row}_kind", "scale") if values is not None else (question.kind if question else "scale")
        required = (values.get(f"q{row}_required") == "true") if values is not None else bool(
            question and question.required)
        body.append({"type": "Container", "separator": True, "items": [
            {"type": "Input.Text", "id": f"q{row}_text", "label": t("pe.field.question", number=row + 1),
             "value": str(text), "maxLength": 300},
            {"type": "ColumnSet", "columns": [
                {"type": "Column", "width": "stretch", "items": [
                    {"type": "Input.ChoiceSet", "id": f"q{row}_kind", "value": str(kind), "style": "compact",
                     "label": t("pe.field.kind", number=row + 1),
                     "choices": [{"title": t("pe.kind.scale"), "value": "scale"},
                                 {"title": t("pe.kind.text"), "value": "text"}]}]},
                {"type": "Column", "width": "stretch", "verticalContentAlignment": "Bottom", "items": [
                    {"type": "Input.Toggle", "id": f"q{row}_required", "title": t("pe.field.required"),
                     "value": "true" if required else "false", "valueOn": "true", "valueOff": "false"}]},
            ]},
        ]})
    ids = {"project_id": project.id, "version": _version(project, version), "keys": [q.key for q in questions],
           "rows": rows}
    return card(body, [submit(t("pe.save"), "project_questions_save", **ids),
                       submit(t("pe.questions_default"), "project_questions_default", project_id=project.id,
                              version=_version(project, version)),
                       submit(t("pe.back"), "project_show", project_id=project.id)])


def _version(project: Project, version: int | None) -> int:
    return project.edit_version if version is None else version


@dataclass(frozen=True)
class ListedProject:
    project: Project
    counts: Counts
    next_step: str


def project_list(projects: Sequence[ListedProject]) -> Card:
    """Every project with its state, counts and next step; one choice and a few buttons act on it."""
    if not projects:
        return card([heading(t("pe.list_title")), paragraph(t("pe.list_empty"))],
                    [submit(t("pe.new"), "project_new")])
    body: list[dict[str, Any]] = [heading(t("pe.list_title"))]
    for item in projects:
        counts = t("pe.summary.counts", registered=count_phrase("count.registered", item.counts.registered),
                   waitlisted=item.counts.waitlisted)
        line = t("pe.list_line", state=t(f"pe.state.{item.project.state}"),
                 meetings=count_phrase("count.meetings", len(item.project.meetings)), counts=counts)
        body.append({"type": "Container", "separator": True, "items": [
            paragraph(literal(item.project.name), weight="Bolder"),
            paragraph(line, isSubtle=True, spacing="None"),
            paragraph(item.next_step, size="Small", spacing="None"),
        ]})
    body.append({"type": "Input.ChoiceSet", "id": "project_id", "label": t("pe.list_choose"),
                 "value": str(projects[0].project.id),
                 "choices": [{"title": item.project.name, "value": str(item.project.id)} for item in projects]})
    return card(body, [submit(t("pe.list_show"), "project_show"), submit(t("pe.new"), "project_new"),
                       submit(t("pe.copy"), "project_copy_start")])


def copy_form(projects: Sequence[Project], values: Mapping[str, Any], problems: Sequence[Problem]) -> Card:
    body: list[dict[str, Any]] = [heading(t("pe.copy_title")), paragraph(t("pe.copy_intro"), size="Small")]
    body += _problems(problems)
    body.append({"type": "Input.ChoiceSet", "id": "source_id", "label": t("pe.field.source"), "isRequired": True,
                 "errorMessage": t("project.choose_error"), "value": str(values.get("source_id") or projects[0].id),
                 "choices": [{"title": p.name, "value": str(p.id)} for p in projects]})
    body.append(_text("name", values, required=True, placeholder=t("pe.placeholder.name"), limit=200))
    return card(body, [submit(t("pe.copy"), "project_copy")])


def problem_text(problems: Sequence[Problem]) -> str:
    lines = [f"- {t(p.key, field=field_label(p.field), **dict(p.values))}" for p in problems]
    return t("project.form.problems") + "\n" + "\n".join(lines)


def field_label(field: str) -> str:
    match = re.fullmatch(r"q(\d+)_(text|kind)", field)
    if match:
        number = int(match[1]) + 1
        return t("pe.field.question" if match[2] == "text" else "pe.field.kind", number=number)
    return t(f"pe.field.{field}")


def _problems(problems: Sequence[Problem]) -> list[dict[str, Any]]:
    return [paragraph(problem_text(problems), color="Attention")] if problems else []


def _summary(project: Project, zone: ZoneInfo, counts: Counts) -> list[str]:
    lines = [t("pe.summary.quota", quota=project.quota_per_organisation),
             t("pe.summary.capacity", capacity=project.capacity) if project.capacity
             else t("pe.summary.no_capacity"),
             _deadline_line(project.registration_deadline, zone)]
    if project.contact:
        lines.append(t("pe.summary.contact", contact=literal(project.contact)))
    if project.state == "planned":
        lines.append(t("pe.summary.registration_draft"))
    else:
        lines.append(t("pe.summary.registration_open" if accepting(project) else "pe.summary.registration_closed"))
    lines.append(t("pe.summary.counts", registered=count_phrase("count.registered", counts.registered),
                   waitlisted=counts.waitlisted))
    return lines


def _deadline_line(deadline: datetime | None, zone: ZoneInfo) -> str:
    if deadline is None:
        return t("pe.summary.no_deadline")
    return t("pe.summary.deadline", when=format_deadline(deadline, zone))


def _meeting_block(meeting: Meeting) -> dict[str, Any]:
    heading_text = t("meeting.heading", number=meeting.number, title=literal(meeting.title))
    if meeting.cancelled_at is not None:
        heading_text = f"~~{heading_text}~~ {t('pe.meeting_cancelled')}"
    when = t("meeting.when", when=format_when(meeting.starts_at), end=format_time(meeting.ends_at))
    items = [paragraph(heading_text, weight="Bolder"), paragraph(when, spacing="None")]
    where = " · ".join(literal(part) for part in (meeting.place, meeting.online_link) if part)
    if where:
        items.append(paragraph(where, isSubtle=True, spacing="None"))
    return {"type": "Container", "separator": True, "items": items}


def _text(field: str, values: Mapping[str, Any], required: bool = False, multiline: bool = False,
          placeholder: str | None = None, limit: int | None = None, style: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "Input.Text", "id": field, "label": t(f"pe.field.{field}"),
                               "value": str(values.get(field) or "")}
    if required:
        element |= {"isRequired": True, "errorMessage": t("input.missing", field=t(f"pe.field.{field}"))}
    if multiline:
        element["isMultiline"] = True
    if placeholder:
        element["placeholder"] = placeholder
    if limit:
        element["maxLength"] = limit
    if style:
        element["style"] = style
    return element


def _number(field: str, values: Mapping[str, Any], low: int, high: int, required: bool = False) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "Input.Number", "id": field, "label": t(f"pe.field.{field}"),
                               "min": low, "max": high,
                               "errorMessage": t("project.form.whole_number", field=t(f"pe.field.{field}"),
                                                 low=low, high=high)}
    value = str(values.get(field) or "").strip()
    if value.isdigit():
        element["value"] = int(value)
    if required:
        element["isRequired"] = True
    return element


def _date(field: str, values: Mapping[str, Any], required: bool = False) -> dict[str, Any]:
    return _picker("Input.Date", "pe.placeholder.date", field, values, required)


def _time(field: str, values: Mapping[str, Any], required: bool = False) -> dict[str, Any]:
    return _picker("Input.Time", "pe.placeholder.time", field, values, required)


def _picker(kind: str, placeholder: str, field: str, values: Mapping[str, Any], required: bool) -> dict[str, Any]:
    """A date or time input with its Swedish placeholder, prefilled with what was typed."""
    element: dict[str, Any] = {"type": kind, "id": field, "label": t(f"pe.field.{field}"),
                               "placeholder": t(placeholder), "value": str(values.get(field) or "")}
    if required:
        element |= {"isRequired": True, "errorMessage": t("input.missing", field=t(f"pe.field.{field}"))}
    return element


def registration_preview(project_id: int, project_name: str, meetings: Sequence[MeetingLine],
                         organisations: Sequence[tuple[str, str]]) -> Card:
    """The registration card exactly as participants get it, without its button, under a note."""
    preview = registration_form(project_id, project_name, meetings, organisations, Prefill(), editing=False)
    preview.pop("actions", None)
    preview["body"].insert(0, paragraph(t("pe.preview_note"), color="Accent", weight="Bolder"))
    return preview
