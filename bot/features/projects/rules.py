"""The rules of the project cards (`nytt projekt`, `ändra projekt`): what the project and meeting forms
may contain. Plain functions over the submitted values (the client is not trusted); every problem names
its field, and the cards show them in Swedish. No I/O here."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.input_rules import Problem, clean_multiline, clean_text, is_web_address
from bot.features.evaluation.rules import DEFAULT_QUESTIONS, Question
from bot.features.projects.spec import MAX_LENGTHS, MAX_MEETING_NUMBER, MeetingSpec

MAX_QUOTA = 50
MAX_CAPACITY = 10000
MAX_DESCRIPTION = 4000
MAX_PROGRAMME = 4000
MAX_QUESTIONS = 10
MAX_QUESTION_TEXT = 300
_TIME = re.compile(r"([01]?\d|2[0-3])(?:[:.]([0-5]\d))?")


class ProjectFormInvalid(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(", ".join(f"{p.field}:{p.key}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class ProjectFields:
    """The project's own fields as the first card edits them."""

    name: str
    description: str
    quota_per_organisation: int
    capacity: int | None
    registration_deadline: datetime | None
    contact: str


def parse_project_fields(values: Mapping[str, Any], zone: ZoneInfo, now: datetime,
                         current_deadline: datetime | None = None) -> ProjectFields:
    """The project card's fields; a deadline already passed is refused unless it is the one stored."""
    problems: list[Problem] = []
    name = _text(values, "name", MAX_LENGTHS["name"], problems, required=True)
    description = _text(values, "description", MAX_DESCRIPTION, problems, multiline=True)
    contact = _text(values, "contact", MAX_LENGTHS["contact"], problems, required=True)
    quota = _whole(values.get("quota"), "quota", 1, MAX_QUOTA, problems, default=3)
    capacity = _whole(values.get("capacity"), "capacity", 1, MAX_CAPACITY, problems, default=None)
    deadline = _deadline(values, zone, problems)
    if deadline is not None and deadline <= now and deadline != current_deadline:
        problems.append(Problem("project.form.past", "deadline"))
    if problems:
        raise ProjectFormInvalid(problems)
    assert quota is not None
    return ProjectFields(name, description, quota, capacity, deadline, contact)


def parse_meeting(values: Mapping[str, Any], zone: ZoneInfo, now: datetime, taken: Sequence[int],
                  current: MeetingSpec | None = None) -> MeetingSpec:
    """A meeting from its card. ``taken``: the numbers of the project's other meetings. A time already
    passed is refused unless it is the meeting's stored time (editing only its place, say)."""
    problems: list[Problem] = []
    number = _whole(values.get("number"), "number", 1, MAX_MEETING_NUMBER, problems, default=None, required=True)
    if number is not None and number in taken:
        problems.append(Problem("project.form.number_taken", "number", (("number", number),)))
    title = _text(values, "title", MAX_LENGTHS["title"], problems, required=True)
    place = _text(values, "place", MAX_LENGTHS["place"], problems)
    link = _text(values, "online_link", MAX_LENGTHS["online_link"], problems)
    if link and not is_web_address(link):
        problems.append(Problem("project.form.link_invalid", "online_link"))
    programme = _text(values, "programme", MAX_PROGRAMME, problems, multiline=True)
    day = _date(values.get("date"), "date", problems, required=True)
    start = _clock(values.get("start"), "start", problems)
    end = _clock(values.get("end"), "end", problems)
    starts_at = ends_at = None
    if day is not None and start is not None and end is not None:
        starts_at = _moment(day, start, zone, "start", problems)
        ends_at = _moment(day, end, zone, "end", problems)
    if starts_at is not None and ends_at is not None:
        if ends_at <= starts_at:
            problems.append(Problem("project.form.end_before_start", "end"))
        unchanged = current is not None and current.starts_at == starts_at
        if starts_at <= now and not unchanged:
            problems.append(Problem("project.form.past", "date"))
    if problems:
        raise ProjectFormInvalid(problems)
    assert number is not None and starts_at is not None and ends_at is not None
    return MeetingSpec(number, title, starts_at, ends_at, place, link, programme,
                       cancelled=current.cancelled if current is not None else False)


def parse_questions(values: Mapping[str, Any], keys: Sequence[str], rows: int) -> tuple[Question, ...]:
    """The evaluation card: row i has ``q{i}_text``, ``q{i}_kind`` (scale or text) and ``q{i}_required``.
    A row left empty is dropped; ``keys`` are the stored questions' keys (kept, so results still match)."""
    problems: list[Problem] = []
    questions: list[Question] = []
    used = set(keys)
    for row in range(rows):
        field = f"q{row}_text"
        text = clean_text(values.get(field))
        if not text:
            continue
        if len(text) > MAX_QUESTION_TEXT:
            problems.append(Problem("input.too_long", field, (("limit", MAX_QUESTION_TEXT),)))
        kind = values.get(f"q{row}_kind")
        if kind not in ("scale", "text"):
            problems.append(Problem("project.form.kind_invalid", f"q{row}_kind"))
            continue
        key = keys[row] if row < len(keys) else _new_key(used)
        used.add(key)
        required = str(values.get(f"q{row}_required", "")).lower() == "true"
        questions.append(Question(key, text, kind, required))
    if not questions and not problems:
        problems.append(Problem("project.form.no_questions", "q0_text"))
    if problems:
        raise ProjectFormInvalid(problems)
    return tuple(questions)


def default_questions() -> tuple[Question, ...]:
    """The region's own form: three scale questions and the free texts."""
    return DEFAULT_QUESTIONS


def slug_for(name: str, year: int) -> str:
    """An address-safe name for a new project ("Service på landsbygden" -> service-pa-landsbygden-2027)."""
    plain = unicodedata.normalize("NFKD", name.lower())
    ascii_only = "".join(ch for ch in plain if not unicodedata.combining(ch))
    words = re.findall(r"[a-z0-9]+", ascii_only)
    base = "-".join(words)[:60].strip("-") or "projekt"
    return base if base.endswith(str(year)) else f"{base}-{year}"


def local_parts(moment: datetime | None, zone: ZoneInfo) -> tuple[str, str]:
    """A stored moment as the cards' date and time inputs ("2027-05-03", "10:00")."""
    if moment is None:
        return "", ""
    local = moment.astimezone(zone)
    return local.date().isoformat(), f"{local:%H:%M}"


def deadline_parts(deadline: datetime | None, zone: ZoneInfo) -> tuple[str, str]:
    """A deadline at midnight is the whole day before: shown as that day with no time."""
    day, clock = local_parts(deadline, zone)
    if deadline is not None and clock == "00:00":
        return (date.fromisoformat(day) - timedelta(days=1)).isoformat(), ""
    return day, clock


def _new_key(used: set[str]) -> str:
    return next(f"q{n}" for n in range(1, MAX_QUESTIONS + len(used) + 2) if f"q{n}" not in used)


def _text(values: Mapping[str, Any], field: str, limit: int, problems: list[Problem], required: bool = False,
          multiline: bool = False) -> str:
    raw = values.get(field)
    text = clean_multiline(raw) if multiline else clean_text(raw)
    if required and not text:
        problems.append(Problem("input.missing", field))
    elif len(text) > limit:
        problems.append(Problem("input.too_long", field, (("limit", limit),)))
    return text


def _whole(raw: Any, field: str, low: int, high: int, problems: list[Problem], default: int | None,
           required: bool = False) -> int | None:
    text = clean_text(raw)
    if text.endswith(".0"):
        text = text[:-2]
    if not text:
        if required:
            problems.append(Problem("input.missing", field))
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        problems.append(Problem("project.form.whole_number", field, (("low", low), ("high", high))))
        return default
    return int(text)


def _date(raw: Any, field: str, problems: list[Problem], required: bool = False) -> date | None:
    text = clean_text(raw)
    if not text:
        if required:
            problems.append(Problem("input.missing", field))
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(Problem("project.form.date_invalid", field))
        return None


def _clock(raw: Any, field: str, problems: list[Problem]) -> time | None:
    text = clean_text(raw)
    if not text:
        problems.append(Problem("input.missing", field))
        return None
    match = _TIME.fullmatch(text)
    if match is None:
        problems.append(Problem("project.form.time_invalid", field))
        return None
    return time(int(match[1]), int(match[2] or 0))


def _moment(day: date, clock: time, zone: ZoneInfo, field: str, problems: list[Problem]) -> datetime | None:
    local = datetime.combine(day, clock, tzinfo=zone)
    moment = local.astimezone(UTC)
    if moment.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        problems.append(Problem("project.form.time_missing", field))
        return None
    return moment


def _deadline(values: Mapping[str, Any], zone: ZoneInfo, problems: list[Problem]) -> datetime | None:
    """A date alone is open through that whole day (closes at the next midnight); with a time, then."""
    day = _date(values.get("deadline"), "deadline", problems)
    clock_text = clean_text(values.get("deadline_time"))
    if day is None:
        if clock_text:
            problems.append(Problem("input.missing", "deadline"))
        return None
    if not clock_text:
        return _moment(day + timedelta(days=1), time(0), zone, "deadline", problems)
    clock = _clock(clock_text, "deadline_time", problems)
    return _moment(day, clock, zone, "deadline_time", problems) if clock is not None else None
