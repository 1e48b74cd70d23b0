"""Which failed sends are retried, when, and how often."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from bot.outbox.retry import RetryPolicy, parse_retry_after

POLICY = RetryPolicy(max_attempts=5, base_seconds=2.0, cap_seconds=300.0)


def test_retry_after_is_honoured_exactly() -> None:
    assert POLICY.delay(1, 7.0, random.Random(1)) == 7.0
    assert POLICY.delay(4, 1.0, random.Random(1)) == 1.0


def test_retry_after_zero_means_retry_at_once() -> None:
    assert POLICY.delay(3, 0.0, random.Random(1)) == 0.0


def test_retry_after_is_capped() -> None:
    assert POLICY.delay(1, 3600.0, random.Random(1)) == 300.0


@pytest.mark.parametrize(("attempt", "low", "high"), [(1, 1.0, 2.0), (2, 2.0, 4.0), (3, 4.0, 8.0), (4, 8.0, 16.0)])
def test_backoff_without_retry_after_doubles_with_jitter(attempt: int, low: float, high: float) -> None:
    rng = random.Random(4711)
    delays = [POLICY.delay(attempt, None, rng) for _ in range(200)]
    assert all(low <= delay <= high for delay in delays)
    assert len(set(delays)) > 100  # jittered, so many replicas do not retry in step


def test_backoff_is_capped() -> None:
    rng = random.Random(4711)
    assert all(150.0 <= POLICY.delay(30, None, rng) <= 300.0 for _ in range(50))


def test_backoff_is_reproducible_with_a_seeded_random() -> None:
    first = [POLICY.delay(n, None, random.Random(42)) for n in range(1, 6)]
    second = [POLICY.delay(n, None, random.Random(42)) for n in range(1, 6)]
    assert first == second


@pytest.mark.parametrize("status", [429, 412, 502, 503, 504, None])
def test_throttling_server_errors_and_lost_connections_are_retried(status: int | None) -> None:
    assert POLICY.should_retry(status, attempt=1)


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_refusals_are_final(status: int) -> None:
    assert not POLICY.should_retry(status, attempt=1)


@pytest.mark.parametrize("status", [429, 503, None])
def test_no_retry_after_the_last_attempt(status: int | None) -> None:
    assert POLICY.should_retry(status, attempt=4)
    assert not POLICY.should_retry(status, attempt=5)
    assert not POLICY.should_retry(status, attempt=6)


@pytest.mark.parametrize(("header", "seconds"), [("1", 1.0), ("2.5", 2.5), ("-3", 0.0)])
def test_parse_retry_after_seconds(header: str, seconds: float) -> None:
    assert parse_retry_after(header) == seconds


NOW = datetime(2026, 10, 21, 7, 28, tzinfo=UTC)


@pytest.mark.parametrize(("header", "seconds"), [
    ("Wed, 21 Oct 2026 07:30:00 GMT", 120.0),  # the IMF-fixdate every server should send
    ("Wed, 21 Oct 2026 07:28:30 -0000", 30.0),
    ("Wednesday, 21-Oct-26 07:29:00 GMT", 60.0),  # RFC 850, obsolete but still to be read
    ("Wed, 21 Oct 2026 07:00:00 GMT", 0.0),  # already past: at once
])
def test_parse_retry_after_http_date(header: str, seconds: float) -> None:
    assert parse_retry_after(header, NOW) == seconds


@pytest.mark.parametrize("header", [None, "", "  ", "soon", "nan", "inf", "Wed, 32 Oct 2026 07:30:00 GMT"])
def test_parse_retry_after_without_seconds_is_none(header: str | None) -> None:
    assert parse_retry_after(header) is None
