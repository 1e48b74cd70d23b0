"""Alumni rules: the first weekday of the month at 9.00 Stockholm, the planning window, the digest
a week later, replies, and the audience of an announcement."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.features.alumni.rules import (
    MAX_REPLY,
    alumni_audience,
    audience_projects,
    channel_prompted,
    clean_reply,
    digest_due,
    first_weekday,
    prompt_slot,
    replies_open,
    slots_to_plan,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")


@pytest.mark.parametrize(("year", "month", "expected"), [
    (2027, 5, date(2027, 5, 3)),    # 1 May 2027 is a Saturday
    (2026, 11, date(2026, 11, 2)),  # a Sunday
    (2027, 3, date(2027, 3, 1)),    # a Monday
    (2027, 1, date(2027, 1, 1)),    # a Friday: weekdays only, public holidays are not looked up
    (2026, 8, date(2026, 8, 3)),
])
def test_first_weekday(year: int, month: int, expected: date) -> None:
    assert first_weekday(year, month) == expected
    assert expected.weekday() < 5


def test_the_slot_is_nine_in_stockholm_summer_and_winter() -> None:
    assert prompt_slot(2027, 5, STOCKHOLM).asked_at == datetime(2027, 5, 3, 7, 0, tzinfo=UTC)
    assert prompt_slot(2027, 2, STOCKHOLM).asked_at == datetime(2027, 2, 1, 8, 0, tzinfo=UTC)
    assert prompt_slot(2027, 2, STOCKHOLM).period == "2027-02"


def test_slots_are_planned_a_day_ahead_and_asked_at_most_a_day_late() -> None:
    may = prompt_slot(2027, 5, STOCKHOLM)
    assert slots_to_plan(may.asked_at - timedelta(days=1, seconds=1), STOCKHOLM) == []
    assert slots_to_plan(may.asked_at - timedelta(hours=23), STOCKHOLM) == [may]
    assert slots_to_plan(may.asked_at + timedelta(hours=5), STOCKHOLM) == [may]
    assert slots_to_plan(may.asked_at + timedelta(days=1), STOCKHOLM) == []
    # 31 December: January's slot (Friday 1 January) is within a day.
    new_year = prompt_slot(2027, 1, STOCKHOLM)
    assert slots_to_plan(new_year.asked_at - timedelta(hours=12), STOCKHOLM) == [new_year]


def test_a_shared_channel_is_prompted_when_any_project_wants_it() -> None:
    assert channel_prompted(["off", "monthly"])
    assert not channel_prompted(["off", "off"])
    assert not channel_prompted([])


def test_replies_are_open_until_the_digest_a_week_later() -> None:
    asked = datetime(2027, 5, 3, 7, 0, tzinfo=UTC)
    assert digest_due(asked) == datetime(2027, 5, 10, 7, 0, tzinfo=UTC)
    assert not replies_open(asked, asked - timedelta(seconds=1))
    assert replies_open(asked, asked + timedelta(days=6, hours=23))
    assert not replies_open(asked, digest_due(asked))


def test_replies_are_cleaned_and_limited() -> None:
    assert clean_reply("  Översiktsplan\u0007 för Mora  ") == "Översiktsplan för Mora"
    with pytest.raises(ValueError, match="alumni.reply_empty"):
        clean_reply("   ")
    with pytest.raises(ValueError, match="alumni.reply_empty"):
        clean_reply(["not", "text"])
    with pytest.raises(ValueError, match="alumni.reply_too_long"):
        clean_reply("x" * (MAX_REPLY + 1))


def test_announcement_audience_round_trip() -> None:
    assert alumni_audience([5, 3, 5]) == "alumni:3,5"
    assert audience_projects("alumni:3,5") == [3, 5]
    assert audience_projects("registered") == []
