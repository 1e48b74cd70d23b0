"""Teams rate limits with a fake monotonic clock: per conversation, for the whole app, and after a 429."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.outbox.ratelimit import PER_CONVERSATION, SAFETY_MARGIN, RateLimiter, SlidingWindows


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeMonotonic:
    return FakeMonotonic()


@pytest.fixture
def limiter(clock: FakeMonotonic) -> RateLimiter:
    return RateLimiter(clock)


def send_greedily(limiter: RateLimiter, clock: FakeMonotonic, conversations: list[str]) -> list[float]:
    """Send one message to each conversation in turn as soon as the limiter allows; the send times."""
    times = []
    for conversation in conversations:
        while (wait := limiter.wait_time(conversation)) > 0:
            clock.now += wait
        limiter.record(conversation)
        times.append(clock.now)
    return times


def most_in_any_window(times: list[float], window: float) -> int:
    return max(sum(1 for other in times if start <= other < start + window) for start in times)


def test_a_fresh_conversation_need_not_wait(limiter: RateLimiter) -> None:
    assert limiter.wait_time("a:1") == 0


def test_seven_per_second_per_conversation(limiter: RateLimiter, clock: FakeMonotonic) -> None:
    times = send_greedily(limiter, clock, ["a:1"] * 7)
    assert times == [1000.0] * 7
    assert limiter.wait_time("a:1") == pytest.approx(1.0)
    clock.now += 0.999
    assert limiter.wait_time("a:1") == pytest.approx(0.001)
    clock.now += 0.001
    assert limiter.wait_time("a:1") == 0


def test_eight_per_two_seconds_per_conversation(limiter: RateLimiter, clock: FakeMonotonic) -> None:
    times = send_greedily(limiter, clock, ["a:1"] * 9)
    assert times[:8] == [1000.0] * 7 + [1001.0]
    assert times[8] == 1002.0  # the per-second window had room; the two-second one did not
    assert most_in_any_window(times, 2.0) == 8


def test_sixty_per_thirty_seconds_per_conversation(limiter: RateLimiter, clock: FakeMonotonic) -> None:
    times = send_greedily(limiter, clock, ["a:1"] * 61)
    assert most_in_any_window(times, 1.0) <= 7
    assert most_in_any_window(times, 2.0) <= 8
    assert most_in_any_window(times, 30.0) == 60
    assert times[60] - times[0] == pytest.approx(30.0)


def test_other_conversations_are_not_held_back_by_a_busy_one(limiter: RateLimiter, clock: FakeMonotonic) -> None:
    send_greedily(limiter, clock, ["a:busy"] * 7)
    assert limiter.wait_time("a:busy") > 0
    assert limiter.wait_time("a:quiet") == 0


def test_fifty_per_second_across_all_conversations(limiter: RateLimiter, clock: FakeMonotonic) -> None:
    conversations = [f"a:{n}" for n in range(120)]
    times = send_greedily(limiter, clock, conversations)
    assert times[:50] == [1000.0] * 50
    assert times[50] == 1001.0
    assert most_in_any_window(times, 1.0) == 50
    assert times[-1] == 1002.0


def test_throttle_makes_everyone_wait(limiter: RateLimiter, clock: FakeMonotonic) -> None:
    limiter.throttle(5.0)
    assert limiter.wait_time("a:1") == pytest.approx(5.0)
    assert limiter.wait_time("a:never-seen") == pytest.approx(5.0)
    clock.now += 5.0
    assert limiter.wait_time("a:1") == 0


def test_a_shorter_throttle_does_not_cut_a_longer_one(limiter: RateLimiter, clock: FakeMonotonic) -> None:
    limiter.throttle(10.0)
    clock.now += 1.0
    limiter.throttle(2.0)
    assert limiter.wait_time("a:1") == pytest.approx(9.0)


def test_throttle_and_window_take_the_longer_wait(limiter: RateLimiter, clock: FakeMonotonic) -> None:
    send_greedily(limiter, clock, ["a:1"] * 7)
    limiter.throttle(0.25)
    assert limiter.wait_time("a:1") == pytest.approx(1.0)
    assert limiter.wait_time("a:2") == pytest.approx(0.25)


def test_a_margin_keeps_every_window_a_little_longer(clock: FakeMonotonic) -> None:
    limiter = RateLimiter(clock, margin=0.05)
    times = send_greedily(limiter, clock, [f"c-{n}" for n in range(101)])
    assert times[50] - times[0] == pytest.approx(1.05)  # the 51st waits for the first to be 1.05 s old
    assert most_in_any_window(times, 1.05) == 50
    # Arrivals up to 50 ms later than the send, in any order, still keep to Teams' 50 per second.
    late = [moment + (0.05 if n % 2 else 0.0) for n, moment in enumerate(times)]
    assert most_in_any_window(sorted(late), 1.0) <= 50


def test_a_wave_is_counted_from_when_it_leaves(limiter: RateLimiter, clock: FakeMonotonic) -> None:
    for n in range(50):
        limiter.record(f"c-{n}")
    clock.now += 0.4  # the wave took its time to leave and be answered
    limiter.restamp([f"c-{n}" for n in range(50)])
    clock.now += 0.7
    assert limiter.wait_time("c-99") == pytest.approx(0.3)  # a second after the wave was answered
    assert limiter.wait_time("c-1") == pytest.approx(0.3)


def counted_wait(sent: list[float], limits: tuple[tuple[float, int], ...], margin: float, now: float) -> float:
    """The wait by the windows' definition: count the sends inside each window."""
    wait = 0.0
    for window, count in limits:
        inside = [t for t in sent if t > now - (window + margin)]
        if len(inside) >= count:
            wait = max(wait, inside[-count] + window + margin - now)
    return wait


@given(gaps=st.lists(st.floats(min_value=0.0, max_value=5.0), max_size=200),
       later=st.floats(min_value=0.0, max_value=40.0), margin=st.sampled_from([0.0, SAFETY_MARGIN]))
def test_the_wait_looks_at_the_last_sends_only_and_agrees_with_counting_every_window(
        gaps: list[float], later: float, margin: float) -> None:
    times = list(itertools.accumulate(gaps, initial=1000.0))
    windows = SlidingWindows(PER_CONVERSATION, margin=margin)
    for moment in times:
        windows.record(moment)
    now = times[-1] + later
    assert windows.wait_time(now) == pytest.approx(counted_wait(times, PER_CONVERSATION, margin, now))
