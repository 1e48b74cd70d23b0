"""Commands: what people can type, who may use it, and how text is matched against the table.

Each feature declares its own commands (bot/core/router.py); the table is their union
(bot/features/registry.py), and the same table feeds the help card and the Teams manifest's
``commandLists`` (``tests/manifest`` checks that they agree).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Literal

Place = Literal["personal", "channel", "anywhere"]


class Role(Enum):
    PARTICIPANT = "participant"
    COORDINATOR = "coordinator"


@dataclass(frozen=True)
class Command:
    """A command word (Swedish first) with its aliases; ``name`` is also the handler's key."""

    name: str
    aliases: tuple[str, ...]
    role: Role
    argument: str | None = None
    """Catalog key naming the argument (shown in help), or None when the command takes none."""
    in_manifest: bool = True
    """Shown in Teams' command menu (participant commands only: coordinator commands are in help only)."""
    place: Place = "anywhere"
    """Where it is meant to be used: "personal" (a person's own data: the 1:1 chat), "channel" (it
    acts on the channel it is said in) or "anywhere". The manifest's menus follow it."""
    personal: bool = False
    """It shows or asks for personal data (own registrations, answers and data, forms with e-mail or
    dietary needs, names of others, export and report files): said in a channel or group chat, it is
    answered in the sender's personal chat (bot/core/personal_chat.py)."""

    @property
    def words(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    @property
    def help_key(self) -> str:
        return f"command.{self.name}.help"


@dataclass(frozen=True)
class Match:
    command: Command
    argument: str


_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Lower case, NFC, single spaces, no trailing punctuation people add by habit."""
    text = unicodedata.normalize("NFC", text)
    return _SPACES.sub(" ", text).strip().rstrip(".!").strip().lower()


class CommandTable:
    """The commands of every feature, with what matching needs computed once."""

    def __init__(self, commands: Sequence[Command]) -> None:
        validate_table(commands)
        self.commands = tuple(commands)
        self._by_name = {command.name: command for command in self.commands}
        self._exact = {word: command for command in reversed(self.commands) for word in command.words}
        self._with_argument = sorted(
            ((word, command) for command in self.commands for word in command.words if command.argument),
            key=lambda pair: len(pair[0]), reverse=True)

    def match(self, text: str) -> Match | None:
        """Full-match a message: the whole text is a command word, or a command word followed by an
        argument for commands that take one. Longest word wins."""
        cleaned = normalise(text)
        if cleaned in self._exact:
            return Match(self._exact[cleaned], "")
        for word, command in self._with_argument:
            if cleaned.startswith(word + " "):
                original = _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()
                return Match(command, original[len(word) + 1 :].strip())
        return None

    def named(self, name: str) -> Command | None:
        return self._by_name.get(name)

    def visible(self, role: Role) -> tuple[Command, ...]:
        """Commands a person with ``role`` may use: coordinators see everything."""
        if role is Role.COORDINATOR:
            return self.commands
        return tuple(command for command in self.commands if command.role is Role.PARTICIPANT)


def validate_table(commands: Sequence[Command]) -> None:
    """Refuse a table where one word would shadow another (checked at start-up)."""
    seen: dict[str, str] = {}
    for command in commands:
        for word in command.words:
            if word != normalise(word):
                raise ValueError(f"command word {word!r} is not normalised")
            if word in seen:
                raise ValueError(f"command word {word!r} used by both {seen[word]} and {command.name}")
            seen[word] = command.name
