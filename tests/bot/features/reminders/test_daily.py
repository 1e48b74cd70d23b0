"""One message a day about a meeting, as plain rules: which reminders are kept when two fall on one
day, and what happens to a second message on the same day (skipped, deferred or, for news, sent)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.quiet_hours import QuietHours
from bot.features.reminders.daily import Defer, Send, Skip, day_start, one_a_day, same_day_decision

STOCKHOLM = ZoneInfo("Europe/Stockholm")
QUIET = QuietHours()
MORNING = datetime(2027, 3, 20, 7, 0, tzinfo=UTC)  # 08.00 in Stockholm


def test_reminders_on_different_days_are_all_kept() -> None:
    planned = [("7d", MORNING - timedelta(days=7)), ("1d", MORNING - timedelta(days=1))]
    assert one_a_day(planned, STOCKHOLM) == planned


def test_of_two_reminders_on_one_local_day_the_later_is_kept() -> None:
    pushed = datetime(2027, 3, 20, 6, 0, tzinfo=UTC)  # "1d" moved out of quiet hours to 07.00
    morning = datetime(2027, 3, 20, 6, 30, tzinfo=UTC)
    assert one_a_day([("1d", pushed), ("morning", morning)], STOCKHOLM) == [("morning", morning)]
    assert one_a_day([("morning", morning), ("1d", pushed)], STOCKHOLM) == [("morning", morning)]


def test_the_day_is_the_local_one_not_utc() -> None:
    late = datetime(2027, 3, 19, 23, 30, tzinfo=UTC)  # 00.30 on the 20th in Stockholm
    early = datetime(2027, 3, 19, 22, 30, tzinfo=UTC)  # 23.30 on the 19th
    assert len(one_a_day([("a", early), ("b", late)], STOCKHOLM)) == 2
    assert day_start(late, STOCKHOLM) == datetime(2027, 3, 19, 23, 0, tzinfo=UTC)


def test_the_first_message_of_the_day_is_sent() -> None:
    yesterday = MORNING - timedelta(days=1)
    for kind in ("reminder", "evaluation", "evaluation_nudge", "meeting_update"):
        assert same_day_decision(kind, MORNING, [yesterday], STOCKHOLM, QUIET) == Send()


def test_a_second_reminder_or_nudge_the_same_day_is_skipped() -> None:
    earlier = MORNING - timedelta(hours=1)
    assert isinstance(same_day_decision("reminder", MORNING, [earlier], STOCKHOLM, QUIET), Skip)
    assert isinstance(same_day_decision("evaluation_nudge", MORNING, [earlier], STOCKHOLM, QUIET), Skip)


def test_an_evaluation_after_a_message_that_day_waits_for_the_next_morning() -> None:
    after_meeting = datetime(2027, 3, 20, 15, 0, tzinfo=UTC)  # 16.00, a reminder went at 08.00
    decision = same_day_decision("evaluation", after_meeting, [MORNING], STOCKHOLM, QUIET)
    assert decision == Defer(datetime(2027, 3, 21, 8, 0, tzinfo=UTC))  # 09.00 the next day


def test_a_change_notice_is_news_and_goes_anyway() -> None:
    assert same_day_decision("meeting_update", MORNING, [MORNING - timedelta(hours=1)], STOCKHOLM, QUIET) == Send()
