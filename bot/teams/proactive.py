"""Sending to a person or a channel outside a turn: to a stored conversation reference, or by
creating a 1:1 chat with a person the bot has only met in a team channel or group chat."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import (
    Activity,
    ChannelAccount,
    ConversationParameters,
)

from bot.teams.connector import LeanCloudAdapter
from bot.teams.outgoing import DEFAULT_MAX_BYTES, check_size, with_summary
from bot.teams.references import conversation_seen
from bot.teams.wire import reference_from_json
from storage.models import Conversation, Person
from storage.people import PeopleRepository, Visitor

log = logging.getLogger(__name__)


class Messenger:
    def __init__(self, adapter: BotAdapter, people: PeopleRepository, app_id: str,
                 max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self._adapter = adapter
        self._people = people
        self._app_id = app_id
        self._max_bytes = max_bytes

    def _ready(self, activity: Activity) -> Activity:
        """A proactive message as Teams should get it: a summary for the notification (or the feed
        says "Sent a card"), and no bigger than the limit (MessageTooLarge, final, otherwise)."""
        ready = with_summary(activity)
        check_size(ready, self._max_bytes)
        return ready

    @property
    def people(self) -> PeopleRepository:
        return self._people

    async def send_to_person(self, person_id: int, activity: Activity,
                             known: Conversation | None = None) -> str | None:
        """Send ``activity`` 1:1 (opening the chat when needed); returns the sent activity's id.
        ``known``: the person's personal conversation, when the caller has read it already."""
        activity = self._ready(activity)
        conversation = known or await self._people.personal_conversation(person_id)
        if conversation is not None:
            return await self._continue(conversation, activity)
        person = await self._people.person_by_id(person_id)
        if person is None or person.erased_at is not None:
            raise LookupError(f"no person {person_id}")
        return await self._create_personal(person, activity)

    async def send_to_conversation(self, conversation_id: str, activity: Activity) -> str | None:
        activity = self._ready(activity)
        conversation = await self._people.conversation(conversation_id)
        if conversation is None:
            raise LookupError(f"no stored reference for conversation {conversation_id}")
        if not conversation.installed:
            raise LookupError(f"the app is no longer installed in conversation {conversation_id}")
        return await self._continue(conversation, activity)

    async def post_to_channel(self, channel_id: str, activity: Activity) -> str | None:
        """Start a new thread in a team channel (as Teams' send_message_to_teams_channel does)."""
        activity = self._ready(activity)
        known = await self._people.conversation_in_channel(channel_id)
        if known is None:
            raise LookupError(f"the bot has no reference for channel {channel_id}")
        reference = json.loads(known.reference)
        parameters = ConversationParameters(
            is_group=True,
            bot=ChannelAccount(id=reference["bot"]["id"]),
            channel_data={"channel": {"id": channel_id}, "tenant": {"id": known.tenant_id}},
            tenant_id=known.tenant_id,
            activity=activity,
        )
        created: list[str | None] = []

        async def record(context: TurnContext) -> None:
            created.append(context.activity.id)

        await self._adapter.create_conversation(  # type: ignore[call-arg]
            self._app_id, record, parameters, "msteams", known.service_url, None
        )
        return created[0] if created else None

    async def _continue(self, conversation: Conversation, activity: Activity) -> str | None:
        reference = reference_from_json(json.loads(conversation.reference))
        if isinstance(self._adapter, LeanCloudAdapter):
            return await self._adapter.send_proactive(reference, activity, self._app_id)
        sent: list[str | None] = []

        async def send(context: TurnContext) -> None:
            response = await context.send_activity(activity)
            sent.append(response.id if response else None)

        turn = _ProactiveTurn(send)
        await self._adapter.continue_conversation(reference, turn.run, bot_app_id=self._app_id)  # type: ignore[call-arg]
        turn.raise_failure()
        return sent[0] if sent else None

    async def _create_personal(self, person: Person, activity: Activity) -> str | None:
        """Open a 1:1 chat with someone met in a channel or group chat (Teams allows this for
        members of a team or chat where the app is installed)."""
        known = await self._people.any_conversation_of(person.id, person.tenant_id)
        if known is None:
            raise LookupError(f"person {person.id} has no conversation the bot can reach them through")
        parameters = ConversationParameters(
            is_group=False,
            bot=ChannelAccount(id=json.loads(known.reference)["bot"]["id"]),
            members=[ChannelAccount(id=person.teams_id, name=person.name)],
            tenant_id=person.tenant_id,
            channel_data={"tenant": {"id": person.tenant_id}},
        )
        created: list[str | None] = []

        async def send(context: TurnContext) -> None:
            context.activity.conversation.conversation_type = "personal"
            seen = conversation_seen(context.activity)
            await self._people.remember(
                Visitor(person.teams_id, person.name, person.aad_object_id, person.tenant_id, person.locale), seen
            )
            response = await context.send_activity(activity)
            created.append(response.id if response else None)

        turn = _ProactiveTurn(send)
        await self._adapter.create_conversation(  # type: ignore[call-arg]
            self._app_id, turn.run, parameters, "msteams", known.service_url, None
        )
        turn.raise_failure()
        log.info("opened a 1:1 chat with person %s", person.id)
        return created[0] if created else None


class _ProactiveTurn:
    """Runs a proactive turn's callback and keeps its exception. The adapter hands an exception from
    the callback to ``on_turn_error``, which logs it, sends the user an apology and returns normally:
    the caller would take a 429 for a sent message. Re-raised after the turn, it reaches the caller."""

    def __init__(self, callback: Callable[[TurnContext], Awaitable[None]]) -> None:
        self._callback = callback
        self._failure: Exception | None = None

    async def run(self, context: TurnContext) -> None:
        try:
            await self._callback(context)
        except Exception as error:  # noqa: BLE001 - re-raised by raise_failure, past the adapter
            self._failure = error

    def raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure
