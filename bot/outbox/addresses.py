"""Who an outbox delivery goes to. The recipient column holds a short string ("person:12",
"channel:19:abc@thread.tacv2"); only this module builds and reads that string. It imports nothing
of the project, so storage can use it too."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PersonAddress:
    """A person, 1:1: their personal chat with the bot (created if they have none yet)."""

    person_id: int

    def __str__(self) -> str:
        return f"person:{self.person_id}"


@dataclass(frozen=True)
class ChannelAddress:
    """A new post in a team channel, by the channel's conversation id."""

    conversation_id: str

    def __str__(self) -> str:
        return f"channel:{self.conversation_id}"


@dataclass(frozen=True)
class ConversationAddress:
    """A message into a conversation the bot is in (a group chat, or a channel's thread)."""

    conversation_id: str

    def __str__(self) -> str:
        return f"conversation:{self.conversation_id}"


Address = PersonAddress | ChannelAddress | ConversationAddress


def person_address(person_id: int) -> str:
    return str(PersonAddress(person_id))


def channel_address(conversation_id: str) -> str:
    return str(ChannelAddress(conversation_id))


def conversation_address(conversation_id: str) -> str:
    return str(ConversationAddress(conversation_id))


def parse(recipient: str) -> Address:
    """The address a recipient string names; ValueError for anything no builder here makes."""
    kind, _, target = recipient.partition(":")
    if kind == "person" and target.isascii() and target.isdigit():
        return PersonAddress(int(target))
    if kind == "channel" and target:
        return ChannelAddress(target)
    if kind == "conversation" and target:
        return ConversationAddress(target)
    raise ValueError(f"not an outbox recipient: {recipient!r}")


def person_of(recipient: str) -> int | None:
    """The person a delivery goes to 1:1; None when it goes to a channel or conversation (or is
    not an address at all)."""
    try:
        address = parse(recipient)
    except ValueError:
        return None
    return address.person_id if isinstance(address, PersonAddress) else None
