"""A stand-in for the Bot Connector API on loopback: accepts replies and counts them.

It answers the calls a bot makes while replying (reply to an activity, send to a conversation,
update, delete, create a conversation), counts activities per conversation and the distinct TCP
connections they came over, and answers anything else with 404 and counts it as unexpected.
``GET /_stats`` returns the counts; ``POST /_reset`` zeroes them.

With ``--rate-limited`` it enforces Teams' bot limits as the service would (per conversation 7 per
second, 8 per 2 s, 60 per 30 s, 1800 per hour; 50 per second for the whole app), counting what it
accepted, and answers a message over a limit with 429 and Retry-After (whole seconds, rounded up).
Its windows are its own (``TeamsWindows``, from Microsoft's documented limits), not the bot's
``RateLimiter``: a limiter that is too generous meets 429s here.

Every reply is filed under the activity it answers (the path's activity id for replies and updates),
so the load generator counts a turn only if its answer arrived; the bot's turn-failed apology
(``--apology``) is counted apart and never as an answer.

``python -m bench.stub_connector --port 9000`` runs it on its own (the turn benchmark starts it as a
subprocess so its CPU is not charged to the load generator or the bot under test).
"""

from __future__ import annotations

import argparse
import itertools
import math
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

PER_CONVERSATION = ((1.0, 7), (2.0, 8), (30.0, 60), (3600.0, 1800))
"""Teams' limits per bot per conversation (seconds, messages), as Microsoft documents them."""
PER_APP = ((1.0, 50),)
"""Teams' limit per app per tenant: 50 requests a second."""


class TeamsWindows:
    """Sliding windows over the times of accepted messages, kept apart from the bot's own limiter."""

    def __init__(self) -> None:
        self._conversations: dict[str, deque[float]] = {}
        self._app: deque[float] = deque()

    def retry_after(self, conversation: str, now: float) -> float:
        """Seconds until a message to `conversation` would be accepted; 0 when it is now."""
        sent = self._conversations.setdefault(conversation, deque())
        while sent and now - sent[0] >= PER_CONVERSATION[-1][0]:
            sent.popleft()
        while self._app and now - self._app[0] >= PER_APP[-1][0]:
            self._app.popleft()
        return max(_wait(sent, PER_CONVERSATION, now), _wait(self._app, PER_APP, now))

    def accept(self, conversation: str, now: float) -> None:
        self._conversations[conversation].append(now)
        self._app.append(now)


def _wait(sent: deque[float], windows: tuple[tuple[float, int], ...], now: float) -> float:
    wait = 0.0
    for seconds, limit in windows:
        inside = [at for at in sent if now - at < seconds]
        if len(inside) >= limit:
            wait = max(wait, inside[-limit] + seconds - now)
    return wait


@dataclass
class StubStats:
    replies: int = 0
    per_conversation: Counter[str] = field(default_factory=Counter)
    connections: set[tuple[str, int]] = field(default_factory=set)
    unexpected: list[str] = field(default_factory=list)
    authorization: Counter[str] = field(default_factory=Counter)
    throttled: int = 0
    answered: set[str] = field(default_factory=set)
    apologies: int = 0
    first_at: float | None = None
    last_at: float | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "replies": self.replies,
            "conversations": len(self.per_conversation),
            "duplicates": sum(count - 1 for count in self.per_conversation.values() if count > 1),
            "throttled": self.throttled,
            "apologies": self.apologies,
            "busy_seconds": (self.last_at - self.first_at) if self.first_at and self.last_at else 0.0,
            "connections": len(self.connections),
            "unexpected": self.unexpected[:20],
            "unexpected_count": len(self.unexpected),
            "authorization": dict(self.authorization),
        }


class StubConnector:
    """The connector's routes as an aiohttp application; ``stats`` holds what arrived."""

    def __init__(self, rate_limited: bool = False, apology: str | None = None) -> None:
        self.stats = StubStats()
        self._ids = itertools.count(1)
        self._rate_limited = rate_limited
        self._limits = TeamsWindows()
        self._apology = apology

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", self._activity)
        app.router.add_post("/v3/conversations/{conversation}/activities", self._activity)
        app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self._update)
        app.router.add_delete("/v3/conversations/{conversation}/activities/{activity}", self._delete)
        app.router.add_post("/v3/conversations", self._create_conversation)
        app.router.add_get("/_stats", self._stats)
        app.router.add_get("/_answered", self._answered)
        app.router.add_post("/_reset", self._reset)
        app.router.add_route("*", "/{tail:.*}", self._unexpected)
        return app

    def _seen(self, request: web.Request) -> None:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        if peer:
            self.stats.connections.add((str(peer[0]), int(peer[1])))
        self.stats.authorization["bearer" if request.headers.get("Authorization") else "none"] += 1

    async def _activity(self, request: web.Request) -> web.Response:
        self._seen(request)
        activity = await request.json()
        if not isinstance(activity, dict) or not activity.get("type"):
            return web.json_response({"error": {"code": "BadArgument", "message": "no activity"}}, status=400)
        conversation = request.match_info["conversation"]
        now = time.monotonic()
        if self._rate_limited:
            wait = self._limits.retry_after(conversation, now)
            if wait > 0:
                self.stats.throttled += 1
                return web.json_response({"error": {"code": "TooManyRequests", "message": "slow down"}}, status=429,
                                         headers={"Retry-After": str(math.ceil(wait))})
            self._limits.accept(conversation, now)
        self._file_answer(request.match_info.get("activity"), activity)
        self.stats.first_at = self.stats.first_at or now
        self.stats.last_at = now
        self.stats.replies += 1
        self.stats.per_conversation[conversation] += 1
        return web.json_response({"id": f"reply-{next(self._ids)}"}, status=200)

    def _file_answer(self, answered: str | None, activity: dict[str, Any]) -> None:
        if answered is None:
            return
        if self._apology is not None and activity.get("text") == self._apology:
            self.stats.apologies += 1
        else:
            self.stats.answered.add(answered)

    async def _update(self, request: web.Request) -> web.Response:
        self._seen(request)
        activity = await request.json()
        self._file_answer(request.match_info["activity"], activity if isinstance(activity, dict) else {})
        return web.json_response({"id": request.match_info["activity"]})

    async def _delete(self, request: web.Request) -> web.Response:
        self._seen(request)
        return web.Response(status=200)

    async def _create_conversation(self, request: web.Request) -> web.Response:
        self._seen(request)
        await request.read()
        number = next(self._ids)
        return web.json_response({"id": f"created-{number}", "activityId": f"a-{number}"}, status=201)

    async def _stats(self, _request: web.Request) -> web.Response:
        return web.json_response(self.stats.as_json())

    async def _answered(self, _request: web.Request) -> web.Response:
        """The ids of the activities that got an answer other than the apology."""
        return web.json_response(sorted(self.stats.answered))

    async def _reset(self, _request: web.Request) -> web.Response:
        self.stats = StubStats()
        self._limits = TeamsWindows()
        return web.json_response({"ok": True})

    async def _unexpected(self, request: web.Request) -> web.Response:
        self.stats.unexpected.append(f"{request.method} {request.path}")
        return web.json_response({"error": {"code": "NotFound", "message": request.path}}, status=404)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--rate-limited", action="store_true", help="enforce Teams' rate limits with 429s")
    parser.add_argument("--apology", help="the bot's turn-failed text: such replies are not answers")
    arguments = parser.parse_args()
    stub = StubConnector(arguments.rate_limited, arguments.apology)
    web.run_app(stub.app(), host="127.0.0.1", port=arguments.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
