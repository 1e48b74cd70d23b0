"""Turns an outbox row into a Teams message and sends it: the Sender the dispatcher uses.
Errors from the Bot Connector become DeliveryError with the HTTP status and Retry-After."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from botbuilder.schema import Activity
from msrest.exceptions import ClientRequestError

from bot.core.actions import card_activity
from bot.features.evaluation.cards import evaluation_card
from bot.features.evaluation.rules import questions_from_json
from bot.features.reminders.cards import broadcast_card, reminder_card, update_card
from bot.features.reminders.daily import Defer, LocalDay, Skip, day_start, same_day_decision
from bot.outbox.dispatcher import Deferred, DeliveryError, NotRelevant
from bot.outbox.retry import http_status
from bot.teams.proactive import Messenger
from storage.evaluations import EvaluationRepository
from storage.models import Conversation, Delivery
from storage.outbox import Outbox
from storage.projects import ProjectRepository
from storage.registrations import RegistrationRepository

K = TypeVar("K")
V = TypeVar("V")
Renderer = Callable[[Delivery], Awaitable[Activity]]
"""Renders a feature's own delivery kind (raises NotRelevant when there is nothing to send)."""


class OutboxSender:
    def __init__(self, messenger: Messenger, projects: ProjectRepository, registrations: RegistrationRepository,
                 broadcasts: Any, evaluations: EvaluationRepository, public_url: str, outbox: Outbox,
                 day: LocalDay) -> None:
        """``outbox`` and ``day``: what people were sent today, for the one-message-a-day rule."""
        self._evaluations = evaluations
        self._outbox = outbox
        self._day = day
        self._messenger = messenger
        self._projects = projects
        self._registrations = registrations
        self._broadcasts = broadcasts
        self._public_url = public_url.rstrip("/")
        self._renderers: dict[str, Renderer] = {}
        self._batch = _Batch()

    def add_renderer(self, kind: str, renderer: Renderer) -> None:
        """Let a feature render its own delivery kind (e.g. "triad") instead of the built-in ones."""
        self._renderers[kind] = renderer

    async def prepare(self, deliveries: Sequence[Delivery]) -> None:
        """Before a claimed batch is sent: read the people's 1:1 conversations in one query, and
        start a fresh memo of meetings, registrations and rendered cards. (What is read here may be
        a few seconds old when a message of the batch goes out: the batch is sent at Teams' pace.)"""
        people = [int(d.recipient.split(":", 1)[1]) for d in deliveries if d.recipient.startswith("person:")]
        self._batch = _Batch(conversations=await self._messenger.people.personal_conversations(people)
                             if people else {}, people=frozenset(people))

    def window_key(self, delivery: Delivery) -> str:
        """Where Teams counts the message, as in-turn replies are counted (bot.teams.outgoing): the person's 1:1
        chat or the conversation; a person whose chat is not open yet counts under their recipient key."""
        kind, _, target = delivery.recipient.partition(":")
        if kind == "person":
            conversation = self._batch.conversations.get(int(target))
            return conversation.conversation_id if conversation is not None else delivery.recipient
        return target

    async def send(self, delivery: Delivery) -> str | None:
        activity = await self._render(delivery)
        kind, _, target = delivery.recipient.partition(":")
        try:
            if kind == "person":
                person_id = int(target)
                return await self._messenger.send_to_person(person_id, activity,
                                                            self._batch.conversations.get(person_id))
            if kind == "channel":
                return await self._messenger.post_to_channel(target, activity)
            return await self._messenger.send_to_conversation(target, activity)
        except LookupError as missing:
            raise DeliveryError(str(missing), status=404) from missing
        except ClientRequestError as error:
            raise DeliveryError(f"connection: {error}") from error
        except Exception as error:
            status, retry_after = http_status(error)
            if status is None:
                raise
            raise DeliveryError(type(error).__name__, status, retry_after) from error

    async def _render(self, delivery: Delivery) -> Activity:
        renderer = self._renderers.get(delivery.kind)
        if renderer is not None:
            return await renderer(delivery)
        payload = json.loads(delivery.payload or "{}")
        if delivery.kind in ("evaluation", "evaluation_nudge"):
            return await self._evaluation(delivery, int(payload["evaluation_id"]))
        if delivery.kind == "message":
            broadcast = await self._broadcasts.by_id(int(payload["broadcast_id"]))
            if broadcast is None or broadcast.state != "confirmed":
                raise NotRelevant("the message was cancelled")
            project = await self._projects.by_id(broadcast.project_id)
            return card_activity(broadcast_card(project.name if project else "", broadcast.text))
        meeting_id = int(payload["meeting_id"])
        offset = str(payload.get("offset", ""))
        activity = await _once(self._batch.cards, (delivery.kind, meeting_id, offset),
                               lambda: self._meeting_card(delivery.kind, meeting_id, offset))
        person = delivery.recipient.removeprefix("person:")
        if person != delivery.recipient:
            if not await self._expected(meeting_id, int(person)):
                raise NotRelevant("not expected at the meeting (cannot come, or no longer registered)")
            await self._one_a_day(delivery, int(person), meeting_id)
        return activity

    async def _expected(self, meeting_id: int, person_id: int) -> bool:
        """Whether the person is still expected at the meeting (registered and not away, or sent in
        someone's place): read once for the whole batch (its own recipients only), or on its own
        for a send outside a prepared batch."""
        if person_id not in self._batch.people:
            return bool(await self._registrations.expected_at_meeting(meeting_id, [person_id]))

        async def read() -> frozenset[int]:
            return frozenset(await self._registrations.expected_at_meeting(meeting_id, self._batch.people))

        return person_id in await _once(self._batch.registered, meeting_id, read)

    async def _one_a_day(self, delivery: Delivery, person_id: int, meeting_id: int,
                         evaluation_id: int | None = None) -> None:
        """Nobody hears twice about a meeting on one day (bot/features/reminders/daily.py): raises NotRelevant
        or Deferred when this message would be the second. What the batch has already chosen to
        send counts as sent."""
        now = self._day.clock()
        since = day_start(now, self._day.zone)
        sources = [f"evaluation:{evaluation_id}"] if evaluation_id is not None else []
        recipient = delivery.recipient

        async def read(recipients: Collection[str]) -> dict[str, list[datetime]]:
            return await self._outbox.sent_about(recipients, sources, [f"meeting:{meeting_id}:"], since)

        chosen: list[datetime] = []
        if person_id in self._batch.people:
            people = [f"person:{p}" for p in self._batch.people]
            sent = await _once(self._batch.sent_today, (meeting_id, evaluation_id, since), lambda: read(people))
            chosen = self._batch.chosen.setdefault((meeting_id, recipient), [])
        else:
            sent = await read([recipient])
        decision = same_day_decision(delivery.kind, now, [*sent.get(recipient, []), *chosen], self._day.zone,
                                     self._day.quiet)
        if isinstance(decision, Skip):
            raise NotRelevant(decision.reason)
        if isinstance(decision, Defer):
            raise Deferred("a message about the meeting went to this person today", decision.until)
        chosen.append(now)

    async def _meeting_card(self, kind: str, meeting_id: int, offset: str) -> Activity:
        """The reminder or change notice of a meeting: the same for everyone, so rendered once a batch."""
        meeting = await self._projects.meeting(meeting_id)
        project = await self._projects.by_id(meeting.project_id) if meeting else None
        if meeting is None or project is None:
            raise NotRelevant("the meeting no longer exists")
        url = f"{self._public_url}/calendar/{project.calendar_token}/traff-{meeting.number}.ics"
        if kind == "meeting_update":
            return card_activity(update_card(project.name, meeting, url))
        if meeting.cancelled_at is not None:
            raise NotRelevant("the meeting is cancelled")
        return card_activity(reminder_card(project.name, meeting, offset, url))

    async def _evaluation(self, delivery: Delivery, evaluation_id: int) -> Activity:
        """The questionnaire 1:1. The invite is recorded when the card goes out; the nudge goes
        only to invited people who have not answered while it is still open."""
        evaluation = await self._evaluations.by_id(evaluation_id)
        if evaluation is None or evaluation.closed_at is not None:
            raise NotRelevant("the evaluation is closed")
        meeting = await self._projects.meeting(evaluation.meeting_id)
        project = await self._projects.by_id(meeting.project_id) if meeting else None
        if meeting is None or project is None:
            raise NotRelevant("the meeting no longer exists")
        person_id = int(delivery.recipient.split(":", 1)[1])
        if delivery.kind == "evaluation":
            if person_id not in await self._registrations.expected_at_meeting(meeting.id, [person_id]):
                raise NotRelevant("not expected at the meeting (cannot come, or no longer registered)")
            await self._one_a_day(delivery, person_id, meeting.id, evaluation.id)
            await self._evaluations.invite(evaluation.id, person_id)
        elif await self._evaluations.invite_state(evaluation.id, person_id) is not False:
            raise NotRelevant("answered already, or never asked")
        else:
            await self._one_a_day(delivery, person_id, meeting.id, evaluation.id)
        card = evaluation_card(evaluation.id, project.name, meeting.number, meeting.title,
                               questions_from_json(evaluation.questions), evaluation.closes_at,
                               nudge=delivery.kind == "evaluation_nudge")
        return card_activity(card)


@dataclass
class _Batch:
    """What one claimed batch has read so far (OutboxSender.prepare starts a new one)."""

    conversations: dict[int, Conversation] = field(default_factory=dict)
    people: frozenset[int] = frozenset()
    registered: dict[int, asyncio.Future[frozenset[int]]] = field(default_factory=dict)
    cards: dict[tuple[str, int, str], asyncio.Future[Activity]] = field(default_factory=dict)
    sent_today: dict[tuple[int, int | None, datetime], asyncio.Future[dict[str, list[datetime]]]] = field(
        default_factory=dict)
    """(meeting, evaluation, day) -> recipient -> when the batch's people were sent something about it today."""
    chosen: dict[tuple[int, str], list[datetime]] = field(default_factory=dict)
    """(meeting, recipient) -> messages about it this batch has let through (not yet recorded as sent)."""


async def _once(memo: dict[K, asyncio.Future[V]], key: K, read: Callable[[], Awaitable[V]]) -> V:
    """``read()`` once per key: the sends of a wave that ask at the same time share one read (and
    its exception)."""
    pending = memo.get(key)
    if pending is None:
        pending = memo[key] = asyncio.ensure_future(read())
    return await asyncio.shield(pending)
