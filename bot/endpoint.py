"""HTTP routes: the Bot Framework messages endpoint and the health check.

Malformed requests are answered with a 4xx before botbuilder sees them; the SDK's own
``CloudAdapter.process`` would raise a 500 on a missing Content-Type or invalid JSON.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import jwt
from aiohttp import web
from botbuilder.core import Bot
from botbuilder.core.bot_framework_adapter import BotFrameworkAdapter
from botbuilder.integration.aiohttp import CloudAdapter
from msrest.exceptions import DeserializationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.wire import activity_from_json

log = logging.getLogger(__name__)

MAX_JSON_DEPTH = 32
_JWT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")


def messages_route(adapter: CloudAdapter | BotFrameworkAdapter, bot: Bot, require_token: bool = False) -> Any:
    """POST /api/messages. With ``require_token`` (an app id is configured) a request without a
    bearer token is refused here: botbuilder itself fails with a 500 on a missing header."""

    async def messages(request: web.Request) -> web.StreamResponse:
        authorization = request.headers.get("Authorization", "")
        if require_token and not _looks_like_bearer_jwt(authorization):
            return _problem(401, "unauthorized")
        if request.content_type != "application/json":
            return _problem(415, "Content-Type must be application/json")
        try:
            raw = await request.read()
            body = json.loads(raw)
        except web.HTTPRequestEntityTooLarge:
            raise
        except (ValueError, UnicodeDecodeError, RecursionError):
            return _problem(400, "the body is not valid JSON")
        problem = _activity_problem(body, shallow=raw.count(b"{") + raw.count(b"[") <= MAX_JSON_DEPTH)
        if problem:
            return _problem(400, problem)
        try:
            activity = activity_from_json(body)
        except (DeserializationError, TypeError, ValueError, AttributeError):
            return _problem(400, "the body is not a Bot Framework activity")
        try:
            response = await adapter.process_activity(authorization, activity, bot.on_turn)
        except (PermissionError, jwt.PyJWTError):
            # botbuilder reports a bad signature, audience, issuer or expiry as PyJWT's errors.
            return _problem(401, "unauthorized")
        if response:
            return web.json_response(response.body, status=response.status)
        return web.Response(status=201)

    return messages


def health_route(engine: AsyncEngine) -> Any:
    async def healthz(_request: web.Request) -> web.Response:
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:  # noqa: BLE001 - any database failure means "not healthy"
            log.warning("health check: database unavailable")
            return web.json_response({"status": "unavailable", "database": "unreachable"}, status=503)
        return web.json_response({"status": "ok", "database": "ok"})

    return healthz


def _looks_like_bearer_jwt(authorization: str) -> bool:
    scheme, _, token = authorization.partition(" ")
    return scheme == "Bearer" and bool(_JWT.match(token.strip()))


def _activity_problem(body: Any, shallow: bool = False) -> str | None:
    """What is wrong with the parsed body, if anything. ``shallow``: the raw body has no more
    brackets than MAX_JSON_DEPTH (most activities), so it cannot be nested deeper."""
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    if not shallow and _depth(body) > MAX_JSON_DEPTH:
        return "the body is nested too deeply"
    if not isinstance(body.get("type"), str) or not body["type"]:
        return "the activity has no type"
    for field in ("conversation", "from", "recipient"):
        if field in body and not isinstance(body[field], dict):
            return f"'{field}' must be an object"
    if body["type"] in ("message", "invoke", "conversationUpdate", "installationUpdate"):
        if not isinstance(body.get("serviceUrl"), str) or not isinstance(body.get("conversation"), dict):
            return "the activity needs serviceUrl and conversation"
        if not isinstance(body["conversation"].get("id"), str):
            return "the conversation needs an id"
    if "text" in body and body["text"] is not None and not isinstance(body["text"], str):
        return "'text' must be a string"
    return None


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_JSON_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(item, level + 1) for item in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(item, level + 1) for item in value), default=level + 1)
    return level


def _problem(status: int, detail: str) -> web.Response:
    return web.json_response({"error": detail}, status=status)
