"""Every activity the bot sends inside a turn goes out the way the outbox sends: within Teams' rate
limits (the outbox's own RateLimiter: per-conversation windows and the app-wide budget) and with its
retry policy (429 after Retry-After; 412, 502, 503, 504 after backoff with jitter), bounded by the
turn's deadline, because Teams gives up on a turn after about 15 s. Before that, its size is checked
against Teams' message limit (see :func:`fit`)."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from botbuilder.schema import Activity

from bot.core.clock import MonotonicClock
from bot.core.i18n import t
from bot.outbox.ratelimit import RateLimiter
from bot.outbox.retry import RetryPolicy, http_status
from bot.teams.wire import to_json

log = logging.getLogger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]

TURN_SECONDS = 15.0
"""How long a turn may take to answer: Teams times out the request of a turn after about 15 s."""
REPLY_POLICY = RetryPolicy(max_attempts=8, base_seconds=0.5)
"""The outbox's policy (the same statuses, Retry-After, exponential backoff with jitter) on the scale
of a turn: first waits of 0.25-0.5 s rather than minutes; the deadline ends it sooner."""


class ReplyNotSent(Exception):
    """The rate limits would hold a reply past the turn's deadline. Carries a status like the
    connector's errors (429, with the wait as Retry-After) so that a caller that retries (the outbox)
    tries again later."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"the rate limits hold it {wait:.1f} s, past the turn's deadline")
        self.status = 429
        self.headers = {"Retry-After": str(max(1, round(wait)))}


@dataclass
class ReplyGate:
    """Sends through ``limiter`` and retries as ``policy`` says until ``deadline`` (a ``clock()``
    value): the caller stamps each turn with ``deadline()`` when it starts."""

    limiter: RateLimiter
    policy: RetryPolicy = REPLY_POLICY
    clock: MonotonicClock = time.monotonic
    sleep: Sleep = asyncio.sleep
    turn_seconds: float = TURN_SECONDS
    rng: random.Random = field(default_factory=random.Random)

    def deadline(self) -> float:
        return self.clock() + self.turn_seconds

    async def send(self, conversation: str, deadline: float, send: Callable[[], Awaitable[T]]) -> T:
        attempt = 0
        while True:
            wait = self.limiter.wait_time(conversation)
            if wait > 0:
                if self.clock() + wait > deadline:
                    error = ReplyNotSent(wait)
                    log.warning("reply in conversation %s not sent: %s", _short(conversation), error)
                    raise error
                await self.sleep(wait)
                continue
            self.limiter.record(conversation)
            attempt += 1
            try:
                result = await send()
            except Exception as error:
                delay = self._retry_delay(error, attempt, deadline, conversation)
                if delay is None:
                    raise
                await self.sleep(delay)
                continue
            self.limiter.restamp([conversation])  # Teams has counted it by now (see RateLimiter.restamp)
            return result

    def _retry_delay(self, error: Exception, attempt: int, deadline: float, conversation: str) -> float | None:
        """Seconds to wait before the next try, or None when the error is final (it is logged)."""
        status, retry_after = http_status(error)
        if status == 429:
            self.limiter.throttle(retry_after if retry_after is not None else 1.0)
        reason = f"HTTP {status}" if status else type(error).__name__
        if status is None or not self.policy.should_retry(status, attempt):
            # No status: the connector has already retried what could not have arrived; a POST whose
            # answer was lost is not sent again (it may have arrived).
            log.warning("reply in conversation %s failed after %d attempt(s): %s", _short(conversation), attempt,
                        reason)
            return None
        delay = self.policy.delay(attempt, retry_after, self.rng)
        if self.clock() + delay > deadline:
            log.warning("reply in conversation %s failed after %d attempt(s): %s, and the turn's deadline "
                        "comes before the next try", _short(conversation), attempt, reason)
            return None
        log.info("reply in conversation %s: %s, trying again in %.2f s", _short(conversation), reason, delay)
        return delay


def _short(conversation: str) -> str:
    """Enough of a conversation id to find it in other logs (Teams ids run to hundreds of characters)."""
    return conversation if len(conversation) <= 40 else conversation[:37] + "..."


DEFAULT_MAX_BYTES = 28_000
"""Teams answers an oversized message with 413 MessageSizeTooBig; sources put the limit between about
28 KB and 100 KB (the latter counted in UTF-16). 28 KB of JSON is the safe end."""


def activity_json(activity: Any) -> bytes:
    """An activity as the request body that sends it: compact JSON in UTF-8."""
    body = to_json(activity, "Activity") if not isinstance(activity, dict) else activity
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def activity_bytes(activity: Any) -> int:
    """The size of an activity as JSON in UTF-8 (what the size guard compares with its limit)."""
    return len(activity_json(activity))


class MessageTooLarge(Exception):
    """An activity over the size limit, refused before it was sent; 413 as Teams would answer (final)."""

    status = 413

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"{size} bytes of JSON, over the limit of {limit}")


@dataclass
class Outgoing:
    """What every activity a turn sends passes: the size guard, then the rate limits and retries."""

    gate: ReplyGate
    max_bytes: int = DEFAULT_MAX_BYTES

    def fit(self, activity: Activity) -> Activity:
        """The activity, or when it is over the limit a short apology in its place (logged): a card
        that can grow pages or shortens itself well below the limit, so this is the last line."""
        return self.fitted(activity)[0]

    def fitted(self, activity: Activity) -> tuple[Activity, bytes | None]:
        """:meth:`fit`, and the JSON body that was measured when it is the one to send (None for the
        notice), so the connector need not write the activity out a second time."""
        body = activity_json(activity)
        size = len(body)
        if size <= self.max_bytes:
            return activity, body
        log.warning("a reply of %d bytes is over the limit of %d: a short notice was sent instead", size,
                    self.max_bytes)
        notice = copy.copy(activity)
        notice.attachments, notice.attachment_layout = None, None
        notice.text, notice.summary = t("size.too_large"), None
        return notice, None


def check_size(activity: Activity, max_bytes: int) -> None:
    """Raise MessageTooLarge for an activity over the limit (proactive sends: the outbox records it
    as a final failure with the sizes, rather than Teams answering 413)."""
    size = activity_bytes(activity)
    if size > max_bytes:
        raise MessageTooLarge(size, max_bytes)


SUMMARY_LENGTH = 120
_MARKDOWN_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>|~])")


def with_summary(activity: Activity) -> Activity:
    """A card message with a summary for Teams' notification and activity feed (without one they
    say "Sent a card"): the card's first text, its heading. The caller's activity is not changed."""
    if activity.summary or not activity.attachments:
        return activity
    summary = card_summary(activity.attachments[0].content) or t("notify.summary")
    ready = copy.copy(activity)
    ready.summary = summary
    return ready


def card_summary(card: Any) -> str:
    """The first TextBlock's text of a card (or of a card's first column, container...), plain."""
    for node in _walk(card):
        text = node.get("text")
        if node.get("type") == "TextBlock" and isinstance(text, str) and text.strip():
            plain = " ".join(_MARKDOWN_ESCAPE.sub(r"\1", text).replace("**", "").split())
            return plain if len(plain) <= SUMMARY_LENGTH else plain[:SUMMARY_LENGTH - 1].rstrip() + "…"
    return ""


def _walk(node: Any) -> Any:
    if isinstance(node, dict):
        if "type" in node:
            yield node
        for key in ("body", "items", "columns"):
            for child in node.get(key) or []:
                yield from _walk(child)
    elif isinstance(node, list):
        for child in node:
            yield from _walk(child)
