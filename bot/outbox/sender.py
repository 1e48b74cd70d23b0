"""Turns an outbox row into a Teams message and sends it: the Sender the dispatcher uses. Features
register a Renderer per delivery kind; the sender prepares each claimed batch, renders, finds the
recipient's chat and sends. Errors from the Bot Connector become DeliveryError with the HTTP status
and Retry-After."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from botbuilder.schema import Activity
from msrest.exceptions import ClientRequestError

from bot.outbox.addresses import ChannelAddress, PersonAddress, parse, person_of
from bot.outbox.dispatcher import DeliveryError
from bot.outbox.renderers import Batch, Renderer
from bot.outbox.retry import http_status
from bot.teams.proactive import Messenger
from storage.models import Delivery


class UnknownKind(DeliveryError):
    """A row of a kind no feature renders (its feature is not installed in this process): a bug in
    the wiring, which no retry can mend, so the row fails at once and says why."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"no renderer for delivery kind {kind!r}", final=True)
        self.kind = kind


class OutboxSender:
    def __init__(self, messenger: Messenger, renderers: Mapping[str, Renderer] | None = None) -> None:
        self._messenger = messenger
        self._renderers: dict[str, Renderer] = {}
        self._batch = Batch()
        self.add_renderers(renderers or {})

    def add_renderer(self, kind: str, renderer: Renderer) -> None:
        """Let a feature render its delivery kind; a kind claimed twice is refused at start-up."""
        if kind in self._renderers:
            raise ValueError(f"delivery kind {kind!r} has a renderer already")
        self._renderers[kind] = renderer

    def add_renderers(self, renderers: Mapping[str, Renderer]) -> None:
        for kind, renderer in renderers.items():
            self.add_renderer(kind, renderer)

    @property
    def kinds(self) -> frozenset[str]:
        """The delivery kinds this sender can render."""
        return frozenset(self._renderers)

    async def prepare(self, deliveries: Sequence[Delivery]) -> None:
        """Before a claimed batch is sent: read the people's 1:1 conversations in one query, and
        start a fresh Batch for the renderers' memo."""
        people = [p for d in deliveries if (p := person_of(d.recipient)) is not None]
        self._batch = Batch(frozenset(people),
                            await self._messenger.people.personal_conversations(people) if people else {})

    def window_key(self, delivery: Delivery) -> str:
        """Where Teams counts the message, as in-turn replies are counted (bot.teams.outgoing): the person's 1:1
        chat or the conversation; a person whose chat is not open yet counts under their recipient key."""
        try:
            address = parse(delivery.recipient)
        except ValueError:
            return delivery.recipient  # send() fails such a row; it must not stop the rest of the wave here
        if isinstance(address, PersonAddress):
            conversation = self._batch.conversations.get(address.person_id)
            return conversation.conversation_id if conversation is not None else delivery.recipient
        return address.conversation_id

    async def send(self, delivery: Delivery) -> str | None:
        activity = await self._render(delivery)
        address = parse(delivery.recipient)
        try:
            if isinstance(address, PersonAddress):
                return await self._messenger.send_to_person(address.person_id, activity,
                                                            self._batch.conversations.get(address.person_id))
            if isinstance(address, ChannelAddress):
                return await self._messenger.post_to_channel(address.conversation_id, activity)
            return await self._messenger.send_to_conversation(address.conversation_id, activity)
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
        if renderer is None:
            raise UnknownKind(delivery.kind)
        return await renderer(delivery, self._batch)
