"""Calendar files (.ics) for a project's meetings, so participants get them into Outlook and other apps.

Each meeting keeps its UID for life and bumps SEQUENCE when it changes, so calendar apps update the
entry they already have instead of adding a second one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

import icalendar

from bot.core.i18n import STOCKHOLM, t
from storage.models import Meeting

PRODID = "-//Region Dalarna//DalaLab//SV"
METHODS = frozenset({"PUBLISH", "REQUEST", "CANCEL"})
SERIES = "serie"
MAX_SERIES_MEETINGS = 60


def series_file(numbers: Iterable[int]) -> str:
    """The calendar file name of a person's own meetings: "serie-1-3-4" (the numbers, not who: the
    link says nothing about the person, and holds only the meetings they chose)."""
    chosen = sorted(set(numbers))
    return "-".join([SERIES, *(str(number) for number in chosen)])


def meetings_in_file(name: str, numbers: Iterable[int]) -> set[int]:
    """The meeting numbers a calendar file name stands for, among ``numbers``: "serie" all of them,
    "serie-1-3" those two, "traff-2" one; nothing for a name that stands for none."""
    existing = set(numbers)
    head, _, rest = name.partition("-")
    if name == SERIES:
        return existing
    parts = rest.split("-") if rest else []
    if not parts or not all(part.isdigit() for part in parts):
        return set()
    wanted = {int(part) for part in parts}
    if head == "traff" and len(parts) == 1 or head == SERIES:
        return wanted & existing
    return set()


@dataclass(frozen=True)
class MeetingInfo:
    """What a calendar entry needs to know about one meeting, detached from the database session."""

    uid: str
    sequence: int
    number: int
    title: str
    starts_at: datetime
    ends_at: datetime
    place: str
    online_link: str
    programme: str
    project_name: str
    cancelled: bool = False

    def __post_init__(self) -> None:
        # A naive time would silently land in whatever zone the calendar app guesses.
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("meeting times must be timezone-aware")

    @classmethod
    def from_model(cls, meeting: Meeting, project_name: str) -> MeetingInfo:
        return cls(
            uid=meeting.uid,
            sequence=meeting.sequence,
            number=meeting.number,
            title=meeting.title,
            starts_at=meeting.starts_at,
            ends_at=meeting.ends_at,
            place=meeting.place,
            online_link=meeting.online_link,
            programme=meeting.programme,
            project_name=project_name,
            cancelled=meeting.cancelled_at is not None,
        )


def meeting_event(meeting: MeetingInfo, *, stamp: datetime | None = None) -> icalendar.Event:
    """One VEVENT in Stockholm time; ``stamp`` (DTSTAMP) defaults to now."""
    event = icalendar.Event()
    event.add("uid", meeting.uid)
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", (stamp or datetime.now(UTC)).astimezone(UTC))
    # Wall-clock time with TZID rather than UTC: the meeting stays at 10.00 when DST changes.
    event.add("dtstart", meeting.starts_at.astimezone(STOCKHOLM))
    event.add("dtend", meeting.ends_at.astimezone(STOCKHOLM))
    event.add("summary", _summary(meeting))
    location = _location(meeting)
    if location:
        event.add("location", location)
    description = _description(meeting)
    if description:
        event.add("description", description)
    if meeting.online_link:
        event.add("url", meeting.online_link)
    return event


def calendar_for(
    project_name: str,
    meetings: Sequence[MeetingInfo],
    method: str = "PUBLISH",
    *,
    stamp: datetime | None = None,
) -> bytes:
    """A whole .ics file: one event per meeting plus the VTIMEZONE the events refer to.

    ``method`` is PUBLISH for feeds and downloads; CANCEL marks every event cancelled. REQUEST and
    CANCEL sent by email (iTIP) would also need an ORGANIZER, which these files do not carry.
    """
    if method not in METHODS:
        raise ValueError(f"unsupported calendar method {method!r}")
    stamp = stamp or datetime.now(UTC)
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    # NAME is the standard (RFC 7986); X-WR-* are what Outlook and Google actually read.
    calendar.add("name", project_name)
    calendar.add("x-wr-calname", project_name)
    calendar.add("x-wr-timezone", STOCKHOLM.key)
    for meeting in meetings:
        event = meeting_event(meeting, stamp=stamp)
        # A cancelled meeting stays in the series as CANCELLED (same UID, higher SEQUENCE): calendars drop it.
        event.add("status", "CANCELLED" if method == "CANCEL" or meeting.cancelled else "CONFIRMED")
        calendar.add_component(event)
    if meetings:
        _add_stockholm_timezone(calendar, *_years_covered(meetings))
    return calendar.to_ical()


def _summary(meeting: MeetingInfo) -> str:
    if meeting.title:
        return t("calendar.summary", project=meeting.project_name, number=meeting.number, title=meeting.title)
    return t("calendar.summary_untitled", project=meeting.project_name, number=meeting.number)


def _location(meeting: MeetingInfo) -> str:
    return " / ".join(part for part in (meeting.place, meeting.online_link) if part)


def _description(meeting: MeetingInfo) -> str:
    parts = [meeting.programme.strip()] if meeting.programme.strip() else []
    if meeting.online_link:
        parts.append(t("calendar.join", link=meeting.online_link))
    return "\n\n".join(parts)


def _years_covered(meetings: Sequence[MeetingInfo]) -> tuple[int, int]:
    first = min(meeting.starts_at for meeting in meetings).astimezone(STOCKHOLM)
    last = max(meeting.ends_at for meeting in meetings).astimezone(STOCKHOLM)
    return first.year, last.year


def _add_stockholm_timezone(calendar: icalendar.Calendar, first_year: int, last_year: int) -> None:
    """The VTIMEZONE the events' TZID refers to, placed before the events as some apps require.

    Outlook misreads the form icalendar generates (several STANDARD blocks with RDATEs) and then shows
    summer meetings an hour off, so we write the EU rule the way Outlook and Google do themselves.
    Should the zone database say the rule no longer holds (the EU has discussed dropping DST), we fall
    back to icalendar's exact transitions rather than publish wrong times.
    """
    if all(eu_summer_time_holds(STOCKHOLM, year) for year in range(first_year, last_year + 1)):
        calendar.subcomponents.insert(0, stockholm_timezone())
    else:
        calendar.add_missing_timezones(first_date=date(first_year, 1, 1), last_date=date(last_year + 1, 1, 1))


def stockholm_timezone() -> icalendar.Timezone:
    """Europe/Stockholm as one DAYLIGHT and one STANDARD observance with yearly rules."""
    timezone = icalendar.Timezone()
    timezone.add("tzid", STOCKHOLM.key)
    timezone.add_component(_observance(icalendar.TimezoneDaylight(), "CEST", 1, 2, datetime(1970, 3, 29, 2), 3))
    timezone.add_component(_observance(icalendar.TimezoneStandard(), "CET", 2, 1, datetime(1970, 10, 25, 3), 10))
    return timezone


def _observance(
    observance: icalendar.Component, name: str, hours_from: int, hours_to: int, start: datetime, month: int
) -> icalendar.Component:
    observance.add("tzname", name)
    observance.add("tzoffsetfrom", timedelta(hours=hours_from))
    observance.add("tzoffsetto", timedelta(hours=hours_to))
    observance.add("dtstart", start)
    observance.add("rrule", {"freq": "yearly", "bymonth": month, "byday": "-1SU"})
    return observance


def eu_summer_time_holds(zone: tzinfo, year: int) -> bool:
    """True when ``zone`` is UTC+1 in winter and UTC+2 in summer, changing at 01.00 UTC on the last
    Sundays of March and October of ``year``: the rule ``stockholm_timezone`` writes."""
    for month, hours_before, hours_after in ((3, 1, 2), (10, 2, 1)):
        change = datetime.combine(_last_sunday(year, month), time(1), tzinfo=UTC)
        before = (change - timedelta(seconds=1)).astimezone(zone).utcoffset()
        after = change.astimezone(zone).utcoffset()
        if (before, after) != (timedelta(hours=hours_before), timedelta(hours=hours_after)):
            return False
    return True


def _last_sunday(year: int, month: int) -> date:
    last_day = (date(year, month, 28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return last_day - timedelta(days=(last_day.weekday() - 6) % 7)
