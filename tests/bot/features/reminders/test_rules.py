"""Reminder times as plain rules: offsets, the morning message, quiet hours and daylight saving."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.quiet_hours import QuietHours
from bot.features.reminders.rules import Offset, due_time, next_allowed, parse_offsets

STOCKHOLM = ZoneInfo("Europe/Stockholm")
QUIET = QuietHours()
NO_QUIET = QuietHours.parse("off")
SEVEN_DAYS, ONE_DAY, MORNING = parse_offsets("7d,1d,morning")


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=STOCKHOLM)


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_seven_days_one_day_and_morning_before_a_winter_meeting() -> None:
    meeting = local(2027, 2, 10, 13, 0)  # 12.00 UTC (CET, +01)
    assert due_time(meeting, SEVEN_DAYS, STOCKHOLM, QUIET) == utc(2027, 2, 3, 12, 0)
    assert due_time(meeting, ONE_DAY, STOCKHOLM, QUIET) == utc(2027, 2, 9, 12, 0)
    assert due_time(meeting, MORNING, STOCKHOLM, QUIET) == utc(2027, 2, 10, 6, 30)


def test_due_time_is_returned_in_utc() -> None:
    due = due_time(local(2027, 2, 10, 13, 0), ONE_DAY, STOCKHOLM, QUIET)
    assert due.utcoffset() == timedelta(0)


def test_seven_day_reminder_keeps_local_time_across_the_spring_dst_change() -> None:
    # Meeting 10.00 CEST on 1 April 2027 (08.00 UTC); clocks go forward on 28 March.
    meeting = local(2027, 4, 1, 10, 0)
    assert meeting.astimezone(UTC) == utc(2027, 4, 1, 8, 0)
    due = due_time(meeting, SEVEN_DAYS, STOCKHOLM, QUIET)
    # 10.00 CET on 25 March is 09.00 UTC: seven calendar days, not 7 × 24 hours (which would be 09.00 local).
    assert due == utc(2027, 3, 25, 9, 0)
    assert due.astimezone(STOCKHOLM).time() == time(10, 0)


def test_seven_day_reminder_keeps_local_time_across_the_autumn_dst_change() -> None:
    # Clocks go back on 31 October 2027; meeting 10.00 CET on 4 November.
    due = due_time(local(2027, 11, 4, 10, 0), SEVEN_DAYS, STOCKHOLM, QUIET)
    assert due == utc(2027, 10, 28, 8, 0)
    assert due.astimezone(STOCKHOLM).time() == time(10, 0)


def test_evening_meeting_reminder_moves_out_of_quiet_hours_to_next_morning() -> None:
    due = due_time(local(2027, 2, 10, 22, 0), SEVEN_DAYS, STOCKHOLM, QUIET)
    assert due.astimezone(STOCKHOLM) == local(2027, 2, 4, 7, 0)


def test_early_meeting_morning_reminder_is_half_an_hour_before_but_not_before_seven() -> None:
    # 07.30 would be after the start; 06.45 (30 min before) is inside quiet hours -> 07.00.
    due = due_time(local(2027, 2, 10, 7, 15), MORNING, STOCKHOLM, QUIET)
    assert due.astimezone(STOCKHOLM) == local(2027, 2, 10, 7, 0)


def test_early_meeting_morning_reminder_without_quiet_hours_is_half_an_hour_before() -> None:
    due = due_time(local(2027, 2, 10, 7, 15), MORNING, STOCKHOLM, NO_QUIET)
    assert due.astimezone(STOCKHOLM) == local(2027, 2, 10, 6, 45)


def test_reminder_in_the_small_hours_moves_to_seven_the_same_day() -> None:
    due = due_time(local(2027, 2, 10, 6, 0), ONE_DAY, STOCKHOLM, QUIET)
    assert due.astimezone(STOCKHOLM) == local(2027, 2, 9, 7, 0)


def test_reminder_at_the_end_of_quiet_hours_is_not_moved() -> None:
    due = due_time(local(2027, 2, 10, 7, 0), ONE_DAY, STOCKHOLM, QUIET)
    assert due.astimezone(STOCKHOLM) == local(2027, 2, 9, 7, 0)


def test_reminder_just_before_quiet_hours_is_not_moved() -> None:
    due = due_time(local(2027, 2, 10, 20, 59), ONE_DAY, STOCKHOLM, QUIET)
    assert due.astimezone(STOCKHOLM) == local(2027, 2, 9, 20, 59)


def test_parse_offsets_reads_days_and_morning() -> None:
    assert parse_offsets("7d, 1D ,Morning") == [Offset("7d", 7), Offset("1d", 1), Offset("morning", None)]
    assert parse_offsets("14d") == [Offset("14d", 14)]
    assert parse_offsets("") == []


@pytest.mark.parametrize("text", ["7", "7x", "d", "100d", "7d,evening", "7 d", "-1d"])
def test_parse_offsets_refuses_typos(text: str) -> None:
    with pytest.raises(ValueError, match="reminder offset"):
        parse_offsets(text)


def test_next_allowed_keeps_a_daytime_moment() -> None:
    moment = utc(2027, 2, 10, 11, 17)
    assert next_allowed(moment, STOCKHOLM, QUIET) == moment


def test_next_allowed_moves_a_late_evening_message_to_next_morning() -> None:
    assert next_allowed(local(2027, 2, 10, 22, 30), STOCKHOLM, QUIET) == local(2027, 2, 11, 7, 0).astimezone(UTC)


def test_next_allowed_moves_a_night_message_to_seven_the_same_day() -> None:
    assert next_allowed(local(2027, 2, 11, 3, 0), STOCKHOLM, QUIET) == utc(2027, 2, 11, 6, 0)


def test_next_allowed_across_the_dst_night_uses_summer_time() -> None:
    # 23.00 CET on 27 March; the next 07.00 is CEST (05.00 UTC).
    assert next_allowed(local(2027, 3, 27, 23, 0), STOCKHOLM, QUIET) == utc(2027, 3, 28, 5, 0)
