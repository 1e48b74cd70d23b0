"""The outbox sender as a registry of renderers: a kind nobody renders fails at once and says why, a
kind claimed twice is refused at start-up, renderers share one Batch per claimed batch, and the
composition root registers a renderer for every kind the features plan."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import build_bot
from bot.core.settings import Settings
from bot.outbox.addresses import person_address
from bot.outbox.dispatcher import Dispatcher
from bot.outbox.ratelimit import RateLimiter
from bot.outbox.renderers import Batch
from bot.outbox.sender import OutboxSender
from storage.db import create_engine, migrate, session_factory
from storage.models import Conversation, Delivery
from storage.outbox import Outbox, PlannedDelivery
from tests.bot.outbox.test_dispatcher import NOW, FakeClock

KINDS_PLANNED = {
    "reminder", "meeting_update",  # bot/features/reminders (and a coordinator's `påminn`)
    "message",  # bot/features/messages
    "evaluation", "evaluation_nudge",  # bot/features/evaluation
    "checkin",  # bot/features/attendance
    "alumni_welcome", "alumni_prompt", "alumni_digest", "alumni_message",  # bot/features/alumni
    "example_request", "example_nudge", "example_feedback", "example_post",  # bot/features/examples
    "assignment", "assignment_nudge", "assignment_compilation",  # bot/features/homework
    "triad",  # bot/features/triads
}


class People:
    def __init__(self, chats: dict[int, Conversation]) -> None:
        self.chats = chats
        self.reads: list[list[int]] = []

    async def personal_conversations(self, person_ids: Sequence[int]) -> dict[int, Conversation]:
        self.reads.append(sorted(person_ids))
        return {p: self.chats[p] for p in person_ids if p in self.chats}


class RecordingMessenger:
    """Stands in for the Bot Connector: 1:1 sends are recorded; anything else fails the test."""

    def __init__(self, chats: dict[int, Conversation] | None = None) -> None:
        self.people = People(chats or {})
        self.sent: list[tuple[int, Conversation | None]] = []

    async def send_to_person(self, person_id: int, activity: Activity, known: Conversation | None = None) -> str:
        self.sent.append((person_id, known))
        return f"activity-{len(self.sent)}"


def sender_with(messenger: RecordingMessenger, **renderers: Any) -> OutboxSender:
    return OutboxSender(messenger, renderers)  # type: ignore[arg-type]


async def test_a_kind_nobody_renders_fails_at_once_and_says_why(sessions: async_sessionmaker[AsyncSession]) -> None:
    outbox, clock = Outbox(sessions), FakeClock()
    await outbox.plan([PlannedDelivery("nonsense", "x:1", person_address(1), NOW, None, {})])
    messenger = RecordingMessenger()

    report = await Dispatcher(outbox, sender_with(messenger), RateLimiter(clock.monotonic), clock,
                              sleep=clock.sleep).run_once()

    assert (report.failed, report.retried, messenger.sent) == (1, 0, [])
    async with sessions() as session:
        row = await session.scalar(select(Delivery))
    assert row is not None and (row.state, row.attempts) == ("failed", 1)
    assert row.last_error == "no renderer for delivery kind 'nonsense'"


def test_a_kind_claimed_twice_is_refused() -> None:
    async def render(_delivery: Delivery, _batch: Batch) -> Activity:
        return Activity(text="x")

    sender = sender_with(RecordingMessenger(), reminder=render)
    with pytest.raises(ValueError, match="'reminder'"):
        sender.add_renderer("reminder", render)
    assert sender.kinds == {"reminder"}


async def test_renderers_see_the_prepared_batch_and_each_batch_starts_afresh() -> None:
    chat = Conversation(conversation_id="a:chat-1")
    messenger = RecordingMessenger({1: chat})
    seen: list[Batch] = []

    async def render(_delivery: Delivery, batch: Batch) -> Activity:
        seen.append(batch)
        return Activity(text="x")

    sender = sender_with(messenger, note=render)
    deliveries = [Delivery(kind="note", source="s", recipient=person_address(p)) for p in (1, 2)]
    await sender.prepare(deliveries)
    for delivery in deliveries:
        await sender.send(delivery)
    await sender.prepare(deliveries[:1])
    await sender.send(deliveries[0])

    assert messenger.people.reads == [[1, 2], [1]]  # the chats: one read per batch
    assert messenger.sent == [(1, chat), (2, None), (1, chat)]
    assert seen[0] is seen[1] and seen[2] is not seen[0]
    assert (seen[0].people, seen[2].people) == ({1, 2}, {1})


async def test_a_batch_reads_once_per_key_and_shares_the_failure() -> None:
    batch = Batch()
    reads: list[str] = []

    async def read(key: str) -> str:
        reads.append(key)
        await asyncio.sleep(0)
        if key == "gone":
            raise LookupError(key)
        return key.upper()

    results = await asyncio.gather(*(batch.once(("test", key), lambda key=key: read(key))  # type: ignore[misc]
                                     for key in ("a", "b", "a", "a")))
    assert (results, reads) == (["A", "B", "A", "A"], ["a", "b"])
    for _ in range(2):
        with pytest.raises(LookupError):
            await batch.once(("test", "gone"), lambda: read("gone"))
    assert reads == ["a", "b", "gone"]
    chosen = batch.kept(("test", "chosen"), list)
    chosen.append(1)
    assert batch.kept(("test", "chosen"), list) == [1]


async def test_the_composition_root_renders_every_kind_the_features_plan(tmp_path: Path) -> None:
    """Each row has an empty payload, so most renderers fail on it (and are retried): none may be
    refused for want of a renderer."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/kinds.db")
    await migrate(engine)
    sessions = session_factory(engine)
    components = build_bot(Settings(), sessions, TestAdapter(), FakeClock())
    await Outbox(sessions).plan([PlannedDelivery(kind, f"{kind}:1", person_address(1), NOW, None, {})
                                 for kind in sorted(KINDS_PLANNED)])

    report = await components.dispatcher.run_once()

    async with sessions() as session:
        errors = {row.kind: row.last_error for row in await session.scalars(select(Delivery))}
    await engine.dispose()
    assert set(errors) == KINDS_PLANNED
    assert [kind for kind, error in errors.items() if "no renderer" in (error or "")] == []
    assert report.failed == 0
