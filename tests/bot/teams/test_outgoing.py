"""Replies inside a turn: the outbox's rate limits and retry policy, bounded by the turn's deadline,
failures logged with their reason; and the size guard every outgoing activity passes."""

from __future__ import annotations

import json
import logging
import random
from pathlib import Path
from typing import Any

import pytest
from botbuilder.core import CardFactory, MessageFactory
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount, ConversationReference

from bot.outbox.addresses import person_address
from bot.outbox.ratelimit import RateLimiter
from bot.teams.outgoing import (
    DEFAULT_MAX_BYTES,
    MessageTooLarge,
    Outgoing,
    ReplyGate,
    ReplyNotSent,
    activity_bytes,
    check_size,
    with_summary,
)
from bot.teams.proactive import Messenger
from bot.teams.wire import to_json
from storage.db import create_engine, migrate, session_factory
from storage.people import ConversationSeen, PeopleRepository, Visitor


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class ConnectorError(Exception):
    """What the connector raises: ErrorResponseException keeps the response with status and headers."""

    def __init__(self, status: int, retry_after: str | None = None) -> None:
        super().__init__(f"HTTP {status}")
        self.response = type("Response", (), {"status_code": status,
                                              "headers": {"Retry-After": retry_after} if retry_after else {}})()


class Connector:
    """Answers with the given failures first, then delivers; counts the calls."""

    def __init__(self, *failures: ConnectorError) -> None:
        self.failures = list(failures)
        self.calls = 0

    async def send(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "sent"


@pytest.fixture
def clock() -> FakeTime:
    return FakeTime()


def gate_for(clock: FakeTime) -> ReplyGate:
    return ReplyGate(RateLimiter(clock), clock=clock, sleep=clock.sleep, rng=random.Random(7))


async def test_a_429_is_sent_again_after_its_retry_after_and_everyone_waits(clock: FakeTime) -> None:
    gate = gate_for(clock)
    connector = Connector(ConnectorError(429, "3"))
    assert await gate.send("conv", gate.deadline(), connector.send) == "sent"
    assert connector.calls == 2 and clock.slept == [3.0]
    assert gate.limiter.wait_time("another conversation") == 0  # the 3 s are over
    clock.now -= 1
    assert gate.limiter.wait_time("another conversation") == pytest.approx(1.0)  # a throttle for everyone


@pytest.mark.parametrize("status", [412, 502, 503, 504])
async def test_transient_failures_are_sent_again_after_backoff_with_jitter(clock: FakeTime, status: int) -> None:
    gate = gate_for(clock)
    connector = Connector(ConnectorError(status), ConnectorError(status))
    assert await gate.send("conv", gate.deadline(), connector.send) == "sent"
    assert connector.calls == 3
    first, second = clock.slept
    assert 0.25 <= first <= 0.5 and 0.5 <= second <= 1.0


@pytest.mark.parametrize("status", [400, 403, 404, 413])
async def test_final_failures_are_not_sent_again_and_are_logged_with_their_reason(
        clock: FakeTime, status: int, caplog: pytest.LogCaptureFixture) -> None:
    gate = gate_for(clock)
    connector = Connector(ConnectorError(status))
    with pytest.raises(ConnectorError):
        await gate.send("conv-final", gate.deadline(), connector.send)
    assert connector.calls == 1
    assert f"reply in conversation conv-final failed after 1 attempt(s): HTTP {status}" in caplog.text


async def test_retries_stop_at_the_turns_deadline(clock: FakeTime, caplog: pytest.LogCaptureFixture) -> None:
    gate = gate_for(clock)
    connector = Connector(*[ConnectorError(503) for _ in range(50)])
    deadline = gate.deadline()
    with pytest.raises(ConnectorError):
        await gate.send("conv", deadline, connector.send)
    assert clock.now <= deadline and 3 <= connector.calls < 10
    assert "HTTP 503, and the turn's deadline comes before the next try" in caplog.text


async def test_retry_after_beyond_the_deadline_is_not_waited_for(clock: FakeTime) -> None:
    gate = gate_for(clock)
    connector = Connector(ConnectorError(429, "60"))
    with pytest.raises(ConnectorError):
        await gate.send("conv", gate.deadline(), connector.send)
    assert connector.calls == 1 and clock.slept == []


async def test_replies_wait_for_the_conversations_window(clock: FakeTime) -> None:
    gate = gate_for(clock)
    connector = Connector()
    for _ in range(8):
        await gate.send("conv", gate.deadline(), connector.send)
    assert connector.calls == 8
    assert clock.slept and clock.slept[0] == pytest.approx(1.0)  # the 8th waited for 7 per second


async def test_replies_share_the_app_wide_budget_with_the_outbox(clock: FakeTime) -> None:
    gate = gate_for(clock)
    for n in range(50):
        gate.limiter.record(person_address(n))  # what the outbox sent this second
    connector = Connector()
    await gate.send("someone else", gate.deadline(), connector.send)
    assert clock.slept == [pytest.approx(1.0)]


async def test_a_wait_past_the_deadline_gives_up_with_a_429(clock: FakeTime, caplog: pytest.LogCaptureFixture) -> None:
    gate = gate_for(clock)
    gate.limiter.throttle(30.0)
    connector = Connector()
    with pytest.raises(ReplyNotSent) as raised:
        await gate.send("conv", gate.deadline(), connector.send)
    assert connector.calls == 0 and raised.value.status == 429
    assert "past the turn's deadline" in caplog.text


def card_of(size: int) -> Activity:
    body = [{"type": "TextBlock", "text": "å" * 100, "wrap": True} for _ in range(size // 100)]
    return MessageFactory.attachment(CardFactory.adaptive_card({"type": "AdaptiveCard", "version": "1.5",
                                                                "body": body}))


def test_the_size_is_the_json_in_utf8() -> None:
    small = card_of(1000)
    assert 2000 < activity_bytes(small) < 2700  # "å" is two bytes


def test_an_activity_over_the_limit_becomes_a_short_notice(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    guard = Outgoing(gate=None, max_bytes=DEFAULT_MAX_BYTES)  # type: ignore[arg-type]
    fits = card_of(10_000)
    assert guard.fit(fits) is fits
    big = card_of(20_000)
    notice = guard.fit(big)
    assert notice.attachments is None and "för stort" in str(notice.text)
    assert big.attachments  # the caller's activity is left as it was
    assert "over the limit of 28000" in caplog.text
    with pytest.raises(MessageTooLarge) as raised:
        check_size(big, DEFAULT_MAX_BYTES)
    assert raised.value.status == 413  # final for the outbox: not retried
    check_size(fits, DEFAULT_MAX_BYTES)


def test_the_limit_is_configurable() -> None:
    guard = Outgoing(gate=None, max_bytes=1000)  # type: ignore[arg-type]
    assert guard.fit(card_of(1000)).attachments is None
    _: Any = guard


def test_a_card_gets_its_heading_as_the_notification_summary() -> None:
    card = {"type": "AdaptiveCard", "version": "1.5", "body": [
        {"type": "Container", "items": [{"type": "TextBlock", "text": "Påminnelse: **Träff 2** i \\*morgon\\*"}]},
        {"type": "TextBlock", "text": "Mer text"}]}
    activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
    ready = with_summary(activity)
    assert ready.summary == "Påminnelse: Träff 2 i *morgon*"
    assert activity.summary is None  # the caller's activity is left as it was
    long = with_summary(MessageFactory.attachment(CardFactory.adaptive_card(
        {"type": "AdaptiveCard", "body": [{"type": "TextBlock", "text": "å " * 200}]})))
    assert len(long.summary) == 120 and long.summary.endswith("…")


def test_a_card_without_text_gets_the_general_summary_and_plain_text_is_left_alone() -> None:
    bare = with_summary(MessageFactory.attachment(CardFactory.adaptive_card({"type": "AdaptiveCard", "body": []})))
    assert bare.summary == "Nytt meddelande från DalaLab"
    text = MessageFactory.text("hej")
    assert with_summary(text) is text


class ProactiveTestAdapter(TestAdapter):
    """TestAdapter with the CloudAdapter's continue_conversation signature (bot_app_id)."""

    async def continue_conversation(self, reference: Any, callback: Any, bot_app_id: Any = None,  # type: ignore[override]
                                    **kwargs: Any) -> Any:
        return await super().continue_conversation(reference, callback)


async def test_every_proactive_path_sends_a_summary_and_refuses_an_oversized_card(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/m.db")
    await migrate(engine)
    people = PeopleRepository(session_factory(engine))
    reference = ConversationReference(channel_id="msteams", service_url="https://smba.example/",
                                      conversation=ConversationAccount(id="a:chat-1", conversation_type="personal"),
                                      bot=ChannelAccount(id="28:bot"), user=ChannelAccount(id="29:anna"))
    await people.remember(Visitor("29:anna", "Anna"), ConversationSeen(
        "a:chat-1", "personal", "https://smba.example/", json.dumps(to_json(reference)), "tenant-1"))
    adapter = ProactiveTestAdapter()
    messenger = Messenger(adapter, people, "", max_bytes=5000)
    card = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "Utvärdering av träff 1"}]}
    person = (await people.person_by_teams_id("29:anna")).id  # type: ignore[union-attr]
    await messenger.send_to_person(person, MessageFactory.attachment(CardFactory.adaptive_card(card)))
    await messenger.send_to_conversation("a:chat-1", MessageFactory.attachment(CardFactory.adaptive_card(card)))
    assert [a.summary for a in adapter.activity_buffer] == ["Utvärdering av träff 1"] * 2
    with pytest.raises(MessageTooLarge):
        await messenger.send_to_conversation("a:chat-1", card_of(6000))
    assert len(adapter.activity_buffer) == 2
    await engine.dispose()
