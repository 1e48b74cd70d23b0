"""Quiet hours as read from QUIET_HOURS: when the bot holds its messages back."""

from __future__ import annotations

from datetime import time

import pytest

from bot.core.quiet_hours import QuietHours

QUIET = QuietHours()


def test_default_quiet_hours_are_21_to_07() -> None:
    assert QuietHours.parse("21-07") == QUIET == QuietHours(time(21, 0), time(7, 0))
    assert QUIET.contains(time(21, 0)) and QUIET.contains(time(23, 59)) and QUIET.contains(time(6, 59))
    assert not QUIET.contains(time(7, 0)) and not QUIET.contains(time(20, 59))


def test_quiet_hours_parse_minutes() -> None:
    quiet = QuietHours.parse(" 21:30-06:45 ")
    assert quiet == QuietHours(time(21, 30), time(6, 45))
    assert quiet.contains(time(6, 44)) and not quiet.contains(time(21, 29))


def test_quiet_hours_within_one_day() -> None:
    lunch = QuietHours.parse("12-13")
    assert lunch.contains(time(12, 30))
    assert not lunch.contains(time(13, 0)) and not lunch.contains(time(11, 59))


@pytest.mark.parametrize("text", ["off", "OFF", "", "  ", "av"])
def test_quiet_hours_off_never_holds_a_message_back(text: str) -> None:
    quiet = QuietHours.parse(text)
    assert not any(quiet.contains(time(hour, minute)) for hour in range(24) for minute in (0, 30))


@pytest.mark.parametrize("text", ["21", "21-", "-07", "nine-seven", "25-07", "21-07-08", "21:75-07"])
def test_quiet_hours_refuse_what_is_not_like_21_07(text: str) -> None:
    with pytest.raises(ValueError, match="quiet hours"):
        QuietHours.parse(text)
