"""A learning project as written in a YAML file: parsing and validation into a ProjectSpec.

The file is what a coordinator edits, so every mistake is reported in Swedish, naming the field
and the meeting. Times in the file are local wall-clock times (Europe/Stockholm); the spec holds UTC.

Format::

    slug: planering-2027                 # [a-z0-9-], used in addresses and calendar UIDs
    name: Planering för hållbarhet och utvecklingskraft
    description: |                       # optional
      ...
    quota_per_organisation: 3            # optional, default 3 (places per municipality)
    capacity: 45                         # optional, no total limit when left out
    registration_deadline: 2027-04-14    # optional; a date means open through the end of that day,
                                         # "2027-04-14 16:00" closes at that local time
    state: open                          # optional: planned, open, running, finished or alumni
    registration_closed: false           # optional: true when registration was closed by hand
    contact: linnea.hassis@regiondalarna.se, 023-77 70 04
    reminders: 7d,1d                     # optional, the default: days before (at the meeting's time), "morning"
    evaluation_questions:                # optional; the region's default questions when left out
      - key: knowledge                   # [a-z_], unique
        text: Träffen gav mig nya kunskaper
        kind: scale                      # scale (five steps) or text
        required: true
    meetings:
      - number: 1
        title: ...
        date: 2027-05-03
        start: "10:00"                   # quote times: YAML reads 10:00 unquoted as the number 600
        end: "15:00"
        place: Falun                     # optional
        online_link: ""                  # optional
        programme: |                     # optional
          ...
        cancelled: false                 # optional: true for a cancelled meeting

Unknown keys are errors, so a misspelt optional field is never silently ignored.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from bot.features.evaluation.rules import Question, validate_questions
from bot.features.reminders.rules import parse_offsets

STATES = ("planned", "open", "running", "finished", "alumni")
SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

PROJECT_KEYS = (
    "slug",
    "name",
    "description",
    "quota_per_organisation",
    "capacity",
    "registration_deadline",
    "state",
    "registration_closed",
    "contact",
    "reminders",
    "evaluation_questions",
    "meetings",
)
MEETING_KEYS = ("number", "title", "date", "start", "end", "place", "online_link", "programme", "cancelled")

# Column lengths in storage.models: reported here rather than as a database error.
MAX_LENGTHS = {"slug": 80, "name": 200, "contact": 300, "title": 300, "place": 300, "online_link": 1000}
MAX_MEETING_NUMBER = 999


class ProjectFileError(ValueError):
    """The project file is not valid; the message says where and what, in Swedish."""


@dataclass(frozen=True)
class MeetingSpec:
    """One meeting (träff) as defined in the file; times are aware UTC."""

    number: int
    title: str
    starts_at: datetime
    ends_at: datetime
    place: str = ""
    online_link: str = ""
    programme: str = ""
    cancelled: bool = False


@dataclass(frozen=True)
class ProjectSpec:
    """A learning project as defined in the file; the deadline is the aware UTC moment it closes."""

    slug: str
    name: str
    description: str = ""
    quota_per_organisation: int = 3
    capacity: int | None = None
    registration_deadline: datetime | None = None
    state: str = "open"
    registration_closed: bool = False
    contact: str = ""
    meetings: tuple[MeetingSpec, ...] = ()
    reminders: str = "7d,1d"
    evaluation_questions: tuple[Question, ...] | None = None
    """None: the region's default questions."""


def parse_project_yaml(text: str, zone: ZoneInfo) -> ProjectSpec:
    """The project in ``text``; raises ProjectFileError naming the field (and meeting) that is wrong."""
    data = _load_mapping(text)
    _reject_unknown_keys(data, PROJECT_KEYS, "")
    deadline = data.get("registration_deadline")
    spec = ProjectSpec(
        slug=_required_text(data, "slug", ""),
        name=_required_text(data, "name", ""),
        description=_optional_text(data, "description", ""),
        quota_per_organisation=_positive_int(data, "quota_per_organisation", "", default=3),
        capacity=_optional_positive_int(data, "capacity", ""),
        registration_deadline=None if deadline is None else _deadline(deadline, zone),
        state=_optional_text(data, "state", "") or "open",
        registration_closed=_flag(data, "registration_closed", ""),
        contact=_optional_text(data, "contact", ""),
        meetings=_meetings(data.get("meetings"), zone),
        reminders=_reminders(data.get("reminders")),
        evaluation_questions=_questions(data.get("evaluation_questions")),
    )
    return validate_spec(spec)


def validate_spec(spec: ProjectSpec) -> ProjectSpec:
    """Check the rules that hold however a spec was made; returns it unchanged when valid."""
    if not SLUG_PATTERN.fullmatch(spec.slug):
        raise ProjectFileError(
            f"Fältet 'slug' ({spec.slug!r}) får bara innehålla små bokstäver a–z, siffror och bindestreck, "
            "till exempel planering-2027."
        )
    _check_length("slug", spec.slug, "")
    _check_length("name", spec.name, "")
    _check_length("contact", spec.contact, "")
    if spec.quota_per_organisation < 1:
        raise ProjectFileError("Fältet 'quota_per_organisation' måste vara minst 1.")
    if spec.capacity is not None and spec.capacity < 1:
        raise ProjectFileError("Fältet 'capacity' måste vara minst 1 (eller utelämnas för obegränsat).")
    if spec.state not in STATES:
        raise ProjectFileError(f"Fältet 'state' ({spec.state!r}) måste vara ett av: {', '.join(STATES)}.")
    _require_aware(spec.registration_deadline, "registration_deadline", "")
    seen: set[int] = set()
    for meeting in spec.meetings:
        if meeting.number in seen:
            raise ProjectFileError(f"Träff {meeting.number} finns två gånger: varje träff behöver ett eget nummer.")
        seen.add(meeting.number)
        _validate_meeting(meeting)
    return spec


def _validate_meeting(meeting: MeetingSpec) -> None:
    where = f"Träff {meeting.number}: "
    if not 1 <= meeting.number <= MAX_MEETING_NUMBER:
        raise ProjectFileError(f"{where}fältet 'number' måste vara ett heltal från 1 till {MAX_MEETING_NUMBER}.")
    for field_name in ("title", "place", "online_link"):
        _check_length(field_name, getattr(meeting, field_name), where)
    _require_aware(meeting.starts_at, "start", where)
    _require_aware(meeting.ends_at, "end", where)
    if meeting.ends_at <= meeting.starts_at:
        raise ProjectFileError(f"{where}sluttiden ('end') måste vara senare än starttiden ('start').")


def _load_mapping(text: str) -> Mapping[str, Any]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        if root is None:
            raise ProjectFileError("Filen är tom.")
        _check_nodes(root, "")
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f" på rad {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ProjectFileError(f"Filen är inte giltig YAML{line}: {problem}.") from error
    if not isinstance(data, dict):
        raise ProjectFileError("Filen ska bestå av fält som 'slug: ...' och 'name: ...', inte en lista eller text.")
    return data


def _check_nodes(node: yaml.Node, where: str, visited: set[int] | None = None) -> None:
    """Find what safe_load would hide: a key written twice (the last silently wins) and an impossible
    date such as 2027-02-30 (a bare ValueError that says neither field nor line)."""
    visited = set() if visited is None else visited
    if id(node) in visited:  # an alias (*name) refers back to a node already checked, maybe its own parent
        return
    visited.add(id(node))
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _check_nodes(item, _meeting_where(item) or where, visited)
    if not isinstance(node, yaml.MappingNode):
        return
    seen: set[str] = set()
    for key_node, value_node in node.value:
        key, line = str(key_node.value), key_node.start_mark.line + 1
        if key in seen:
            raise _error(where, f"fältet '{key}' står två gånger (andra gången på rad {line}).")
        seen.add(key)
        if value_node.tag == "tag:yaml.org,2002:timestamp":
            try:
                yaml.safe_load(value_node.value)
            except ValueError as error:
                raise _error(
                    where, f"fältet '{key}' på rad {line}: {value_node.value} är inget giltigt datum."
                ) from error
        _check_nodes(value_node, where, visited)


def _meeting_where(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == "number" and isinstance(value_node, yaml.ScalarNode):
                return f"Träff {value_node.value}: "
    return ""


def _reject_unknown_keys(data: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    for key in data:
        if key in allowed:
            continue
        guess = difflib.get_close_matches(str(key), allowed, n=1)
        hint = f" Menade du '{guess[0]}'?" if guess else f" Giltiga fält är: {', '.join(allowed)}."
        raise _error(where, f"okänt fält '{key}'.{hint}")


def _meetings(raw: object, zone: ZoneInfo) -> tuple[MeetingSpec, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ProjectFileError("Fältet 'meetings' ska vara en lista med träffar (rader som börjar med '- ').")
    meetings = [_meeting(item, index, zone) for index, item in enumerate(raw, start=1)]
    return tuple(sorted(meetings, key=lambda meeting: meeting.number))


def _meeting(item: object, position: int, zone: ZoneInfo) -> MeetingSpec:
    if not isinstance(item, dict):
        raise ProjectFileError(f"Träff på plats {position} i listan 'meetings' ska ha fält som 'number:' och 'title:'.")
    number = item.get("number")
    if isinstance(number, bool) or not isinstance(number, int):
        raise ProjectFileError(
            f"Träff på plats {position} i listan 'meetings': fältet 'number' saknas eller är inget heltal."
        )
    where = f"Träff {number}: "
    _reject_unknown_keys(item, MEETING_KEYS, where)
    day = _date(item.get("date"), "date", where)
    return MeetingSpec(
        number=number,
        title=_required_text(item, "title", where),
        starts_at=_local_to_utc(day, _time(item.get("start"), "start", where), zone, "start", where),
        ends_at=_local_to_utc(day, _time(item.get("end"), "end", where), zone, "end", where),
        place=_optional_text(item, "place", where),
        online_link=_optional_text(item, "online_link", where),
        programme=_optional_text(item, "programme", where),
        cancelled=_flag(item, "cancelled", where),
    )


def _reminders(raw: object) -> str:
    if raw is None:
        return "7d,1d"
    text = str(raw).strip()
    try:
        parse_offsets(text)
    except ValueError:
        raise _error("", "reminders ska vara till exempel 7d,1d,morning (dagar före och/eller morning).") from None
    return text


def _questions(raw: object) -> tuple[Question, ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise _error("", "evaluation_questions ska vara en lista med frågor.")
    try:
        questions = tuple(
            Question(str(item["key"]), str(item["text"]), item.get("kind", "scale"), bool(item.get("required", False)))
            for item in raw
        )
        return validate_questions(questions)
    except (KeyError, TypeError, AttributeError, ValueError):
        message = "evaluation_questions: varje fråga behöver key (unik), text och kind (scale eller text)."
        raise _error("", message) from None


def _error(where: str, message: str) -> ProjectFileError:
    """``where`` is "" for the project's own fields or "Träff 2: " for a meeting's."""
    text = f"{where}{message}"
    return ProjectFileError(text[:1].upper() + text[1:])


def _text(value: object, key: str, where: str) -> str:
    # A title such as 2030 arrives as a number; a date or a list in a text field is a mistake.
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise _error(where, f"fältet '{key}' ska vara text.")


def _required_text(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    text = "" if value is None else _text(value, key, where)
    if not text:
        raise _error(where, f"fältet '{key}' saknas eller är tomt.")
    return text


def _flag(data: Mapping[str, Any], key: str, where: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise _error(where, f"fältet '{key}' ska vara true eller false.")
    return value


def _optional_text(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    return "" if value is None else _text(value, key, where)


def _check_length(key: str, value: str, where: str) -> None:
    limit = MAX_LENGTHS[key]
    if len(value) > limit:
        raise _error(where, f"fältet '{key}' är för långt ({len(value)} tecken, högst {limit}).")


def _positive_int(data: Mapping[str, Any], key: str, where: str, default: int) -> int:
    value = data.get(key, default)
    if value is None:
        raise _error(where, f"fältet '{key}' saknar värde (ett heltal).")
    if isinstance(value, bool) or not isinstance(value, int):
        raise _error(where, f"fältet '{key}' ska vara ett heltal, inte {value!r}.")
    if value < 1:
        raise _error(where, f"fältet '{key}' måste vara minst 1 (är {value}).")
    return value


def _optional_positive_int(data: Mapping[str, Any], key: str, where: str) -> int | None:
    return None if data.get(key) is None else _positive_int(data, key, where, default=0)


def _date(value: object, key: str, where: str) -> date:
    # YAML turns an unquoted 2027-05-03 into a date already; a quoted one is still text.
    if isinstance(value, datetime):
        raise _error(where, f"fältet '{key}' ska vara bara ett datum, till exempel 2027-05-03.")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    if value is None:
        raise _error(where, f"fältet '{key}' saknas (ett datum som 2027-05-03).")
    raise _error(where, f"fältet '{key}' ({value!r}) är inget giltigt datum; skriv till exempel 2027-05-03.")


def _time(value: object, key: str, where: str) -> time:
    if value is None:
        raise _error(where, f"fältet '{key}' saknas (en tid som \"10:00\").")
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads an unquoted 10:00 as the base-60 number 600; guessing back would turn 10 into 00:10.
        raise _error(where, f"fältet '{key}' måste skrivas inom citattecken, till exempel \"10:00\".")
    text = str(value).strip().replace(".", ":")
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", text)
    if match is None:
        raise _error(where, f"fältet '{key}' ({value!r}) är ingen giltig tid; skriv till exempel \"10:00\".")
    return time(int(match[1]), int(match[2]))


def _local_to_utc(day: date, clock: time, zone: ZoneInfo, key: str, where: str) -> datetime:
    local = datetime.combine(day, clock, tzinfo=zone)
    moment = local.astimezone(UTC)
    # Wall-clock times skipped when summer time starts (02:00–03:00) do not exist; say so instead of shifting.
    if moment.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise _error(where, f"fältet '{key}': {day} kl. {clock:%H:%M} finns inte (klockan ställs fram till sommartid).")
    return moment


def _deadline(value: object, zone: ZoneInfo) -> datetime:
    """A date closes at 00:00 local time the next day; a local date and time closes then."""
    key = "registration_deadline"
    if isinstance(value, datetime):
        # YAML only makes datetimes of values with seconds ("2027-04-14 16:00:00"); naive ones are local.
        return value.astimezone(UTC) if value.tzinfo else _local_to_utc(value.date(), value.time(), zone, key, "")
    if isinstance(value, date):
        return _local_to_utc(value + timedelta(days=1), time(0), zone, key, "")
    if isinstance(value, str):
        text = value.strip()
        match = re.fullmatch(r"(\d{4}-\d{2}-\d{2})(?:[ T](\S+))?", text)
        if match is not None:
            day = _date(match[1], key, "")
            if match[2] is None:
                return _local_to_utc(day + timedelta(days=1), time(0), zone, key, "")
            return _local_to_utc(day, _time(match[2], key, ""), zone, key, "")
    raise _error("", f"fältet '{key}' ({value!r}) är inget giltigt datum; skriv 2027-04-14 eller \"2027-04-14 16:00\".")


def _require_aware(moment: datetime | None, key: str, where: str) -> None:
    if moment is not None and moment.tzinfo is None:
        raise _error(where, f"fältet '{key}' saknar tidszon (internt fel: tider ska vara UTC).")
