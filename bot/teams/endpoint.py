"""HTTP routes: the Bot Framework messages endpoint and the health check.

Malformed requests are answered with a 4xx before botbuilder sees them; the SDK's own
``CloudAdapter.process`` would raise a 500 on a missing Content-Type or invalid JSON.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any

import aiohttp
import jwt
import requests
from aiohttp import web
from botbuilder.core import Bot
from botbuilder.core.bot_framework_adapter import BotFrameworkAdapter
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity
from msrest.exceptions import DeserializationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.teams.wire import activity_from_json

log = logging.getLogger(__name__)

MAX_JSON_DEPTH = 32
BODY_TIMEOUT = 30.0
"""Seconds a client may take to send its body: a body trickled byte by byte must not hold a
connection (and a slot of the process) for minutes."""
_JWT = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")


def messages_route(adapter: CloudAdapter | BotFrameworkAdapter, bot: Bot, require_token: bool = False,
                   body_timeout: float = BODY_TIMEOUT) -> Any:
    """POST /api/messages. With ``require_token`` (an app id is configured) a request without a
    bearer token is refused here: botbuilder itself fails with a 500 on a missing header."""

    async def messages(request: web.Request) -> web.StreamResponse:
        authorization = request.headers.get("Authorization", "")
        if require_token and not _looks_like_bearer_jwt(authorization):
            return _problem(401, "unauthorized")
        if request.content_type != "application/json":
            return _problem(415, "Content-Type must be application/json")
        try:
            async with asyncio.timeout(body_timeout):
                raw = await request.read()
        except TimeoutError:
            log.info("a request body did not arrive within %.0f s", body_timeout)
            return _problem(408, "the body took too long to arrive")
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return _problem(400, "the body is not valid JSON")
        problem = _activity_problem(body, shallow=raw.count(b"{") + raw.count(b"[") <= MAX_JSON_DEPTH)
        if problem:
            return _problem(400, problem)
        try:
            activity = activity_from_json(body)
        except (DeserializationError, TypeError, ValueError, AttributeError):
            return _problem(400, "the body is not a Bot Framework activity")
        authenticated = await _authenticate(adapter, activity, authorization)
        if isinstance(authenticated, web.Response):
            return authenticated
        try:
            response = await adapter.process_activity(authenticated, activity, bot.on_turn)
        except (PermissionError, jwt.PyJWTError):
            # botbuilder reports a bad signature, audience, issuer or expiry as PyJWT's errors.
            return _problem(401, "unauthorized")
        if response:
            return web.json_response(response.body, status=response.status)
        return web.Response(status=201)

    return messages


async def _authenticate(adapter: CloudAdapter | BotFrameworkAdapter, activity: Activity,
                        authorization: str) -> Any:
    """The token checked before the turn: botbuilder raises whatever its checks hit (a KeyError for an
    unknown key id, a bare Exception for alg=none or an emulator issuer, ...), which would be a 500 with a
    traceback per request. Every such failure is a 401 with one log line; an unreachable key endpoint is
    a 503. Adapters without the cloud authentication object authenticate inside process_activity."""
    authentication = getattr(adapter, "bot_framework_authentication", None)
    if authentication is None:
        return authorization
    try:
        return await authentication.authenticate_request(activity, authorization)
    except (requests.ConnectionError, requests.Timeout, aiohttp.ClientConnectionError, TimeoutError) as error:
        log.warning("could not check a token: the signing keys are unreachable (%s)", type(error).__name__)
        return _problem(503, "authentication unavailable")
    except Exception as error:  # noqa: BLE001 - any failed check of a token the client sent is a 401
        log.warning("refused a request with an invalid token (%s)", type(error).__name__)
        return _problem(401, "unauthorized")


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
