"""The fan-out verdict fails on both sides of Teams' floor and on any duplicate or loss."""

from __future__ import annotations

from bench.fanout import Result, rate_limited_verdict


def limited(seconds: float, delivered: int = 1000, duplicates: int = 0) -> Result:
    return Result("dalalab, rate-limited stub", 1000, seconds, 1.0, 100.0,
                  {"conversations": delivered, "duplicates": duplicates, "replies": delivered + duplicates})


def test_within_ten_percent_above_the_floor_is_reached() -> None:
    """1,000 messages: the first 50 at once, 50 a second after that: the last 19 s after the first."""
    assert "vs theoretical minimum 19.0 s" in rate_limited_verdict(limited(19.0))
    assert rate_limited_verdict(limited(19.0)).endswith("-> reached); duplicates 0, losses 0")
    assert rate_limited_verdict(limited(20.8)).endswith("-> reached); duplicates 0, losses 0")


def test_faster_than_teams_allows_fails() -> None:
    assert "NOT reached: faster than Teams allows" in rate_limited_verdict(limited(18.5))


def test_slow_lost_or_duplicated_fails() -> None:
    assert "NOT reached" in rate_limited_verdict(limited(21.0))
    assert "NOT reached" in rate_limited_verdict(limited(20.2, delivered=999))
    assert "NOT reached" in rate_limited_verdict(limited(20.2, duplicates=1))
