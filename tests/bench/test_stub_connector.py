"""The benchmark's Teams stand-in keeps Teams' documented windows by itself (not with the bot's limiter)."""

from __future__ import annotations

import pytest

from bench.stub_connector import TeamsWindows


def fill(windows: TeamsWindows, conversation: str, times: list[float]) -> None:
    for at in times:
        assert windows.retry_after(conversation, at) == 0
        windows.accept(conversation, at)


def test_seven_a_second_per_conversation_then_wait_for_the_oldest() -> None:
    windows = TeamsWindows()
    fill(windows, "a", [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    assert windows.retry_after("a", 0.7) == pytest.approx(0.3)
    assert windows.retry_after("b", 0.7) == 0  # another conversation is not affected


def test_eight_in_two_seconds_per_conversation() -> None:
    windows = TeamsWindows()
    fill(windows, "a", [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 1.5])
    assert windows.retry_after("a", 1.6) == pytest.approx(0.4)  # the first leaves the 2 s window at 2.0
    assert windows.retry_after("a", 2.0) == 0


def test_sixty_in_thirty_seconds_and_eighteen_hundred_an_hour() -> None:
    windows = TeamsWindows()
    fill(windows, "a", [0.5 * n for n in range(60)])  # two a second: within the 1 s and 2 s windows
    assert windows.retry_after("a", 29.9) == pytest.approx(0.1)  # 60 inside the last 30 s
    hourly = TeamsWindows()
    fill(hourly, "b", [2.0 * n for n in range(1800)])
    assert hourly.retry_after("b", 3599.0) == pytest.approx(1.0)
    assert hourly.retry_after("b", 3600.0) == 0  # the first left the hour exactly now


def test_fifty_a_second_for_the_whole_app() -> None:
    windows = TeamsWindows()
    for n in range(50):
        fill(windows, f"c{n}", [n * 0.01])
    assert windows.retry_after("new", 0.5) == pytest.approx(0.5)
    assert windows.retry_after("new", 1.0) == 0
