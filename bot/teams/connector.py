"""Fast outbound Bot Connector calls: connector clients reused per service URL, app id and audience,
and every call sent over one pooled aiohttp session.

Stock ``CloudAdapter`` builds a ``ConnectorClient`` and a ``TokenApiClient`` on every turn (each
builds msrest's ``ClientRetryPolicy``, ~2.4 ms, and each ``MicrosoftAppCredentials`` starts with an
empty token cache), then sends through ``requests`` in a thread pool over a new TCP connection.

This is done by composition, not by editing or subclassing the SDK's adapter: a
``BotFrameworkAuthentication`` wrapper lets the SDK authenticate requests and create credentials and
clients exactly as before, keeps the clients it built, and gives each one an msrest pipeline whose last
stage is aiohttp. The operations (``reply_to_activity``, ``send_to_conversation``, ``update_activity``,
``create_conversation``, ...) are the SDK's own, so serialisation and errors are unchanged: a non-2xx
answer raises ``ErrorResponseException`` whose ``response`` has ``status_code`` and ``headers``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import ssl
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from functools import partial
from typing import Any
from urllib.parse import quote

import aiohttp
import certifi
from botbuilder.core import TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity, ActivityEventNames, ResourceResponse
from botframework.connector.aio import ConnectorClient
from botframework.connector.aio.operations_async import ConversationsOperations
from botframework.connector.auth import (
    AppCredentials,
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    UserTokenClient,
)
from botframework.connector.models import ErrorResponseException
from msrest.exceptions import ClientRequestError
from msrest.pipeline import AsyncHTTPSender, AsyncPipeline, Request, Response, SansIOHTTPPolicy
from msrest.pipeline.universal import RawDeserializer
from msrest.universal_http import AsyncClientResponse, ClientRequest
from msrest.universal_http.requests import ClientRetryPolicy
from multidict import CIMultiDict
from yarl import URL

from bot.outbox.retry import parse_retry_after
from bot.teams.outgoing import Outgoing
from bot.teams.wire import FastDeserializer, FastSerializer

log = logging.getLogger(__name__)

ClientKey = tuple[str, str | None, str | None]
"""(service URL, bot app id, audience): what the SDK's connector factory builds a client from."""

# msrest's retry policy as urllib3 2 applies it: three retries; connection failures always (nothing was
# sent), lost answers and retryable statuses only for idempotent methods, so a POST (a reply) is never
# sent twice. Retry-After is honoured (capped at msrest's 90 s back-off maximum).
RETRIES = 3
BACKOFF_FACTOR = 0.8
BACKOFF_MAX = 90.0
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"})
RETRY_STATUSES = frozenset(range(999)) - frozenset(ClientRetryPolicy.safe_codes)
RETRY_AFTER_STATUSES = frozenset({413, 429, 503})
_NOTHING_SENT = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)
_NO_ANSWER = (aiohttp.ClientError, asyncio.TimeoutError)
_PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy", "all_proxy")
_CA_BUNDLE_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


def create_fast_adapter(configuration: object) -> CloudAdapter:
    """A :class:`LeanCloudAdapter` over ``ConfigurationBotFrameworkAuthentication(configuration)``
    (app.py's BotFrameworkConfig, the one place settings become SDK configuration) whose outbound
    calls go through a :class:`ConnectorPool`; close it with :func:`close_adapter`."""
    authentication = ConfigurationBotFrameworkAuthentication(configuration)
    return LeanCloudAdapter(PooledBotFrameworkAuthentication(authentication))


class LeanCloudAdapter(CloudAdapter):
    """The SDK's CloudAdapter; its turns (incoming and proactive) get a :class:`LeanTurnContext`,
    and :meth:`send_proactive` sends a stored conversation a message without running a turn.
    With ``outgoing`` set, every message a turn sends or updates is size-checked and goes through the
    outbox's rate limits and retries within the turn's deadline (bot/teams/outgoing.py)."""

    outgoing: Outgoing | None = None

    def _create_turn_context(self, activity: Any, *args: Any) -> TurnContext:
        made = super()._create_turn_context(activity, *args)  # fills the turn state as the SDK does
        context = LeanTurnContext(self, activity)
        context.turn_state.update(made.turn_state)
        if self.outgoing is not None and not _proactive(activity):
            context.turn_state[TURN_DEADLINE] = self.outgoing.gate.deadline()
        return context

    async def send_activities(self, context: TurnContext, activities: list[Activity]) -> list[ResourceResponse]:
        outgoing = self.outgoing
        if outgoing is None or TURN_DEADLINE not in context.turn_state:
            # Proactive turns (the outbox's) are rate-limited and retried by the outbox itself.
            return await super().send_activities(context, activities)
        send = super().send_activities
        responses: list[ResourceResponse] = []
        for activity in activities:
            if activity.type not in (None, "message"):  # typing, trace, delay, invoke response: not messages
                responses.extend(await send(context, [activity]))
                continue
            fitted = _measured(outgoing, activity)

            async def send_one(one: Activity = fitted) -> list[ResourceResponse]:
                return await send(context, [one])

            responses.extend(await outgoing.gate.send(_conversation_of(fitted), _deadline(context, outgoing), send_one))
        return responses

    async def update_activity(self, context: TurnContext, activity: Activity) -> Any:
        outgoing = self.outgoing
        if outgoing is None or TURN_DEADLINE not in context.turn_state:
            return await super().update_activity(context, activity)
        update = super().update_activity
        fitted = _measured(outgoing, activity)
        return await outgoing.gate.send(_conversation_of(fitted), _deadline(context, outgoing),
                                        lambda: update(context, fitted))

    async def send_proactive(self, reference: Any, activity: Activity, bot_app_id: str | None) -> str | None:
        """Send one activity to a stored conversation; returns its id. What continue_conversation
        does for a callback that only sends (the same client, credentials, addressing and defaults),
        without running a turn: no continuation activity, TurnContext or middleware, and the message
        is POSTed to the conversation rather than as a reply to the made-up continuation activity.
        Errors are the connector client's (``ErrorResponseException``), not the turn error handler's."""
        claims = self.create_claims_identity(bot_app_id or "")
        factory = self.bot_framework_authentication.create_connector_factory(claims)
        client = await factory.create(reference.service_url, None)
        # Addressed as TurnContext.apply_conversation_reference addresses a reply in a continued
        # conversation (whose continuation activity carries no locale), minus the reply-to id. The
        # reference is the caller's to give away: its accounts are used, not copied.
        outgoing = _SentActivity.copy_of(activity)
        outgoing.channel_id, outgoing.service_url, outgoing.locale = reference.channel_id, reference.service_url, None
        outgoing.conversation, outgoing.from_property, outgoing.recipient = (
            reference.conversation, reference.bot, reference.user)
        outgoing.type = outgoing.type or "message"
        outgoing.input_hint = outgoing.input_hint or "acceptingInput"
        outgoing.id = None
        response = await client.conversations.send_to_conversation(outgoing.conversation.id, outgoing)
        return getattr(response, "id", None)


TURN_DEADLINE = "dalalab.turn_deadline"
"""Turn state: the ``gate.clock()`` value by which the turn's replies must be out."""


def _deadline(context: TurnContext, outgoing: Outgoing) -> float:
    return float(context.turn_state[TURN_DEADLINE])


def _proactive(activity: Any) -> bool:
    """The made-up activity of a turn the bot starts itself (continue_conversation, create_conversation)."""
    return getattr(activity, "type", None) == "event" and getattr(activity, "name", None) in (
        ActivityEventNames.continue_conversation, ActivityEventNames.create_conversation)


def _measured(outgoing: Outgoing, activity: Activity) -> Activity:
    """``outgoing.fit(activity)`` as an activity of this turn's own (a shallow copy), carrying the JSON
    body the size guard measured: the connector sends it rather than writing the activity out again."""
    fitted, body = outgoing.fitted(activity)
    sent = _SentActivity.copy_of(fitted)
    if body is not None and isinstance(sent, _SentActivity):
        sent.wire = (sent.id, body)
    return sent


def _conversation_of(activity: Activity) -> str:
    return str(activity.conversation.id) if activity.conversation is not None else ""


class LeanTurnContext(TurnContext):
    """A TurnContext that copies each outgoing activity once, shallowly. The SDK deep-copies it
    (for a help card, ~200 objects: a fifth of a turn) only so that filling in the conversation
    reference does not change the caller's activity; that fills top-level attributes only, and the
    SDK changes nothing deeper, so a shallow copy protects the caller as well."""

    async def send_activities(self, activities: list[Activity]) -> list[ResourceResponse]:
        return await super().send_activities([_SentActivity.copy_of(activity) for activity in activities])

    async def _emit(self, plugins: list[Callable[..., Awaitable[Any]]], arg: Any, logic: Awaitable[Any]) -> Any:
        """The SDK's handler chain, as it runs it: each handler gets a ``next`` that runs the following
        ones, and ``logic`` runs after the chain. The SDK chains through a closure that refers to itself;
        that cycle keeps every turn's context, activities and claims for the collector to find, which
        then does it in full collections that stop every turn under way. This chain frees them when the
        turn ends."""
        await _run_handlers(tuple(plugins), 0, self, arg)
        return await logic


async def _run_handlers(handlers: tuple[Callable[..., Awaitable[Any]], ...], index: int, context: TurnContext,
                        arg: Any) -> None:
    if index < len(handlers):
        await handlers[index](context, arg, partial(_run_handlers, handlers, index + 1, context, arg))


class _SentActivity(Activity):
    """A shallow copy of an activity on its way out; the SDK's deepcopy keeps it as it is."""

    wire: tuple[str | None, bytes] | None = None
    """(its id then, its JSON body) when the body was written for the size guard. The SDK clears the id
    of a reply before sending it: a body written with another id is written again."""

    @classmethod
    def copy_of(cls, activity: Activity) -> Activity:
        if not isinstance(activity, Activity) or isinstance(activity, _SentActivity):
            return activity
        clone = cls.__new__(cls)
        clone.__dict__.update(activity.__dict__)
        return clone

    def __deepcopy__(self, memo: dict[int, Any]) -> _SentActivity:
        return self


async def close_adapter(adapter: object) -> None:
    """Close the adapter's pooled session (a no-op for adapters without one)."""
    authentication = getattr(adapter, "bot_framework_authentication", None)
    if isinstance(authentication, PooledBotFrameworkAuthentication):
        await authentication.pool.close()


class ConnectorPool:
    """The one aiohttp session for outbound calls, and the clients built so far (least recently used
    dropped beyond ``max_clients``: without authentication anyone may name a service URL)."""

    def __init__(self, max_clients: int = 256, connection_limit: int = 100) -> None:
        self.max_clients = max_clients
        self._connection_limit = connection_limit
        self._clients: OrderedDict[ClientKey, ConnectorClient] = OrderedDict()
        self._token_clients: OrderedDict[str | None, UserTokenClient] = OrderedDict()
        self._session: aiohttp.ClientSession | None = None
        self._closed = False

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError("the connector pool is closed")
        if self._session is None:
            # Created on first use, inside the running event loop the session belongs to. The
            # environment is trusted only when it names a proxy (as requests would use it): aiohttp
            # otherwise looks up ~/.netrc in a worker thread on every request.
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connection_limit, ssl=_tls_context()),
                trust_env=any(os.environ.get(name) for name in _PROXY_VARIABLES),
            )
        return self._session

    @property
    def client_count(self) -> int:
        return len(self._clients)

    def cached(self, key: ClientKey) -> ConnectorClient | None:
        client = self._clients.get(key)
        if client is not None:
            self._clients.move_to_end(key)
        return client

    def keep(self, key: ClientKey, client: ConnectorClient) -> ConnectorClient:
        """Cache ``client`` (the first one wins when two turns built one for the same key)."""
        kept: ConnectorClient = self._clients.setdefault(key, client)
        _trim(self._clients, self.max_clients)
        return kept

    def user_token_client(
        self, app_id: str | None, create: Callable[[], Awaitable[UserTokenClient]]
    ) -> UserTokenClient:
        client = self._token_clients.get(app_id)
        if client is None:
            client = self._token_clients[app_id] = LazyUserTokenClient(create)
            _trim(self._token_clients, self.max_clients)
        return client

    async def close(self) -> None:
        self._closed = True
        self._clients.clear()
        self._token_clients.clear()
        if self._session is not None:
            await self._session.close()


def _tls_context() -> ssl.SSLContext:
    """The certificates requests trusts: its CA bundle variables, else certifi's bundle."""
    bundle = next((os.environ[name] for name in _CA_BUNDLE_VARIABLES if os.environ.get(name)), None)
    return ssl.create_default_context(cafile=bundle or certifi.where())


def _trim(cache: OrderedDict[Any, Any], size: int) -> None:
    while len(cache) > size:
        cache.popitem(last=False)


class PooledBotFrameworkAuthentication(BotFrameworkAuthentication):
    """The SDK's authentication, unchanged, with its connector factories made to reuse clients and
    its user token clients built only when used. One pool per wrapper: cache keys assume one
    credentials factory."""

    def __init__(self, inner: BotFrameworkAuthentication, pool: ConnectorPool | None = None) -> None:
        self.inner = inner
        self.pool = pool or ConnectorPool()

    async def authenticate_request(self, activity: Any, auth_header: str) -> Any:
        result = await self.inner.authenticate_request(activity, auth_header)
        if result.connector_factory is not None:
            result.connector_factory = PooledConnectorFactory(
                result.connector_factory, _app_id(result.claims_identity), self.pool
            )
        return result

    async def authenticate_streaming_request(self, auth_header: str, channel_id_header: str) -> Any:
        return await self.inner.authenticate_streaming_request(auth_header, channel_id_header)

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        inner = self.inner.create_connector_factory(claims_identity)
        return PooledConnectorFactory(inner, _app_id(claims_identity), self.pool)

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        async def create() -> UserTokenClient:
            return await self.inner.create_user_token_client(claims_identity)

        return self.pool.user_token_client(_app_id(claims_identity), create)

    def create_bot_framework_client(self) -> Any:
        return self.inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return str(self.inner.get_originating_audience())

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        return await self.inner.authenticate_channel_request(auth_header)


def _app_id(claims_identity: ClaimsIdentity) -> str | None:
    """The bot app id the SDK's connector factory is built with (audience claim, else appid claim)."""
    app_id = claims_identity.get_claim_value(AuthenticationConstants.AUDIENCE_CLAIM)
    if app_id is None:
        app_id = claims_identity.get_claim_value(AuthenticationConstants.APP_ID_CLAIM)
    return None if app_id is None else str(app_id)


class PooledConnectorFactory(ConnectorFactory):
    """Returns the cached client for (service URL, app id, audience); the SDK's factory builds it
    (and validates the app id, and creates the credentials) the first time only."""

    def __init__(self, inner: ConnectorFactory, app_id: str | None, pool: ConnectorPool) -> None:
        self._inner = inner
        self._app_id = app_id
        self._pool = pool

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        key = (service_url, self._app_id, audience)
        client = self._pool.cached(key)
        if client is None:
            client = self._pool.keep(key, use_pool(await self._inner.create(service_url, audience), self._pool))
        return client


def use_pool(client: ConnectorClient, pool: ConnectorPool) -> ConnectorClient:
    """Give an SDK-built client a pipeline that sends over ``pool``'s session, and bodies written and
    read by bot.teams.wire's plans instead of msrest's generic walk. Clients with a
    caller-configured pipeline, or credentials other than the SDK's AppCredentials, are left alone."""
    config = client.config
    if getattr(config, "custom_pipeline", None) is not None or not isinstance(config.credentials, AppCredentials):
        return client
    config.pipeline = AsyncPipeline(
        [config.user_agent_policy, BearerTokenPolicy(config.credentials), RawDeserializer(),
         config.http_logger_policy],
        AiohttpSender(pool, config),
    )
    serializer = FastSerializer(client._serialize.dependencies)
    deserializer = FastDeserializer(client._deserialize.dependencies)
    client.attachments._serialize, client.attachments._deserialize = serializer, deserializer
    client.conversations = PooledConversations(client, serializer, deserializer, AiohttpSender(pool, config))
    return client


_REPLY_URL: str = ConversationsOperations.reply_to_activity.metadata["url"]  # type: ignore[attr-defined]
_SEND_URL: str = ConversationsOperations.send_to_conversation.metadata["url"]  # type: ignore[attr-defined]


def _segment(value: str) -> str:
    """A path parameter as msrest's ``Serializer.url(name, value, "str")`` writes a string."""
    return quote(value if isinstance(value, str) else str(value), safe="")


class PooledConversations(ConversationsOperations):
    """The SDK's conversation operations; the three every turn and every reminder makes (reply to an
    activity, send to a conversation, update a card in place) skip msrest's pipeline and go straight to
    the pool's sender, with the same URL, headers, body, retries and errors (``ErrorResponseException``
    on a non-2xx)."""

    def __init__(self, client: ConnectorClient, serializer: FastSerializer, deserializer: FastDeserializer,
                 sender: AiohttpSender) -> None:
        super().__init__(client._client, client.config, serializer, deserializer)
        self._sender = sender
        self._signer = BearerTokenPolicy(client.config.credentials)
        self._user_agent = client.config.user_agent_policy.user_agent
        self._urls: OrderedDict[str, str] = OrderedDict()
        # format_url joins "v3/conversations/<id>/activities" onto the service URL; with an ordinary
        # id segment that is this prefix + the segment + "/activities".
        self._conversations_url: str = client._client.format_url("/v3/conversations/")

    async def reply_to_activity(self, conversation_id: str, activity_id: str, activity: Any, *,
                                custom_headers: Any = None, raw: bool = False, **operation_config: Any) -> Any:
        if custom_headers or raw or operation_config:
            return await super().reply_to_activity(conversation_id, activity_id, activity,
                                                   custom_headers=custom_headers, raw=raw, **operation_config)
        url = self.reply_url(conversation_id, activity_id)
        return await self._post_activity(url, activity, {"x-ms-conversation-id": conversation_id})

    async def send_to_conversation(self, conversation_id: str, activity: Any, *,
                                   custom_headers: Any = None, raw: bool = False, **operation_config: Any) -> Any:
        if custom_headers or raw or operation_config:
            return await super().send_to_conversation(conversation_id, activity,
                                                      custom_headers=custom_headers, raw=raw, **operation_config)
        return await self._post_activity(self._activities_url(conversation_id), activity, {})

    async def update_activity(self, conversation_id: str, activity_id: str, activity: Any, *,
                              custom_headers: Any = None, raw: bool = False, **operation_config: Any) -> Any:
        if custom_headers or raw or operation_config:
            return await super().update_activity(conversation_id, activity_id, activity,
                                                 custom_headers=custom_headers, raw=raw, **operation_config)
        return await self._send_activity("PUT", self.reply_url(conversation_id, activity_id), activity, {})

    def reply_url(self, conversation_id: str, activity_id: str) -> str:
        segment = _segment(activity_id)
        if segment in (".", ".."):  # format_url would resolve it as a path step
            return str(self._client.format_url(_REPLY_URL, conversationId=_segment(conversation_id),
                                               activityId=segment))
        return f"{self._activities_url(conversation_id)}/{segment}"

    def _activities_url(self, conversation_id: str) -> str:
        """The conversation's activities URL as the SDK's format_url builds it (urljoin onto the
        service URL, ~40 µs), remembered for the conversations seen lately."""
        url = self._urls.get(conversation_id)
        if url is None:
            segment = _segment(conversation_id)
            if segment in ("", ".", ".."):  # urljoin would drop or resolve it
                url = self._client.format_url(_SEND_URL, conversationId=segment)
            else:
                url = f"{self._conversations_url}{segment}/activities"
            self._urls[conversation_id] = url
            _trim(self._urls, 4096)
        return url

    async def _post_activity(self, url: str, activity: Any, extra_headers: dict[str, str]) -> Any:
        return await self._send_activity("POST", url, activity, extra_headers)

    async def _send_activity(self, method: str, url: str, activity: Any, extra_headers: dict[str, str]) -> Any:
        request = ClientRequest(method, url)
        request.headers.update({"Accept": "application/json", "Content-Type": "application/json; charset=utf-8",
                                **extra_headers, "User-Agent": self._user_agent})
        request.data = _body_of(activity) or json.dumps(self._serialize.body(activity, "Activity"))
        self._signer.on_request(Request(request))
        response = await self._sender.send(Request(request), timeout=None)
        answer = response.http_response
        if answer.status_code not in (200, 201, 202):
            raise ErrorResponseException(self._deserialize, answer)
        return self._deserialize("ResourceResponse", answer)


def _body_of(activity: Any) -> bytes | None:
    """The JSON body written for the size guard, if it still matches the activity (see _SentActivity)."""
    wire = activity.wire if isinstance(activity, _SentActivity) else None
    return wire[1] if wire is not None and wire[0] == activity.id else None


class _HeaderCarrier:
    """What AppCredentials.signed_session touches of a requests.Session: its headers."""

    def __init__(self) -> None:
        self.headers: dict[str, str] = {}


class BearerTokenPolicy(SansIOHTTPPolicy):
    """Signs each request the way msrest's requests policy does: the SDK credentials'
    ``signed_session`` sets ``Authorization: Bearer <token>`` when there is an app id (its msal
    application caches and refreshes the token) and removes it otherwise."""

    def __init__(self, credentials: AppCredentials) -> None:
        self._credentials = credentials

    def on_request(self, request: Request[ClientRequest], **kwargs: Any) -> None:
        carrier = _HeaderCarrier()
        self._credentials.signed_session(carrier)
        authorization = carrier.headers.get("Authorization")
        if authorization:
            request.http_request.headers["Authorization"] = authorization
        else:
            request.http_request.headers.pop("Authorization", None)


class AiohttpSender(AsyncHTTPSender):
    """The last stage of the pipeline: one request over the pool's session, retried as msrest's
    policy would (see RETRIES), the body read so the connection goes back to the pool."""

    def __init__(self, pool: ConnectorPool, config: Any) -> None:
        self._pool = pool
        self._headers: dict[str, str] = dict(config.headers)
        self._timeout = _timeout(config.connection.timeout)

    async def __aenter__(self) -> AiohttpSender:
        return self

    async def __aexit__(self, *exc_details: object) -> None:
        return None  # the pool owns the session

    async def send(self, request: Request[ClientRequest], **config: Any) -> Response[ClientRequest, Any]:
        limits = _timeout(config["timeout"]) if config.get("timeout") else self._timeout
        return Response(request, await self._send(request.http_request, limits))

    async def _send(self, http_request: ClientRequest, limits: aiohttp.ClientTimeout) -> ConnectorResponse:
        method = http_request.method.upper()
        for failures in range(RETRIES + 1):
            try:
                response = await self._attempt(http_request, limits)
            except _NOTHING_SENT as error:
                if failures == RETRIES:
                    raise ClientRequestError("Error occurred in request.", error) from error
                delay = _backoff(failures + 1)
            except _NO_ANSWER as error:
                if failures == RETRIES or method not in IDEMPOTENT:
                    raise ClientRequestError("Error occurred in request.", error) from error
                delay = _backoff(failures + 1)
            else:
                retry_delay = _status_retry_delay(method, response, failures + 1)
                if retry_delay is None or failures == RETRIES:
                    return response
                delay = retry_delay
            log.info("connector %s %s: retrying in %.1f s", method, http_request.url, delay)
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    async def _attempt(self, http_request: ClientRequest, limits: aiohttp.ClientTimeout) -> ConnectorResponse:
        if http_request.files:
            raise NotImplementedError("multipart bodies are not sent by the Bot Connector client")
        data = http_request.data
        if isinstance(data, str):
            data = data.encode("utf-8")
        headers = {**self._headers, **http_request.headers}
        headers.pop("Content-Length", None)  # aiohttp counts the bytes it sends
        method = http_request.method.upper()
        # msrest has already quoted the URL; requoting would decode ":" "@" ";" "=" in Teams conversation
        # ids ("19:...@thread.tacv2;messageid=...") where requests sends them encoded.
        async with self._pool.session.request(
            method, URL(http_request.url, encoded=True), headers=headers, data=data, timeout=limits,
            allow_redirects=method in ("GET", "HEAD"),  # msrest never follows a redirect of a POST
        ) as answer:
            body = await answer.read()
        return ConnectorResponse(http_request, answer.status, answer.reason, answer.headers, body)


def _timeout(seconds: float | None) -> aiohttp.ClientTimeout:
    # requests' timeout bounds connecting and each read, not the whole exchange.
    return aiohttp.ClientTimeout(total=None, sock_connect=seconds, sock_read=seconds)


def _backoff(attempt: int) -> float:
    return 0.0 if attempt <= 1 else min(BACKOFF_MAX, BACKOFF_FACTOR * 2 ** (attempt - 1))


def _status_retry_delay(method: str, response: ConnectorResponse, attempt: int) -> float | None:
    if method not in IDEMPOTENT:
        return None
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    status = response.status_code
    if status in RETRY_STATUSES or (retry_after is not None and status in RETRY_AFTER_STATUSES):
        return min(BACKOFF_MAX, retry_after) if retry_after is not None else _backoff(attempt)
    return None


class ConnectorResponse(AsyncClientResponse):
    """A finished response, body read. It is its own ``internal_response``, so the
    ``ErrorResponseException.response`` of a failed call has ``status_code``, case-insensitive
    ``headers`` (``Retry-After``), ``reason`` and ``content``, as a requests response has."""

    def __init__(
        self, request: ClientRequest, status: int, reason: str | None, headers: Mapping[str, str], body: bytes
    ) -> None:
        # Not the base's __init__, which keeps the internal response as an attribute: this one being its
        # own, every response would be a reference cycle, freed only by a full collection.
        self.request = request
        self.status_code: int = status
        self.reason = reason
        self.headers: CIMultiDict[str] = CIMultiDict(headers)
        self._body = body

    @property
    def internal_response(self) -> ConnectorResponse:
        return self

    @property
    def content(self) -> bytes:
        return self._body

    def body(self) -> bytes:
        return self._body

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise ClientRequestError(f"{self.status_code} {self.reason} for {self.request.url}")

    def stream_download(
        self, chunk_size: int | None = None, callback: Callable[..., Any] | None = None
    ) -> AsyncIterator[bytes]:
        size = chunk_size or 10 * 1024
        chunks = [self._body[start:start + size] for start in range(0, len(self._body), size)]

        async def chunked() -> AsyncIterator[bytes]:
            for chunk in chunks:
                if callback is not None:
                    callback(chunk, self)
                yield chunk

        return chunked()


class LazyUserTokenClient(UserTokenClient):
    """Stands in for the SDK's user token client (a TokenApiClient, ~2.4 ms to build) until a turn
    actually asks for a user token; then builds it once."""

    def __init__(self, create: Callable[[], Awaitable[UserTokenClient]]) -> None:
        self._create = create
        self._client: UserTokenClient | None = None

    @property
    def built(self) -> bool:
        return self._client is not None

    async def _real(self) -> UserTokenClient:
        if self._client is None:
            self._client = await self._create()
        return self._client

    async def get_user_token(self, user_id: str, connection_name: str, channel_id: str, magic_code: str) -> Any:
        return await (await self._real()).get_user_token(user_id, connection_name, channel_id, magic_code)

    async def get_sign_in_resource(self, connection_name: str, activity: Any, final_redirect: str) -> Any:
        return await (await self._real()).get_sign_in_resource(connection_name, activity, final_redirect)

    async def sign_out_user(self, user_id: str, connection_name: str, channel_id: str) -> Any:
        return await (await self._real()).sign_out_user(user_id, connection_name, channel_id)

    async def get_token_status(self, user_id: str, channel_id: str, include_filter: str) -> Any:
        return await (await self._real()).get_token_status(user_id, channel_id, include_filter)

    async def get_aad_tokens(
        self, user_id: str, connection_name: str, resource_urls: list[str], channel_id: str
    ) -> Any:
        return await (await self._real()).get_aad_tokens(user_id, connection_name, resource_urls, channel_id)

    async def exchange_token(self, user_id: str, connection_name: str, channel_id: str, exchange_request: Any) -> Any:
        return await (await self._real()).exchange_token(user_id, connection_name, channel_id, exchange_request)
