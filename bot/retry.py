"""Which send failures are worth retrying, and when: Retry-After when the service says it,
otherwise exponential backoff with jitter, for a bounded number of attempts."""

from __future__ import annotations

import random
from dataclasses import dataclass

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


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
