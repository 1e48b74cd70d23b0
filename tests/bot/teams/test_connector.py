"""The pooled connector against a strict stub Bot Connector on loopback: what is sent, over how many
connections, with which credentials, and how errors surface."""

from __future__ import annotations

import gc
import json
import time
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from botbuilder.core import BotAdapter, CardFactory, MessageFactory, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationAccount,
    ConversationParameters,
    ConversationReference,
    ErrorResponseException,
)
from botframework.connector.auth import AppCredentials, ClaimsIdentity, ServiceClientCredentialsFactory
from msrest import Serializer
from msrest.exceptions import ClientRequestError
from msrest.universal_http import ClientRequest

import bot.teams.connector as connector
from bot.core.commands import Role
from bot.core.help_card import help_card
from bot.features.registry import COMMANDS
from bot.outbox.ratelimit import RateLimiter
from bot.outbox.retry import http_status
from bot.teams.connector import (
    LazyUserTokenClient,
    LeanCloudAdapter,
    LeanTurnContext,
    PooledBotFrameworkAuthentication,
    close_adapter,
    create_fast_adapter,
)
from bot.teams.outgoing import Outgoing, ReplyGate
from scripts.devstack import free_port

ECHOED_HEADERS = ("Content-Type", "Accept", "User-Agent", "x-ms-conversation-id")


class NoAppId:
    """What app.py's BotFrameworkConfig gives ConfigurationBotFrameworkAuthentication without an app id."""

    APP_ID = ""
    APP_PASSWORD = ""
    APP_TYPE = "MultiTenant"
    APP_TENANTID = ""


@dataclass
class Call:
    method: str
    path: str
    raw_path: str
    headers: dict[str, str]
    body: Any
    peer: tuple[str, int]


@dataclass
class StrictConnector:
    """The Bot Connector calls a bot makes while replying, answered with success unless a failure was
    queued with ``fail_next``. Anything else is recorded as unexpected and fails the test."""

    calls: list[Call] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    failures: list[tuple[int, dict[str, str], dict[str, Any]]] = field(default_factory=list)

    def app(self) -> web.Application:
        app = web.Application()
        for prefix in ("", "/emea"):
            app.router.add_post(prefix + "/v3/conversations/{conversation}/activities/{activity}", self._answer)
            app.router.add_post(prefix + "/v3/conversations/{conversation}/activities", self._answer)
            app.router.add_put(prefix + "/v3/conversations/{conversation}/activities/{activity}", self._answer)
        app.router.add_post("/v3/conversations", self._create_conversation)
        app.router.add_get("/v3/conversations/{conversation}/pagedmembers", self._paged_members)
        app.router.add_route("*", "/{tail:.*}", self._unexpected)
        return app

    def fail_next(self, status: int, headers: dict[str, str], body: dict[str, Any] | None = None) -> None:
        self.failures.append((status, headers, body or {}))

    async def _answer(self, request: web.Request) -> web.Response:
        peer = request.transport.get_extra_info("peername") if request.transport else ("?", 0)
        body = await request.json() if request.can_read_body else None
        self.calls.append(Call(request.method, request.path, request.raw_path, dict(request.headers), body,
                               (str(peer[0]), int(peer[1]))))
        if self.failures:
            status, headers, body = self.failures.pop(0)
            return web.json_response(body, status=status, headers=headers)
        return web.json_response({"id": f"reply-{len(self.calls)}"})

    async def _create_conversation(self, request: web.Request) -> web.Response:
        await self._answer(request)
        return web.json_response({"id": "a:new-1on1", "activityId": "first-1"}, status=201)

    async def _paged_members(self, request: web.Request) -> web.Response:
        await self._answer(request)
        return web.json_response({"continuationToken": "page-2", "members": [{"id": "29:anna", "name": "Anna"}]})

    async def _unexpected(self, request: web.Request) -> web.Response:
        self.unexpected.append(f"{request.method} {request.path}")
        return web.json_response({"error": {"code": "Unexpected", "message": request.path}}, status=500)


@pytest.fixture
async def stub() -> AsyncIterator[tuple[StrictConnector, str]]:
    connector_stub = StrictConnector()
    server = TestServer(connector_stub.app(), host="127.0.0.1")
    await server.start_server()
    yield connector_stub, f"http://127.0.0.1:{server.port}/"
    await server.close()
    assert connector_stub.unexpected == [], "the bot made calls the stub did not expect"
    assert connector_stub.failures == [], "queued failures were never requested"


@pytest.fixture
async def adapter() -> AsyncIterator[CloudAdapter]:
    fast = create_fast_adapter(NoAppId())
    yield fast
    await close_adapter(fast)


def incoming(service_url: str, conversation: str = "c-1", activity_id: str = "act-1") -> Activity:
    return Activity(
        type="message",
        id=activity_id,
        text="hjälp",
        channel_id="msteams",
        service_url=service_url,
        from_property=ChannelAccount(id="29:anna", name="Anna"),
        recipient=ChannelAccount(id="28:bot", name="DalaLab"),
        conversation=ConversationAccount(id=conversation, conversation_type="personal"),
    )


def replying(text: str, clients: list[Any] | None = None) -> Callable[[TurnContext], Awaitable[None]]:
    async def logic(context: TurnContext) -> None:
        if clients is not None:
            clients.append(context.turn_state[BotAdapter.BOT_CONNECTOR_CLIENT_KEY])
        await context.send_activity(text)

    return logic


def pool_of(adapter: CloudAdapter) -> connector.ConnectorPool:
    authentication = adapter.bot_framework_authentication
    assert isinstance(authentication, PooledBotFrameworkAuthentication)
    return authentication.pool


async def test_a_reply_is_sent_exactly_as_the_stock_sdk_sends_it(
    stub: tuple[StrictConnector, str], adapter: CloudAdapter
) -> None:
    connector_stub, url = stub
    stock = CloudAdapter(ConfigurationBotFrameworkAuthentication(NoAppId()))

    await adapter.process_activity("", incoming(url), replying("Hej Anna"))
    await stock.process_activity("", incoming(url), replying("Hej Anna"))

    fast_call, stock_call = connector_stub.calls
    assert fast_call.method == stock_call.method == "POST"
    assert fast_call.path == stock_call.path == "/v3/conversations/c-1/activities/act-1"
    assert fast_call.body == stock_call.body
    assert fast_call.body["text"] == "Hej Anna"
    assert fast_call.body["replyToId"] == "act-1"
    assert fast_call.body["from"]["id"] == "28:bot" and fast_call.body["recipient"]["id"] == "29:anna"
    assert fast_call.body["conversation"]["id"] == "c-1"
    for name in ECHOED_HEADERS:
        assert fast_call.headers[name] == stock_call.headers[name], name
    assert "Microsoft-BotFramework/3.1" in fast_call.headers["User-Agent"]


def assert_the_same_card_sent(fast_call: Any, stock_call: Any) -> None:
    assert fast_call.body == stock_call.body
    assert fast_call.body["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    for name in ECHOED_HEADERS:
        assert fast_call.headers.get(name) == stock_call.headers.get(name), name


async def test_a_card_sent_to_the_conversation_is_sent_exactly_as_the_stock_sdk_sends_it(
    stub: tuple[StrictConnector, str], adapter: CloudAdapter
) -> None:
    connector_stub, url = stub
    stock = CloudAdapter(ConfigurationBotFrameworkAuthentication(NoAppId()))

    async def send_card(context: TurnContext) -> None:
        card = MessageFactory.attachment(CardFactory.adaptive_card(help_card(COMMANDS.visible(Role.COORDINATOR), True)))
        card.reply_to_id = None  # not a reply: POST /v3/conversations/{id}/activities
        await context.send_activity(card)

    for sender in (adapter, stock):
        activity = incoming(url)
        activity.id = None
        await sender.process_activity("", activity, send_card)

    fast_call, stock_call = connector_stub.calls
    assert fast_call.path == stock_call.path == "/v3/conversations/c-1/activities"
    assert_the_same_card_sent(fast_call, stock_call)


async def test_a_card_updated_in_place_is_sent_exactly_as_the_stock_sdk_sends_it(
    stub: tuple[StrictConnector, str], adapter: CloudAdapter
) -> None:
    connector_stub, url = stub
    stock = CloudAdapter(ConfigurationBotFrameworkAuthentication(NoAppId()))

    async def update(context: TurnContext) -> None:
        card = help_card(COMMANDS.visible(Role.PARTICIPANT), True)
        changed = MessageFactory.attachment(CardFactory.adaptive_card(card))
        changed.id = "card-7"
        await context.update_activity(changed)

    for sender in (adapter, stock):
        await sender.process_activity("", incoming(url), update)

    fast_call, stock_call = connector_stub.calls
    assert fast_call.method == stock_call.method == "PUT"
    assert fast_call.path == stock_call.path == "/v3/conversations/c-1/activities/card-7"
    assert_the_same_card_sent(fast_call, stock_call)


@pytest.mark.parametrize("kind", ["reply", "update"])
async def test_the_body_the_size_guard_measured_is_the_body_sent(
    stub: tuple[StrictConnector, str], adapter: CloudAdapter, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    connector_stub, url = stub
    assert isinstance(adapter, LeanCloudAdapter)
    adapter.outgoing = Outgoing(ReplyGate(RateLimiter(time.monotonic)))
    card = help_card(COMMANDS.visible(Role.PARTICIPANT), True)

    def written_again(*_: Any) -> Any:
        raise AssertionError("the activity was written out a second time")

    monkeypatch.setattr(connector.FastSerializer, "body", written_again)

    async def send(context: TurnContext) -> None:
        activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
        if kind == "update":
            activity.id = "card-7"
            await context.update_activity(activity)
        else:
            await context.send_activity(activity)

    await adapter.process_activity("", incoming(url), send)

    (call,) = connector_stub.calls
    assert call.method == ("PUT" if kind == "update" else "POST")
    assert call.body["attachments"][0]["content"] == card
    assert call.body["conversation"]["id"] == "c-1"


async def test_a_channel_thread_id_is_encoded_exactly_as_the_stock_sdk_encodes_it(
    stub: tuple[StrictConnector, str], adapter: CloudAdapter
) -> None:
    connector_stub, url = stub
    thread = "19:abc@thread.tacv2;messageid=1732579200000"
    stock = CloudAdapter(ConfigurationBotFrameworkAuthentication(NoAppId()))

    await adapter.process_activity("", incoming(url, conversation=thread, activity_id="1:2"), replying("hej"))
    await stock.process_activity("", incoming(url, conversation=thread, activity_id="1:2"), replying("hej"))

    fast_call, stock_call = connector_stub.calls
    assert fast_call.raw_path == stock_call.raw_path
    encoded = "19%3Aabc%40thread.tacv2%3Bmessageid%3D1732579200000"
    assert fast_call.raw_path == f"/v3/conversations/{encoded}/activities/1%3A2"


@pytest.mark.parametrize("service_url", ["https://smba.example/emea/", "https://smba.example/emea", "http://h:1/"])
@pytest.mark.parametrize(("conversation", "activity_id"), [
    ("c-1", "act-1"), ("..", "1"), ("c-1", ".."), ("c-1", "."), ("a b/c", "x?y#z"), ("19:a@thread;messageid=1", "1:2"),
    ("", "1"), (".", "1"), ("%2F", "%"), ("ä ö", "å"),
])
async def test_reply_urls_are_the_ones_the_sdk_builds(
    adapter: CloudAdapter, service_url: str, conversation: str, activity_id: str
) -> None:
    identity = ClaimsIdentity({}, True)
    client = await adapter.bot_framework_authentication.create_connector_factory(identity).create(service_url, None)
    assert isinstance(client.conversations, connector.PooledConversations)
    msrest = Serializer()
    for _ in range(2):  # the second time from the URL cache
        assert client.conversations.reply_url(conversation, activity_id) == client._client.format_url(
            "/v3/conversations/{conversationId}/activities/{activityId}",
            conversationId=msrest.url("c", conversation, "str"), activityId=msrest.url("a", activity_id, "str"))


async def test_there_is_no_authorization_header_without_an_app_id(
    stub: tuple[StrictConnector, str], adapter: CloudAdapter
) -> None:
    connector_stub, url = stub
    await adapter.process_activity("", incoming(url), replying("hej"))
    assert "Authorization" not in connector_stub.calls[0].headers


async def test_many_turns_share_one_client_and_one_tcp_connection(
    stub: tuple[StrictConnector, str], adapter: CloudAdapter
) -> None:
    connector_stub, url = stub
    clients: list[Any] = []
    for number in range(25):
        await adapter.process_activity("", incoming(url, activity_id=f"act-{number}"), replying("hej", clients))

    assert len(connector_stub.calls) == 25
    assert len({call.peer for call in connector_stub.calls}) == 1
    assert all(client is clients[0] for client in clients)
    assert pool_of(adapter).client_count == 1


async def test_clients_are_kept_per_service_url(stub: tuple[StrictConnector, str], adapter: CloudAdapter) -> None:
    connector_stub, url = stub
    other_region = url + "emea/"
    clients: list[Any] = []
    for service_url in (url, other_region, url, other_region):
        await adapter.process_activity("", incoming(service_url), replying("hej", clients))

    first, second, third, fourth = clients
    assert first is third and second is fourth and first is not second
    assert pool_of(adapter).client_count == 2
    assert [call.path for call in connector_stub.calls] == [
        "/v3/conversations/c-1/activities/act-1", "/emea/v3/conversations/c-1/activities/act-1"
    ] * 2


async def test_a_429_surfaces_at_once_with_its_status_and_retry_after(
    stub: tuple[StrictConnector, str], adapter: CloudAdapter
) -> None:
    connector_stub, url = stub
    connector_stub.fail_next(429, {"Retry-After": "7"}, {"error": {"code": "Throttled", "message": "slow down"}})

    with pytest.raises(ErrorResponseException) as caught:
        await adapter.process_activity("", incoming(url), replying("hej"))

    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["retry-after"] == "7"
    assert "Throttled" in str(caught.value)
    assert len(connector_stub.calls) == 1, "a POST is never retried: the reply could arrive twice"


async def test_a_429s_retry_after_as_an_http_date_reaches_the_outbox_as_seconds(
    stub: tuple[StrictConnector, str], adapter: CloudAdapter
) -> None:
    # Teams may say when to come back as a date; the outbox read only seconds and fell back to its own backoff.
    connector_stub, url = stub
    connector_stub.fail_next(429, {"Retry-After": format_datetime(datetime.now(UTC) + timedelta(seconds=120),
                                                                  usegmt=True)})

    with pytest.raises(ErrorResponseException) as caught:
        await adapter.process_activity("", incoming(url), replying("hej"))

    status, retry_after = http_status(caught.value)
    assert status == 429
    assert retry_after is not None and 100 <= retry_after <= 120


async def test_an_update_is_retried_at_once_when_the_retry_after_date_has_passed(
    stub: tuple[StrictConnector, str], adapter: CloudAdapter
) -> None:
    connector_stub, url = stub
    connector_stub.fail_next(429, {"Retry-After": "Thu, 01 Jan 2026 00:00:00 GMT"})

    async def update(context: TurnContext) -> None:
        await context.update_activity(Activity(type="message", id="reply-9", text="ändrad",
                                               conversation=context.activity.conversation))

    await adapter.process_activity("", incoming(url), update)

    assert [call.method for call in connector_stub.calls] == ["PUT", "PUT"]


async def test_an_update_is_retried_after_the_retry_after_of_a_429(
    stub: tuple[StrictConnector, str], adapter: CloudAdapter
) -> None:
    connector_stub, url = stub
    connector_stub.fail_next(429, {"Retry-After": "0"})

    async def update(context: TurnContext) -> None:
        changed = Activity(type="message", id="reply-9", text="ändrad", conversation=context.activity.conversation)
        await context.update_activity(changed)

    await adapter.process_activity("", incoming(url), update)

    assert [call.method for call in connector_stub.calls] == ["PUT", "PUT"]
    assert connector_stub.calls[1].body["text"] == "ändrad"


async def test_a_reply_returns_the_id_the_connector_gave_it(
    stub: tuple[StrictConnector, str], adapter: CloudAdapter
) -> None:
    _connector_stub, url = stub
    answers: list[Any] = []

    async def reply(context: TurnContext) -> None:
        answers.append(await context.send_activity("hej"))

    await adapter.process_activity("", incoming(url), reply)
    assert answers[0].id == "reply-1"


async def test_a_paged_member_list_is_read_through_the_pooled_client(
    stub: tuple[StrictConnector, str], adapter: CloudAdapter
) -> None:
    connector_stub, url = stub
    pages: list[Any] = []

    async def read_members(context: TurnContext) -> None:
        client = context.turn_state[BotAdapter.BOT_CONNECTOR_CLIENT_KEY]
        pages.append(await client.conversations.get_conversation_paged_members("19:team@thread.tacv2", 2, "a b"))

    await adapter.process_activity("", incoming(url), read_members)

    assert pages[0].continuation_token == "page-2"
    assert [member.name for member in pages[0].members] == ["Anna"]
    call = connector_stub.calls[0]
    assert call.method == "GET"
    assert call.raw_path == "/v3/conversations/19%3Ateam%40thread.tacv2/pagedmembers?pageSize=2&continuationToken=a%20b"


async def test_a_new_personal_chat_is_created_and_written_to(
    stub: tuple[StrictConnector, str], adapter: CloudAdapter
) -> None:
    connector_stub, url = stub
    parameters = ConversationParameters(is_group=False, bot=ChannelAccount(id="28:bot"),
                                        members=[ChannelAccount(id="29:anna")], tenant_id="tenant")

    async def greet(context: TurnContext) -> None:
        await context.send_activity(Activity(type="message", text="Välkommen",
                                             conversation=context.activity.conversation,
                                             recipient=ChannelAccount(id="29:anna")))

    await adapter.create_conversation("", greet, parameters, "msteams", url, None)

    create, greeting = connector_stub.calls
    assert (create.method, create.path) == ("POST", "/v3/conversations")
    assert create.body["members"] == [{"id": "29:anna"}] and create.body["tenantID"] == "tenant"
    assert greeting.path == "/v3/conversations/a:new-1on1/activities/first-1"  # the SDK replies to it
    assert greeting.body["text"] == "Välkommen"
    assert len({call.peer for call in connector_stub.calls}) == 1


async def test_an_unreachable_connector_raises_msrests_request_error(
    adapter: CloudAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connector, "BACKOFF_FACTOR", 0.0)
    with pytest.raises(ClientRequestError):
        await adapter.process_activity("", incoming(f"http://127.0.0.1:{free_port()}/"), replying("hej"))


class FakeAppCredentials(AppCredentials):
    """The SDK's credentials class with the token fetch (a call to Entra ID) replaced."""

    def __init__(self, app_id: str, oauth_scope: str) -> None:
        super().__init__(app_id=app_id, oauth_scope=oauth_scope)
        self.tokens_handed_out = 0

    def get_access_token(self, force_refresh: bool = False) -> str:
        self.tokens_handed_out += 1
        return f"token-for-{self.microsoft_app_id}"


class FakeCredentialsFactory(ServiceClientCredentialsFactory):
    def __init__(self, app_id: str) -> None:
        self.app_id = app_id
        self.created: list[FakeAppCredentials] = []

    async def is_valid_app_id(self, app_id: str) -> bool:
        return app_id == self.app_id

    async def is_authentication_disabled(self) -> bool:
        return False

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> FakeAppCredentials:
        if app_id != self.app_id:
            raise PermissionError(f"unexpected app id {app_id!r}")
        self.created.append(FakeAppCredentials(app_id, oauth_scope))
        return self.created[-1]


class _NoSettings:
    """ConfigurationBotFrameworkAuthentication reads optional attributes only when a factory is given."""


async def test_proactive_messages_carry_the_bots_bearer_token(stub: tuple[StrictConnector, str]) -> None:
    connector_stub, url = stub
    credentials = FakeCredentialsFactory("app-1")
    authentication = PooledBotFrameworkAuthentication(
        ConfigurationBotFrameworkAuthentication(_NoSettings(), credentials_factory=credentials)
    )
    adapter = CloudAdapter(authentication)
    reference = ConversationReference(
        channel_id="msteams", service_url=url, conversation=ConversationAccount(id="c-7"),
        bot=ChannelAccount(id="28:bot"), user=ChannelAccount(id="29:anna"),
    )
    try:
        for _ in range(3):
            await adapter.continue_conversation(reference, replying("påminnelse"), bot_app_id="app-1")
    finally:
        await close_adapter(adapter)

    assert [call.headers.get("Authorization") for call in connector_stub.calls] == ["Bearer token-for-app-1"] * 3
    assert len(credentials.created) == 1, "the SDK's credentials are created once and reused"
    assert credentials.created[0].tokens_handed_out == 3, "asked for the token on every request, as msrest does"
    assert json.dumps(connector_stub.calls[0].body["text"], ensure_ascii=False) == '"påminnelse"'


async def test_a_lean_proactive_send_is_the_stock_message_posted_to_the_conversation(
    stub: tuple[StrictConnector, str],
) -> None:
    connector_stub, url = stub
    adapters = []
    for adapter_class in (LeanCloudAdapter, CloudAdapter):
        credentials = FakeCredentialsFactory("app-1")
        adapters.append(adapter_class(PooledBotFrameworkAuthentication(
            ConfigurationBotFrameworkAuthentication(_NoSettings(), credentials_factory=credentials))))
    lean, stock = adapters
    reference = ConversationReference(
        channel_id="msteams", service_url=url, locale="sv-SE", conversation=ConversationAccount(id="c-7"),
        bot=ChannelAccount(id="28:bot"), user=ChannelAccount(id="29:anna"),
    )
    card = MessageFactory.attachment(CardFactory.adaptive_card(help_card(COMMANDS.visible(Role.PARTICIPANT), False)))
    try:
        sent_id = await lean.send_proactive(reference, card, "app-1")

        async def send_card(context: TurnContext) -> None:
            await context.send_activity(card)

        await stock.continue_conversation(reference, send_card, bot_app_id="app-1")
    finally:
        for adapter in adapters:
            await close_adapter(adapter)

    lean_call, stock_call = connector_stub.calls
    assert sent_id and sent_id.startswith("reply-")
    assert lean_call.path == "/v3/conversations/c-7/activities"  # stock replies to its made-up continuation id
    assert stock_call.path.startswith("/v3/conversations/c-7/activities/")
    assert lean_call.headers["Authorization"] == stock_call.headers["Authorization"] == "Bearer token-for-app-1"
    assert {key: value for key, value in stock_call.body.items() if key != "replyToId"} == lean_call.body
    assert card.conversation is None  # the caller's activity is not changed


async def test_user_token_clients_are_built_only_when_used(adapter: CloudAdapter) -> None:
    authentication = adapter.bot_framework_authentication
    claims = ClaimsIdentity({"aud": "app-1"}, True)
    first = await authentication.create_user_token_client(claims)
    second = await authentication.create_user_token_client(claims)
    assert first is second
    assert isinstance(first, LazyUserTokenClient) and not first.built


async def test_closing_the_adapter_closes_the_session(stub: tuple[StrictConnector, str]) -> None:
    _connector_stub, url = stub
    adapter = create_fast_adapter(NoAppId())
    await adapter.process_activity("", incoming(url), replying("hej"))
    session = pool_of(adapter).session

    await close_adapter(adapter)

    assert session.closed
    with pytest.raises(RuntimeError):
        _ = pool_of(adapter).session


async def test_closing_a_stock_adapter_is_a_no_op() -> None:
    await close_adapter(CloudAdapter(ConfigurationBotFrameworkAuthentication(NoAppId())))


async def test_an_activity_sent_twice_is_not_changed_by_sending_it(
    stub: tuple[StrictConnector, str], adapter: CloudAdapter
) -> None:
    connector_stub, url = stub
    card = MessageFactory.attachment(CardFactory.adaptive_card(help_card(COMMANDS.visible(Role.PARTICIPANT), False)))
    content = card.attachments[0].content
    contexts: list[TurnContext] = []

    async def send_the_same_card(context: TurnContext) -> None:
        contexts.append(context)
        await context.send_activity(card)

    await adapter.process_activity("", incoming(url, conversation="c-1"), send_the_same_card)
    await adapter.process_activity("", incoming(url, conversation="c-2"), send_the_same_card)

    assert all(isinstance(context, LeanTurnContext) for context in contexts)
    assert [call.path for call in connector_stub.calls] == [
        "/v3/conversations/c-1/activities/act-1", "/v3/conversations/c-2/activities/act-1"]
    assert card.conversation is None and card.recipient is None and card.reply_to_id is None
    assert card.attachments[0].content is content
    assert connector_stub.calls[0].body["attachments"] == connector_stub.calls[1].body["attachments"]


async def test_a_turn_is_freed_when_it_ends_not_left_for_the_collector(
    stub: tuple[StrictConnector, str], adapter: CloudAdapter
) -> None:
    """A turn's context, activities and responses in a reference cycle wait for a full collection, which
    stops every turn under way (app.GC_THRESHOLDS)."""
    connector_stub, url = stub
    left: list[weakref.ref[Any]] = []

    async def logic(context: TurnContext) -> None:
        await context.send_activity("hej")
        left.extend([weakref.ref(context), weakref.ref(context.activity)])

    await adapter.process_activity("", incoming(url), logic)  # clients built, pool filled
    gc.collect()
    gc.disable()
    try:
        await adapter.process_activity("", incoming(url, activity_id="act-2"), logic)
        assert len(connector_stub.calls) == 2
        assert [ref() for ref in left[2:]] == [None, None]
    finally:
        gc.enable()


def test_a_connector_response_is_its_own_internal_response_without_a_cycle() -> None:
    response = connector.ConnectorResponse(ClientRequest("POST", "https://smba.example/"), 429, "Too Many Requests",
                                           {"Retry-After": "2"}, b"{}")
    assert response.internal_response is response
    assert response.internal_response.headers["retry-after"] == "2"
    gone = weakref.ref(response)
    gc.disable()
    try:
        del response
        assert gone() is None
    finally:
        gc.enable()
