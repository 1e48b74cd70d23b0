"""Calendar files: parsed back with icalendar, stable UIDs, Stockholm time in summer and winter."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import calendar_loader
from bot.core.i18n import use_language
from bot.features.reminders.cards import update_card
from bot.features.schedule.calendar import (
    PRODID,
    MeetingInfo,
    calendar_for,
    eu_summer_time_holds,
    meeting_event,
    stockholm_timezone,
)
from storage.models import Meeting, Project
from storage.projects import ProjectRepository

STOCKHOLM = ZoneInfo("Europe/Stockholm")
STAMP = datetime(2027, 1, 15, 9, 0, tzinfo=UTC)


def meeting(
    number: int = 1, starts_at: datetime = datetime(2027, 4, 2, 8, 0, tzinfo=UTC), **changes: Any
) -> MeetingInfo:
    info = MeetingInfo(
        uid=f"traff-{number}@dalalab.example",
        sequence=0,
        number=number,
        title="Klimatanpassning i Älvdalen",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=3),
        place="Rådhuset, Säter",
        online_link="https://teams.example/meet/abc",
        programme="Kunskapspass om värmeböljor.\nTriadsamtal i grupper.",
        project_name="Hållbar upphandling",
    )
    return replace(info, **changes)


def parse(data: bytes) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(data)


def only_event(data: bytes) -> icalendar.Event:
    events = parse(data).events
    assert len(events) == 1
    return events[0]


def start_of(event: icalendar.Event) -> datetime:
    start = event.start
    assert isinstance(start, datetime)
    return start


def test_event_has_the_fields_calendar_apps_show() -> None:
    event = only_event(calendar_for("Hållbar upphandling", [meeting()], stamp=STAMP))
    assert str(event["uid"]) == "traff-1@dalalab.example"
    assert event.sequence == 0
    assert event.DTSTAMP == STAMP
    assert str(event["summary"]) == "Hållbar upphandling: Träff 1 – Klimatanpassning i Älvdalen"
    assert str(event["location"]) == "Rådhuset, Säter / https://teams.example/meet/abc"
    assert str(event["description"]) == (
        "Kunskapspass om värmeböljor.\nTriadsamtal i grupper.\n\nLänk till mötet: https://teams.example/meet/abc"
    )
    assert str(event["url"]) == "https://teams.example/meet/abc"
    assert str(event["status"]) == "CONFIRMED"


def test_calendar_header_and_timezone() -> None:
    calendar = parse(calendar_for("Hållbar upphandling", [meeting()], stamp=STAMP))
    assert str(calendar["prodid"]) == PRODID
    assert str(calendar["version"]) == "2.0"
    assert str(calendar["method"]) == "PUBLISH"
    assert str(calendar["x-wr-calname"]) == "Hållbar upphandling"
    assert [timezone.tz_name for timezone in calendar.timezones] == ["Europe/Stockholm"]
    assert calendar.get_missing_tzids() == set()


def test_timezone_is_written_the_way_outlook_reads_it() -> None:
    (timezone,) = parse(calendar_for("P", [meeting()], stamp=STAMP)).timezones
    observances = [(component.name, str(component["tzname"])) for component in timezone.subcomponents]
    assert observances == [("DAYLIGHT", "CEST"), ("STANDARD", "CET")]
    assert all("RRULE" in component and "RDATE" not in component for component in timezone.subcomponents)


def test_written_timezone_agrees_with_the_zone_database() -> None:
    # Read our VTIMEZONE's own rules (not the zone named by its TZID) and compare hour by hour.
    ours = stockholm_timezone().to_tz(lookup_tzid=False)
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    while moment < datetime(2028, 1, 1, tzinfo=UTC):
        assert moment.astimezone(ours).utcoffset() == moment.astimezone(STOCKHOLM).utcoffset(), moment
        moment += timedelta(hours=1)


def test_eu_rule_check() -> None:
    assert all(eu_summer_time_holds(STOCKHOLM, year) for year in range(1996, 2040))
    assert not eu_summer_time_holds(STOCKHOLM, 1979)  # no summer time in Sweden then
    assert not eu_summer_time_holds(STOCKHOLM, 1990)  # summer time ended in September
    assert not eu_summer_time_holds(ZoneInfo("Asia/Tokyo"), 2027)


def test_exact_transitions_when_the_eu_rule_does_not_hold() -> None:
    # Summer time in 1990 ended on 30 September, so the yearly October rule would be wrong.
    data = calendar_for("P", [meeting(starts_at=datetime(1990, 9, 20, 8, 0, tzinfo=UTC))], stamp=STAMP)
    calendar = parse(data)
    assert calendar.get_missing_tzids() == set()
    (timezone,) = calendar.timezones
    assert "RRULE" not in timezone.walk("STANDARD")[0]
    assert b"DTSTART;TZID=Europe/Stockholm:19900920T100000" in data


def test_a_changed_meeting_keeps_its_uid_with_a_higher_sequence() -> None:
    before = only_event(calendar_for("P", [meeting()], stamp=STAMP))
    moved = meeting(starts_at=datetime(2027, 4, 9, 8, 0, tzinfo=UTC), sequence=1, place="Folkets hus, Borlänge")
    after = only_event(calendar_for("P", [moved], stamp=STAMP))
    assert str(after["uid"]) == str(before["uid"])
    assert after.sequence > before.sequence
    assert start_of(after).date().isoformat() == "2027-04-09"


@pytest.mark.parametrize(
    ("utc_start", "wall_clock"),
    [
        # Summer time (CEST, UTC+2): 08:00 UTC is 10.00 in Stockholm.
        (datetime(2027, 6, 10, 8, 0, tzinfo=UTC), datetime(2027, 6, 10, 10, 0)),
        # Winter time (CET, UTC+1): 08:00 UTC is 09.00 in Stockholm.
        (datetime(2027, 1, 20, 8, 0, tzinfo=UTC), datetime(2027, 1, 20, 9, 0)),
        # The day after the spring change (28 March 2027).
        (datetime(2027, 3, 29, 7, 30, tzinfo=UTC), datetime(2027, 3, 29, 9, 30)),
    ],
)
def test_times_are_stockholm_wall_clock_in_summer_and_winter(utc_start: datetime, wall_clock: datetime) -> None:
    data = calendar_for("P", [meeting(starts_at=utc_start)], stamp=STAMP)
    start = start_of(only_event(data))
    assert str(start.tzinfo) == "Europe/Stockholm"
    assert start.replace(tzinfo=None) == wall_clock
    assert start == utc_start
    assert f"DTSTART;TZID=Europe/Stockholm:{wall_clock:%Y%m%dT%H%M%S}".encode() in data


def test_a_series_has_one_event_per_meeting_across_a_dst_change() -> None:
    starts = [datetime(2027, 2, 1, 9, 0, tzinfo=UTC) + timedelta(weeks=4 * n) for n in range(5)]
    meetings = [meeting(number=n + 1, starts_at=start) for n, start in enumerate(starts)]
    calendar = parse(calendar_for("Hållbar upphandling", meetings, stamp=STAMP))
    events = calendar.events
    assert [str(event["uid"]) for event in events] == [f"traff-{n}@dalalab.example" for n in range(1, 6)]
    assert [start_of(event) for event in events] == starts
    # One VTIMEZONE serves every event, winter and summer.
    assert len(calendar.timezones) == 1


def test_swedish_characters_survive() -> None:
    project = "Lärprojekt: Ö-vik & Älvdalen"
    info = meeting(title="Åtgärder för ökad återbruk", programme="Fika på Kåren", project_name=project)
    data = calendar_for(project, [info], stamp=STAMP)
    assert "Åtgärder för ökad återbruk".encode() in data.replace(b"\r\n ", b"")
    assert str(parse(data)["x-wr-calname"]) == project
    event = only_event(data)
    assert str(event["summary"]) == "Lärprojekt: Ö-vik & Älvdalen: Träff 1 – Åtgärder för ökad återbruk"
    assert str(event["description"]).startswith("Fika på Kåren")


def test_meeting_without_link_title_or_programme() -> None:
    info = meeting(title="", online_link="", programme="")
    event = meeting_event(info, stamp=STAMP)
    assert str(event["summary"]) == "Hållbar upphandling: Träff 1"
    assert str(event["location"]) == "Rådhuset, Säter"
    assert "url" not in event and "description" not in event


def test_english_summary_when_english() -> None:
    with use_language("en"):
        event = meeting_event(meeting(), stamp=STAMP)
    assert str(event["summary"]) == "Hållbar upphandling: Meeting 1 – Klimatanpassning i Älvdalen"


def test_cancel_marks_events_cancelled() -> None:
    calendar = parse(calendar_for("P", [meeting(sequence=2)], method="CANCEL", stamp=STAMP))
    assert str(calendar["method"]) == "CANCEL"
    assert str(calendar.events[0]["status"]) == "CANCELLED"


def test_unknown_method_and_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="method"):
        calendar_for("P", [meeting()], method="PUBLISHED")
    with pytest.raises(ValueError, match="timezone-aware"):
        meeting(starts_at=datetime(2027, 4, 2, 10, 0))


def test_empty_calendar_is_still_valid() -> None:
    calendar = parse(calendar_for("P", [], stamp=STAMP))
    assert calendar.events == [] and calendar.timezones == []


async def test_from_a_stored_meeting(sessions: async_sessionmaker[AsyncSession]) -> None:
    starts_at = datetime(2027, 10, 5, 7, 0, tzinfo=UTC)
    async with sessions.begin() as session:
        project = Project(slug="upphandling", name="Hållbar upphandling", calendar_token="tok")
        project.meetings.append(
            Meeting(
                number=2,
                title="Återbruk",
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=2),
                place="Ludvika",
                uid="m2@dalalab.example",
                sequence=3,
            )
        )
        session.add(project)
    async with sessions() as session:
        stored = await session.get(Meeting, project.meetings[0].id)
        assert stored is not None
        info = MeetingInfo.from_model(stored, "Hållbar upphandling")
    assert info == MeetingInfo(
        "m2@dalalab.example",
        3,
        2,
        "Återbruk",
        starts_at,
        starts_at + timedelta(hours=2),
        "Ludvika",
        "",
        "",
        "Hållbar upphandling",
    )
    event = only_event(calendar_for(info.project_name, [info], stamp=STAMP))
    assert event.sequence == 3
    assert start_of(event).astimezone(STOCKHOLM).hour == 9


def test_a_persons_series_file_names_their_meetings() -> None:
    from bot.features.schedule.calendar import meetings_in_file, series_file

    assert series_file([3, 1, 3]) == "serie-1-3"
    assert meetings_in_file("serie-1-3", [1, 2, 3, 4]) == {1, 3}
    assert meetings_in_file("serie", [1, 2, 3, 4]) == {1, 2, 3, 4}
    assert meetings_in_file("traff-2", [1, 2, 3, 4]) == {2}
    assert meetings_in_file("serie-9", [1, 2]) == set()
    assert meetings_in_file("traff-1-2", [1, 2]) == set()
    assert meetings_in_file("serie-", [1, 2]) == set()


def test_a_waitlisted_confirmation_offers_no_calendar() -> None:
    from bot.features.registration.cards import confirmation
    from bot.features.registration.rules import Status

    waiting = confirmation("P", Status.WAITLISTED, 2, True, [], "https://bot/calendar/t/serie-1.ics")
    placed = confirmation("P", Status.REGISTERED, None, True, [], "https://bot/calendar/t/serie-1.ics")
    assert "serie-1.ics" not in str(waiting) and "serie-1.ics" in str(placed)


def test_a_cancelled_meeting_stays_in_the_series_as_cancelled() -> None:
    data = calendar_for("Hållbar upphandling", [meeting(1), meeting(2, sequence=1, cancelled=True)],
                        stamp=STAMP)
    statuses = {int(str(e["uid"]).split("-")[1].split("@")[0]): str(e["status"]) for e in parse(data).events}
    assert statuses == {1: "CONFIRMED", 2: "CANCELLED"}
    assert str(parse(data)["method"]) == "PUBLISH"


async def test_the_file_of_one_cancelled_meeting_is_a_cancel(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions.begin() as session:
        project = Project(slug="p", name="P", calendar_token="tok-cancel", state="open")
        project.meetings = [
            Meeting(number=n, title=f"T{n}", uid=f"p-{n}", sequence=n - 1, starts_at=STAMP + timedelta(days=n),
                    ends_at=STAMP + timedelta(days=n, hours=2), cancelled_at=STAMP if n == 2 else None)
            for n in (1, 2)]
        session.add(project)
    load = calendar_loader(ProjectRepository(sessions))
    cancelled = await load("tok-cancel", "traff-2")
    kept = await load("tok-cancel", "traff-1")
    assert cancelled is not None and kept is not None
    assert str(parse(cancelled)["method"]) == "CANCEL" and str(only_event(cancelled)["status"]) == "CANCELLED"
    assert int(only_event(cancelled)["sequence"]) == 1
    assert str(parse(kept)["method"]) == "PUBLISH" and str(only_event(kept)["status"]) == "CONFIRMED"


def test_the_notice_of_a_cancelled_meeting_says_so() -> None:
    row = Meeting(number=2, title="Uppföljning", uid="u", sequence=1, starts_at=STAMP,
                  ends_at=STAMP + timedelta(hours=2),
                  place="", online_link="", programme="")
    with use_language("sv"):
        moved = str(update_card("P", row, "https://x/traff-2.ics"))
        row.cancelled_at = STAMP
        cancelled = str(update_card("P", row, "https://x/traff-2.ics"))
    assert "har flyttats" in moved and "Inställd" not in moved
    assert "Inställd: en träff blir inte av" in cancelled and "tas posten bort" in cancelled
