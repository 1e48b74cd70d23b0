"""What a feature gives the outbox to send its deliveries: a Renderer per delivery kind, and the
Batch it renders in (so that what every message of a claimed batch needs is read once)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from botbuilder.schema import Activity

from storage.models import Conversation, Delivery

V = TypeVar("V")


@dataclass
class Batch:
    """One claimed batch as its renderers see it (OutboxSender.prepare starts a new one). A send
    outside a prepared batch renders in an empty one: nobody is among ``people``, so a renderer
    reads what that one message needs on its own.

    The batch is sent at Teams' pace, so what is read once may be a few seconds old when a later
    message of the batch goes out. Keys are tuples that start with the owning module's name
    (``("reminders.card", ...)``): features share one batch, and a key means one thing."""

    people: frozenset[int] = frozenset()
    """The people the batch's 1:1 messages go to: a renderer reads for all of them at once."""
    conversations: Mapping[int, Conversation] = field(default_factory=dict)
    """Their 1:1 chats, read in one query (people the bot has never chatted with are missing)."""
    _reads: dict[Hashable, asyncio.Future[Any]] = field(default_factory=dict, repr=False)
    _kept: dict[Hashable, Any] = field(default_factory=dict, repr=False)

    async def once(self, key: Hashable, read: Callable[[], Awaitable[V]]) -> V:
        """``read()`` once per key and batch: the sends of a wave that ask at the same time share one
        read (and its exception)."""
        pending = self._reads.get(key)
        if pending is None:
            pending = self._reads[key] = asyncio.ensure_future(read())
        result: V = await asyncio.shield(pending)
        return result

    def kept(self, key: Hashable, make: Callable[[], V]) -> V:
        """An object the batch's renderers share and change, made on first use (e.g. the messages
        they have let through so far, not yet recorded as sent)."""
        if key not in self._kept:
            self._kept[key] = make()
        value: V = self._kept[key]
        return value


Renderer = Callable[[Delivery, Batch], Awaitable[Activity]]
"""Turns one delivery of a feature's kind into the message to send; raises NotRelevant when there is
nothing to send any more, or Deferred when it should wait (bot.outbox.dispatcher)."""


def payload(delivery: Delivery) -> dict[str, Any]:
    """The delivery's JSON payload (what its planner put there; empty when there is none)."""
    data = json.loads(delivery.payload or "{}")
    return data if isinstance(data, dict) else {}
