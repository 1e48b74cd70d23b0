"""Which send failures are worth retrying, and when: Retry-After when the service says it,
otherwise exponential backoff with jitter, for a bounded number of attempts."""

from __future__ import annotations

import email.utils
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime

RETRYABLE = frozenset({408, 412, 429, 500, 502, 503, 504})
FINAL = frozenset({400, 401, 403, 404})


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_seconds: float = 2.0
    cap_seconds: float = 300.0

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random | None = None) -> float:
        """Seconds before attempt number ``attempt + 1`` (``attempt`` counts from 1)."""
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, self.cap_seconds)
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** (attempt - 1))
        return (rng or random).uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not security

    def should_retry(self, status: int | None, attempt: int) -> bool:
        """None = no HTTP status (timeout, connection refused): worth another try."""
        if attempt >= self.max_attempts:
            return False
        return status is None or status in RETRYABLE


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """A Retry-After header as seconds from ``now``: it is either delta-seconds ("120") or an HTTP
    date ("Wed, 21 Oct 2026 07:28:00 GMT", RFC 9110 section 10.2.3). None if absent or unreadable;
    a moment already past is 0 (retry at once)."""
    if not value or not (value := value.strip()):
        return None
    try:
        seconds = float(value)
    except ValueError:
        return _seconds_until(value, now or datetime.now(UTC))
    return max(0.0, seconds) if math.isfinite(seconds) else None


def _seconds_until(http_date: str, now: datetime) -> float | None:
    try:
        moment = email.utils.parsedate_to_datetime(http_date)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:  # "-0000": the sender's zone unknown; HTTP dates are GMT
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())


def http_status(error: BaseException) -> tuple[int | None, float | None]:
    """The HTTP status and Retry-After of a failed send: the Bot Connector's ErrorResponseException
    keeps the response (``status_code``, ``headers``); other errors may carry ``status`` and
    ``headers`` themselves. (None, None) when there was no HTTP answer."""
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None) or getattr(error, "status", None)
    headers = getattr(response, "headers", None) or getattr(error, "headers", None) or {}
    return (int(status) if status else None), parse_retry_after(headers.get("Retry-After") if headers else None)
