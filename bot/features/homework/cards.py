"""Homework cards: the coordinator's task form and confirmation, the task a participant answers
in, the thank-you that replaces it, and the coordinator's list and compilation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from bot.core.cards import Card, card, heading, largest_that_fits, paragraph, submit
from bot.core.i18n import format_span, format_when, t
from bot.core.input_rules import links_from_text
from bot.core.markdown import link_to, literal
from bot.core.meetings import MeetingView
from bot.features.homework.rules import ANSWER_TEXTS, TASK_TEXTS
from bot.features.homework.service import Answered, Compilation, Task
from storage.models import Submission

ANSWER_IN_CARD = 700
"""Longer answers are shortened in the compilation card (the export has them in full)."""
MAX_ANSWERS_IN_CARD = 30


def task_form(project_id: int, project_name: str, meetings: Sequence[MeetingView], default_day: date) -> Card:
    title, instructions = TASK_TEXTS
    body: list[dict[str, Any]] = [
        heading(t("homework.form_title")),
        paragraph(literal(project_name), weight="Bolder"),
        {"type": "Input.ChoiceSet", "id": "meeting_id", "label": t("input.field.meeting_id"), "isRequired": True,
         "errorMessage": t("input.meeting_unknown"), "value": str(meetings[0].id) if meetings else "",
         "choices": [{"title": t("meeting.choice", number=m.number, when=format_span(m.starts_at, m.ends_at),
                                 title=m.title), "value": str(m.id)} for m in meetings]},
        {"type": "Input.Text", "id": "title", "label": t("input.field.title"), "maxLength": title.limit,
         "isRequired": True, "errorMessage": t("input.missing", field=t("input.field.title"))},
        {"type": "Input.Text", "id": "instructions", "label": t("input.field.instructions"), "isMultiline": True,
         "maxLength": instructions.limit},
        {"type": "Input.Date", "id": "deadline_date", "label": t("input.field.deadline_date"),
         "placeholder": t("input.date_placeholder"),
         "value": default_day.isoformat(), "isRequired": True, "errorMessage": t("input.deadline_missing")},
        {"type": "Input.Time", "id": "deadline_time", "label": t("input.field.deadline_time"),
         "placeholder": t("input.time_placeholder"), "value": "12:00"},
    ]
    return card(body, [submit(t("homework.post"), "homework_create", project_id=project_id)])


def task_created(title: str, people: int, nudge_at: datetime | None, compilation_at: datetime,
                 created: bool) -> Card:
    lines = [paragraph(t("homework.created" if created else "homework.already_created", title=literal(title),
                         count=people),
                       weight="Bolder", color="Good")]
    if nudge_at is not None:
        lines.append(paragraph(t("homework.nudge_planned", when=format_when(nudge_at))))
    lines.append(paragraph(t("homework.compilation_planned", when=format_when(compilation_at))))
    return card(lines)


def task_card(task: Task, previous: Submission | None = None, nudge: bool = False) -> Card:
    """The task with its answer inputs (prefilled with an earlier answer, which a new one replaces)."""
    assignment = task.assignment
    body: list[dict[str, Any]] = []
    if nudge:
        body.append(paragraph(t("homework.nudge", deadline=format_when(assignment.deadline)), weight="Bolder",
                              color="Accent"))
    body += [heading(t("homework.task_title", title=literal(assignment.title))), paragraph(_where(task), isSubtle=True)]
    if assignment.instructions:
        body.append(paragraph(literal(assignment.instructions)))
    body.append(paragraph(t("homework.deadline", deadline=format_when(assignment.deadline)), weight="Bolder"))
    body += [
        {"type": "Input.Text", "id": "answer", "label": t("input.field.answer"), "isMultiline": True,
         "maxLength": ANSWER_TEXTS[0].limit, "isRequired": True, "value": previous.text if previous else "",
         "errorMessage": t("input.missing", field=t("input.field.answer"))},
        {"type": "Input.Text", "id": "links", "label": t("input.field.links"), "isMultiline": True,
         "placeholder": t("input.links_placeholder"), "value": previous.links if previous else ""},
    ]
    label = "homework.submit_change" if previous else "homework.submit"
    return card(body, [submit(t(label), "homework_answer", assignment_id=assignment.id)])


def answer_saved(assignment_id: int, first: bool) -> Card:
    return card([paragraph(t("homework.thanks" if first else "homework.thanks_changed"), weight="Bolder",
                           color="Good")],
                [submit(t("homework.change"), "homework_open", assignment_id=assignment_id)])


def tasks_card(project_name: str, lines: Sequence[tuple[Task, int, int]]) -> Card:
    """(task, answered, asked) per assignment, with a button to each compilation."""
    if not lines:
        return card([heading(t("homework.list_title")), paragraph(literal(project_name), isSubtle=True),
                     paragraph(t("homework.none"))])
    body = [heading(t("homework.list_title")), paragraph(literal(project_name), isSubtle=True)]
    body += [paragraph(t("homework.list_line", title=literal(task.assignment.title), where=_where(task),
                         answered=answered,
                         asked=asked, deadline=format_when(task.assignment.deadline)), spacing="Small")
             for task, answered, asked in lines]
    actions = [submit(t("homework.show_compilation", title=task.assignment.title[:40]), "homework_compilation",
                      assignment_id=task.assignment.id) for task, _, _ in lines[:5]]
    return card(body, actions)


def compilation_card(compilation: Compilation, delivered: bool = False) -> Card:
    """The answers, as many (up to 30) as keep the card within Teams' message size; all are in the export."""
    return largest_that_fits(lambda shown: _compilation_card(compilation, delivered, shown),
                             min(MAX_ANSWERS_IN_CARD, len(compilation.answers)))


def _compilation_card(compilation: Compilation, delivered: bool, shown: int) -> Card:
    task = compilation.task
    asked = len(compilation.answers) + len(compilation.missing)
    body: list[dict[str, Any]] = []
    if delivered:
        body.append(paragraph(t("homework.compilation_delivered"), weight="Bolder", color="Accent"))
    body += [heading(t("homework.compilation_title", title=literal(task.assignment.title))),
             paragraph(_where(task), isSubtle=True),
             paragraph(t("homework.compilation_count", answered=len(compilation.answers), asked=asked))]
    for answered in compilation.answers[:shown]:
        body.append({"type": "Container", "separator": True, "spacing": "Medium", "items": _answer_items(answered)})
    if len(compilation.answers) > shown:
        body.append(paragraph(t("homework.more_in_export"), isSubtle=True))
    if compilation.missing:
        names = literal(", ".join(f"{p.name} ({p.organisation_name})" for p in compilation.missing))
        body.append(paragraph(t("homework.missing", names=names), spacing="Medium"))
    export = submit(t("overview.export_xlsx"), "homework_export", assignment_id=task.assignment.id)
    return card(body, [export])


def _answer_items(answered: Answered) -> list[dict[str, Any]]:
    who = (f"{answered.participant.name}, {answered.participant.organisation_name}" if answered.participant
           else t("homework.unknown_person"))
    submission = answered.submission
    text = submission.text if len(submission.text) <= ANSWER_IN_CARD else submission.text[:ANSWER_IN_CARD] + "…"
    items = [paragraph(literal(who), weight="Bolder"), paragraph(literal(text))]
    links = links_from_text(submission.links)
    if links:
        items.append(paragraph("\n".join(f"- {link_to(link)}" for link in links), size="Small"))
    items.append(paragraph(t("homework.answered_at", when=format_when(submission.updated_at)), size="Small",
                           isSubtle=True, spacing="None"))
    return items


def _where(task: Task) -> str:
    if task.meeting is None:
        return task.project.name
    return t("homework.where", project=literal(task.project.name), number=task.meeting.number,
             title=literal(task.meeting.title))
