"""A client for the Microsoft 365 Agents Playground: talk to the bot as Teams users would.

Messages go in over the playground's HTTP API; the bot's replies come back on its WebSocket
stream. Facts about the API are in shared/ARCHITECTURE.md.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from tests.cards_check import capture


@dataclass
class BotMessage:
    """A message the bot sent (or updated) in a conversation, as the playground shows it."""

    conversation_id: str
    message_id: str
    text: str
    cards: list[dict[str, Any]]
    files: list[dict[str, Any]]
    action: str
    raw: dict[str, Any] = field(repr=False)

    @property
    def all_text(self) -> str:
        """The message text plus every text in its cards (for assertions on what a person reads)."""
        parts = [self.text, *(_card_texts(card) for card in self.cards)]
        return "\n".join(part for part in parts if part)


_OPENED_CHATS: dict[str, dict[str, str]] = {}


class Playground:
    def __init__(self, base_url: str, session: aiohttp.ClientSession) -> None:
        self.base_url = base_url
        self._session = session
        self._messages: list[BotMessage] = []
        self._arrived = asyncio.Condition()
        self._reader: asyncio.Task[None] | None = None
        self._socket: aiohttp.ClientWebSocketResponse | None = None
        self._log_socket: aiohttp.ClientWebSocketResponse | None = None
        self._log_reader: asyncio.Task[None] | None = None
        # The bot opens a 1:1 chat once per person and reuses it later, so what was learnt about
        # chats outlives one client: it is kept per playground for the whole session.
        self._opened_chats = _OPENED_CHATS.setdefault(base_url, {})
        """conversation id -> user id, for the 1:1 chats the bot opened."""
        self._delivered: list[BotMessage] = []
        self.config: dict[str, Any] = {}

    async def connect(self) -> None:
        async with self._session.get(f"{self.base_url}/_internal/v1/config") as response:
            response.raise_for_status()
            self.config = (await response.json())["config"]
        ws_url = self.base_url.replace("http", "ws", 1) + "/_ws_conversation/v1/conversations/stream"
        self._socket = await self._session.ws_connect(ws_url)
        self._reader = asyncio.create_task(self._read(self._socket))
        # The chat stream shows only the current user's view; the log stream shows every request the
        # bot makes to the emulated Teams, including 1:1 chats it opens with other users.
        self._log_socket = await self._session.ws_connect(self.base_url.replace("http", "ws", 1) + "/_ws/log/stream")
        self._log_reader = asyncio.create_task(self._read_log(self._log_socket))

    async def close(self) -> None:
        for socket in (self._socket, self._log_socket):
            if socket is not None:
                await socket.close()
        for reader in (self._reader, self._log_reader):
            if reader is not None:
                await asyncio.gather(reader, return_exceptions=True)

    # --- ids from the playground's configuration ------------------------------------------

    @property
    def bot_id(self) -> str:
        return str(self.config["bot"]["id"])

    @property
    def personal_chat(self) -> str:
        return str(self.config["personalChat"]["id"])

    @property
    def group_chat(self) -> str:
        return str(self.config["groupChats"][0]["id"])

    def channel(self, name: str) -> str:
        for channel in self.config["teams"][0]["channels"]:
            if channel["name"] == name:
                return str(channel["id"])
        raise KeyError(name)

    # --- acting as a user -----------------------------------------------------------------

    async def install(self, conversation_id: str) -> None:
        """Install the app where ``conversation_id`` is (installationUpdate + conversationUpdate)."""
        await self._post(f"/_debug/conversation/{conversation_id}/installation", {})

    async def say(self, conversation_id: str, text: str, user: str = "user-id-0", mention: bool = False) -> str:
        """Send ``text``; returns the conversation the bot answers in (a channel post gets its own).

        The playground's message API always sends as the configured current user, whatever ``from``
        says; other users' messages in a group chat go through its "mock an activity" API instead.
        In channels every message is the current user's (a mocked one would not start a thread)."""
        if user != self.config["currentUser"]["id"] and not self._is_channel(conversation_id):
            await self._say_as(conversation_id, text, user, mention)
            return conversation_id
        body: dict[str, Any] = {"from": {"id": user}, "text": text, "textFormat": "plain"}
        if mention:
            body["text"] = f"<at>DalaLab</at> {text}"
            body["mentions"] = [{"mentioned": {"id": self.bot_id, "name": "DalaLab"}, "text": "<at>DalaLab</at>"}]
        result = await self._post(f"/_conversation/v1/conversations/{conversation_id}/messages", body)
        return str(result.get("postConversationId") or conversation_id)

    def _is_channel(self, conversation_id: str) -> bool:
        return any(c["id"] == conversation_id for team in self.config["teams"] for c in team["channels"])

    async def _say_as(self, conversation_id: str, text: str, user: str, mention: bool) -> None:
        query = {"conversationId": conversation_id, "type": "userAdded"}
        async with self._session.get(f"{self.base_url}/_internal/v1/customActivities/template", params=query) as r:
            r.raise_for_status()
            template = await r.json()
        person = next(u for u in self.config["users"] if u["id"] == user)
        activity = {
            key: template[key] for key in ("channelId", "serviceUrl", "recipient", "conversation", "channelData")
        }
        activity.update(
            {
                "type": "message",
                "id": str(uuid.uuid4()),
                "timestamp": template["timestamp"],
                "locale": "en-US",
                "from": {"id": user, "name": person["name"], "aadObjectId": person["aadObjectId"]},
                "text": f"<at>DalaLab</at> {text}" if mention else text,
                "textFormat": "plain",
            }
        )
        if mention:
            activity["entities"] = [
                {"type": "mention", "text": "<at>DalaLab</at>", "mentioned": {"id": self.bot_id, "name": "DalaLab"}}
            ]
        await self._post("/_internal/v1/customActivities", activity)

    async def press(self, message: BotMessage, value: dict[str, Any], user: str) -> None:
        """Press a button of ``message`` as ``user``, in whichever chat the message is."""
        if message.conversation_id in self._opened_chats:
            await self.press_in_opened_chat(message.conversation_id, message.message_id, value, user)
        else:
            await self.submit(message.conversation_id, message.message_id, value, user)

    async def press_in_opened_chat(self, conversation_id: str, card_message_id: str, value: dict[str, Any],
                                   user: str) -> None:
        """Press a card's Action.Submit in a 1:1 chat the bot opened with ``user``. The playground's submit
        API knows only the chats in its own view, so the press goes in as a mocked activity (the same
        shape Teams sends: a message with the card's data as ``value``, replying to the card)."""
        query = {"conversationId": self.group_chat, "type": "userAdded"}
        async with self._session.get(f"{self.base_url}/_internal/v1/customActivities/template", params=query) as r:
            r.raise_for_status()
            template = await r.json()
        person = next(u for u in self.config["users"] if u["id"] == user)
        activity = {key: template[key] for key in ("channelId", "serviceUrl", "recipient", "channelData")}
        tenant = (template.get("conversation") or {}).get("tenantId")
        activity.update({
            "type": "message", "id": str(uuid.uuid4()), "timestamp": template["timestamp"], "locale": "en-US",
            "from": {"id": user, "name": person["name"], "aadObjectId": person["aadObjectId"]},
            "conversation": {"id": conversation_id, "conversationType": "personal", "tenantId": tenant},
            "replyToId": card_message_id, "value": value,
        })
        await self._post("/_internal/v1/customActivities", activity)

    async def submit(
        self, conversation_id: str, card_message_id: str, value: dict[str, Any], user: str = "user-id-0"
    ) -> None:
        """Press a card's Action.Submit with ``value`` as its data (plus the card's inputs)."""
        body = {
            "conversation": {"id": conversation_id},
            "from": {"id": user},
            "replyToId": card_message_id,
            "value": value,
        }
        await self._post("/_conversation/v1/submit", body)

    # --- what the bot said ----------------------------------------------------------------

    def messages(self, conversation_id: str | None = None) -> list[BotMessage]:
        return [m for m in self._messages if conversation_id in (None, m.conversation_id)]

    async def expect(
        self,
        conversation_id: str,
        predicate: Callable[[BotMessage], bool] = lambda _m: True,
        timeout: float = 15.0,
        after: int = 0,
    ) -> BotMessage:
        """Wait for a bot message in ``conversation_id`` (from index ``after``) that matches."""
        deadline = time.monotonic() + timeout
        async with self._arrived:
            while True:
                for message in self.messages(conversation_id)[after:]:
                    if predicate(message):
                        return message
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [m.all_text[:200] for m in self.messages(conversation_id)]
                    raise AssertionError(f"no matching bot message in {conversation_id} within {timeout}s; saw {seen}")
                try:
                    await asyncio.wait_for(self._arrived.wait(), remaining)
                except TimeoutError:
                    continue

    async def expect_anywhere(self, predicate: Callable[[BotMessage], bool], timeout: float = 15.0) -> BotMessage:
        """Wait for a matching bot message in any conversation (e.g. a new 1:1 chat the bot opened)."""
        deadline = time.monotonic() + timeout
        async with self._arrived:
            while True:
                for message in self._messages:
                    if predicate(message):
                        return message
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no matching bot message anywhere within {timeout}s")
                try:
                    await asyncio.wait_for(self._arrived.wait(), remaining)
                except TimeoutError:
                    continue

    async def reply_to(
        self, conversation_id: str, text: str, user: str = "user-id-0", mention: bool = False, timeout: float = 15.0
    ) -> BotMessage:
        """Say ``text`` and wait for the bot's next message in the conversation it answers in."""
        before = len(self.messages())
        answer_in = await self.say(conversation_id, text, user=user, mention=mention)
        seen = len([m for m in self.messages()[:before] if m.conversation_id == answer_in])
        return await self.expect(answer_in, after=seen, timeout=timeout)

    async def quiet(self, conversation_id: str, seconds: float = 1.5) -> list[BotMessage]:
        """Messages that arrive in ``conversation_id`` during ``seconds`` (to check for silence)."""
        before = len(self.messages(conversation_id))
        await asyncio.sleep(seconds)
        return self.messages(conversation_id)[before:]

    async def _read(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        async for frame in socket:
            if frame.type is not aiohttp.WSMsgType.TEXT:
                continue
            event = json.loads(frame.data)
            message = _bot_message(event)
            if message is None:
                continue
            for card in message.cards:
                capture(card)  # checked with every other card at the end of the session
            async with self._arrived:
                self._messages.append(message)
                self._arrived.notify_all()

    def delivered_messages(self) -> list[BotMessage]:
        """Every message the bot sent in 1:1 chats it opened (from the playground's log)."""
        return [m for m in self._delivered if m.conversation_id in self._opened_chats]

    def delivered_since(self, mark: int) -> list[BotMessage]:
        """What the bot delivered (seen in the log) from position ``mark`` (``delivered_mark``) on."""
        return self._delivered[mark:]

    def delivered_mark(self) -> int:
        """A position in what the bot delivered, for ``delivered_to(..., after=)``."""
        return len(self._delivered)

    async def delivered_to(
        self, user: str, predicate: Callable[[BotMessage], bool] = lambda _m: True, timeout: float = 15.0,
        after: int = 0,
    ) -> BotMessage:
        """Wait for a message the bot sent in ``user``'s 1:1 chat (seen in the log): one it opened with
        them, or the current user's own personal chat (from position ``after`` on)."""
        return (await self.delivered_many(user, 1, predicate, timeout, after))[0]

    async def delivered_many(
        self, user: str, count: int, predicate: Callable[[BotMessage], bool] = lambda _m: True,
        timeout: float = 15.0, after: int = 0,
    ) -> list[BotMessage]:
        """Wait for ``count`` messages that match, as ``delivered_to`` waits for one; returns the first ``count``."""
        deadline = time.monotonic() + timeout
        async with self._arrived:
            while True:
                found = [message for message in self._delivered[after:]
                         if self._chat_user(message.conversation_id) == user and predicate(message)]
                if len(found) >= count:
                    return found[:count]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"{len(found)} of {count} matching messages delivered to {user} "
                                         f"within {timeout}s")
                try:
                    await asyncio.wait_for(self._arrived.wait(), remaining)
                except TimeoutError:
                    continue

    def _chat_user(self, conversation_id: str) -> str | None:
        if conversation_id == self.personal_chat:
            return str(self.config["currentUser"]["id"]) if "currentUser" in self.config else "user-id-0"
        return self._opened_chats.get(conversation_id)

    async def _read_log(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        async for frame in socket:
            if frame.type is not aiohttp.WSMsgType.TEXT:
                continue
            entry = (json.loads(frame.data) or {}).get("log") or {}
            if entry.get("from") != "User Application":
                continue
            body = (entry.get("request") or {}).get("body") or {}
            async with self._arrived:
                if entry.get("activityName") == "createConversation" and body.get("members"):
                    response = (entry.get("response") or {}).get("body") or {}
                    self._opened_chats[str(response.get("id"))] = str(body["members"][0]["id"])
                elif body.get("type") == "message":
                    logged = _logged_message(entry, body)
                    for card in logged.cards:
                        capture(card)
                    self._delivered.append(logged)
                self._arrived.notify_all()

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        async with self._session.post(self.base_url + path, json=body) as response:
            text = await response.text()
            if response.status >= 300:
                raise AssertionError(f"playground {path} answered {response.status}: {text[:500]}")
            return json.loads(text) if text else {}


def _bot_message(event: dict[str, Any]) -> BotMessage | None:
    action = event.get("action")
    message = event.get("message")
    if action not in ("createMessage", "updateMessage") or not isinstance(message, dict):
        return None
    attachments = message.get("attachments") or []
    return BotMessage(
        conversation_id=str(event.get("actionConversationId")),
        message_id=str(message.get("messageId")),
        text=str(message.get("text") or ""),
        cards=[a["content"] for a in attachments if a.get("contentType") == "application/vnd.microsoft.card.adaptive"],
        files=[a for a in attachments if a.get("contentType") != "application/vnd.microsoft.card.adaptive"],
        action=str(action),
        raw=event,
    )


def _logged_message(entry: dict[str, Any], body: dict[str, Any]) -> BotMessage:
    attachments = body.get("attachments") or []
    conversation = (body.get("conversation") or {}).get("id") or entry.get("conversationId")
    return BotMessage(
        conversation_id=str(conversation),
        message_id=str(entry.get("messageId")),
        text=str(body.get("text") or ""),
        cards=[a["content"] for a in attachments if a.get("contentType") == "application/vnd.microsoft.card.adaptive"],
        files=[a for a in attachments if a.get("contentType") != "application/vnd.microsoft.card.adaptive"],
        action="logged",
        raw=entry,
    )


def _card_texts(node: Any) -> str:
    if isinstance(node, dict):
        keys = ("text", "title", "value", "label", "placeholder")
        own = [str(node[key]) for key in keys if isinstance(node.get(key), str)]
        nested = [_card_texts(value) for key, value in node.items() if isinstance(value, (dict, list))]
        return "\n".join(part for part in own + nested if part)
    if isinstance(node, list):
        return "\n".join(_card_texts(item) for item in node)
    return ""
