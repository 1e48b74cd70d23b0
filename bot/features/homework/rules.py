"""The rules of homework (hemuppgifter) as plain functions: what a valid task and answer are,
when the reminder and the coordinator's compilation are due, and until when answers count."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.input_rules import FormInvalid, Problem, TextLimit, parse_deadline, parse_links, read_texts

TASK_TEXTS = (TextLimit("title", 300, required=True), TextLimit("instructions", 4000, multiline=True))
ANSWER_TEXTS = (TextLimit("answer", 4000, required=True, multiline=True),)
NUDGE_LEAD = timedelta(days=1)
"""The reminder to those who have not answered goes this long before the deadline..."""
MIN_NUDGE_GAP = timedelta(hours=6)
"""...but never sooner than this after the task went out."""
COMPILE_LEAD = timedelta(days=1)
"""The coordinator's compilation comes at the deadline, or a day before the meeting when the
deadline is earlier than that (late answers still make it in)."""


@dataclass(frozen=True)
class MeetingChoice:
    id: int
    starts_at: datetime


@dataclass(frozen=True)
class TaskForm:
    meeting_id: int
    title: str
    instructions: str
    deadline: datetime


@dataclass(frozen=True)
class AnswerForm:
    text: str
    links: tuple[str, ...]


def parse_task(values: Mapping[str, Any], meetings: Sequence[MeetingChoice], zone: ZoneInfo,
               now: datetime) -> TaskForm:
    """Validate the coordinator's task card: a meeting still ahead, a title, and a deadline
    between now and the meeting's start. Raises FormInvalid listing every problem."""
    problems: list[Problem] = []
    texts = read_texts(values, TASK_TEXTS, problems)
    meeting = _meeting(values.get("meeting_id"), meetings, now)
    if meeting is None:
        problems.append(Problem("input.meeting_unknown", "meeting_id"))
    deadline = parse_deadline(values.get("deadline_date"), values.get("deadline_time"), zone, now, problems)
    if deadline is not None and meeting is not None and deadline > meeting.starts_at:
        problems.append(Problem("input.deadline_after_meeting", "deadline"))
    if problems or meeting is None or deadline is None:
        raise FormInvalid(problems)
    return TaskForm(meeting.id, texts["title"], texts["instructions"], deadline)


def _meeting(raw: Any, meetings: Sequence[MeetingChoice], now: datetime) -> MeetingChoice | None:
    text = str(raw).strip() if raw is not None and not isinstance(raw, bool) else ""
    if not text.isdigit():
        return None
    return next((m for m in meetings if m.id == int(text) and m.starts_at > now), None)


def parse_answer(values: Mapping[str, Any]) -> AnswerForm:
    problems: list[Problem] = []
    texts = read_texts(values, ANSWER_TEXTS, problems)
    links = parse_links(values.get("links"), problems)
    if problems:
        raise FormInvalid(problems)
    return AnswerForm(texts["answer"], links)


def nudge_time(posted_at: datetime, deadline: datetime) -> datetime | None:
    """NUDGE_LEAD before the deadline, not sooner than MIN_NUDGE_GAP after posting; None when
    the deadline is too close for a reminder to help."""
    due = max(deadline - NUDGE_LEAD, posted_at + MIN_NUDGE_GAP)
    return due if due < deadline else None


def compilation_time(deadline: datetime, meeting_starts_at: datetime | None) -> datetime:
    if meeting_starts_at is None:
        return deadline
    return min(max(deadline, meeting_starts_at - COMPILE_LEAD), meeting_starts_at)


def answers_open(deadline: datetime, meeting_starts_at: datetime | None, now: datetime) -> bool:
    """Answers are taken until the meeting starts (late ones too: they are still worth
    discussing); without a meeting, until the deadline."""
    return now < (meeting_starts_at or deadline)
