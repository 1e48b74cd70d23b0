"""A stand-in for the Bot Connector API on loopback: accepts replies and counts them.

It answers the calls a bot makes while replying (reply to an activity, send to a conversation,
update, delete, create a conversation), counts activities per conversation and the distinct TCP
connections they came over, and answers anything else with 404 and counts it as unexpected.
``GET /_stats`` returns the counts; ``POST /_reset`` zeroes them.

With ``--rate-limited`` it enforces Teams' bot limits as the service would (per conversation 7 per
second, 8 per 2 s, 60 per 30 s, 1800 per hour; 50 per second for the whole app), counting what it
accepted, and answers a message over a limit with 429 and Retry-After (whole seconds, rounded up).

``python -m bench.stub_connector --port 9000`` runs it on its own (the turn benchmark starts it as a
subprocess so its CPU is not charged to the load generator or the bot under test).
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.ratelimit import RateLimiter  # noqa: E402 - the limits the bot itself keeps to


@dataclass
class StubStats:
    replies: int = 0
    per_conversation: Counter[str] = field(default_factory=Counter)
    connections: set[tuple[str, int]] = field(default_factory=set)
    unexpected: list[str] = field(default_factory=list)
    authorization: Counter[str] = field(default_factory=Counter)
    throttled: int = 0
    first_at: float | None = None
    last_at: float | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "replies": self.replies,
            "conversations": len(self.per_conversation),
            "duplicates": sum(count - 1 for count in self.per_conversation.values() if count > 1),
            "throttled": self.throttled,
            "busy_seconds": (self.last_at - self.first_at) if self.first_at and self.last_at else 0.0,
            "connections": len(self.connections),
            "unexpected": self.unexpected[:20],
            "unexpected_count": len(self.unexpected),
            "authorization": dict(self.authorization),
        }


class StubConnector:
    """The connector's routes as an aiohttp application; ``stats`` holds what arrived."""

    def __init__(self, rate_limited: bool = False) -> None:
        self.stats = StubStats()
        self._ids = itertools.count(1)
        self._limits: RateLimiter | None = RateLimiter(time.monotonic) if rate_limited else None

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", self._activity)
        app.router.add_post("/v3/conversations/{conversation}/activities", self._activity)
        app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self._update)
        app.router.add_delete("/v3/conversations/{conversation}/activities/{activity}", self._delete)
        app.router.add_post("/v3/conversations", self._create_conversation)
        app.router.add_get("/_stats", self._stats)
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
        if self._limits is not None:
            wait = self._limits.wait_time(conversation)
            if wait > 0:
                self.stats.throttled += 1
                return web.json_response({"error": {"code": "TooManyRequests", "message": "slow down"}}, status=429,
                                         headers={"Retry-After": str(math.ceil(wait))})
            self._limits.record(conversation)
        now = time.monotonic()
        self.stats.first_at = self.stats.first_at or now
        self.stats.last_at = now
        self.stats.replies += 1
        self.stats.per_conversation[conversation] += 1
        return web.json_response({"id": f"reply-{next(self._ids)}"}, status=200)

    async def _update(self, request: web.Request) -> web.Response:
        self._seen(request)
        await request.read()
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

    async def _reset(self, _request: web.Request) -> web.Response:
        self.stats = StubStats()
        if self._limits is not None:
            self._limits = RateLimiter(time.monotonic)
        return web.json_response({"ok": True})

    async def _unexpected(self, request: web.Request) -> web.Response:
        self.stats.unexpected.append(f"{request.method} {request.path}")
        return web.json_response({"error": {"code": "NotFound", "message": request.path}}, status=404)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--rate-limited", action="store_true", help="enforce Teams' rate limits with 429s")
    arguments = parser.parse_args()
    web.run_app(StubConnector(arguments.rate_limited).app(), host="127.0.0.1", port=arguments.port, print=None,
                access_log=None)


if __name__ == "__main__":
    main()
