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


def http_status(error: BaseException) -> tuple[int | None, float | None]:
    """The HTTP status and Retry-After of a failed send: the Bot Connector's ErrorResponseException
    keeps the response (``status_code``, ``headers``); other errors may carry ``status`` and
    ``headers`` themselves. (None, None) when there was no HTTP answer."""
    response = getattr(error, "response", None)
    status = getattr(response, "status_code", None) or getattr(error, "status", None)
    headers = getattr(response, "headers", None) or getattr(error, "headers", None) or {}
    return (int(status) if status else None), parse_retry_after(headers.get("Retry-After") if headers else None)
