"""The one command table: what people can type, who may use it, and how text is matched.

The same table feeds the help card and the Teams manifest's ``commandLists``
(``tests/manifest`` checks that they agree).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import Enum
from functools import cache


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
    place: str = "anywhere"
    """Where it is meant to be used: "personal" (a person's own data: the 1:1 chat), "channel" (it
    acts on the channel it is said in) or "anywhere". The manifest's menus follow it."""

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


COMMANDS: tuple[Command, ...] = (
    Command("hjälp", ("help", "hjalp", "?"), Role.PARTICIPANT),
    Command("anmäl", ("anmal", "anmälan", "anmäl mig", "register"), Role.PARTICIPANT, place="personal"),
    Command("anmäl via text", ("anmal via text", "register by text"), Role.PARTICIPANT, in_manifest=False,
            place="personal"),
    Command("mina anmälningar", ("mina anmalningar", "my registrations"), Role.PARTICIPANT, place="personal"),
    Command("schema", ("träffar", "schedule"), Role.PARTICIPANT),
    Command("nästa träff", ("nasta traff", "next meeting"), Role.PARTICIPANT),
    Command("ta över", ("ta over", "take over"), Role.PARTICIPANT, argument="arg.code", in_manifest=False,
            place="personal"),
    Command("utvärdera", ("utvardera", "utvärdering", "evaluate"), Role.PARTICIPANT, place="personal"),
    Command("om", ("about",), Role.PARTICIPANT, in_manifest=False),
    Command("anmälningar", ("anmalningar", "registrations"), Role.COORDINATOR),
    Command("resultat", ("results",), Role.COORDINATOR),
    Command("meddelande", ("skicka meddelande", "message"), Role.COORDINATOR),
    Command("påminn", ("paminn", "remind"), Role.COORDINATOR),
    Command("koppla kanal", ("link channel",), Role.COORDINATOR, place="channel"),
    # Attendance, the project report and the alumni phase (issue 7): coordinator commands, in the help
    # card only (Teams' command menu is the same for everyone).
    Command("närvaro", ("narvaro", "attendance"), Role.COORDINATOR, in_manifest=False),
    Command("rapport", ("projektrapport", "report"), Role.COORDINATOR, in_manifest=False),
    Command("avsluta projekt", ("finish project",), Role.COORDINATOR, in_manifest=False),
    Command("koppla alumnkanal", ("link alumni channel",), Role.COORDINATOR, in_manifest=False, place="channel"),
    Command("alumnimeddelande", ("alumni message",), Role.COORDINATOR, in_manifest=False),
    Command("vem kan", ("vem vet om", "who knows"), Role.PARTICIPANT, argument="arg.topic"),
    Command("samordnare", ("coordinators",), Role.COORDINATOR, in_manifest=False),
    Command("bilda triader", ("bilda triad", "form triads"), Role.COORDINATOR, in_manifest=False),
    # Case examples and homework (issue 6); the manifest's list is full, so help card only.
    Command("exempel", ("examples",), Role.PARTICIPANT, argument="arg.search"),
    Command("skicka exempel", ("share example",), Role.PARTICIPANT, place="personal"),
    Command("be om exempel", ("request examples",), Role.COORDINATOR, in_manifest=False),
    Command("granska exempel", ("review examples",), Role.COORDINATOR, in_manifest=False),
    Command("ny hemuppgift", ("new homework",), Role.COORDINATOR, in_manifest=False),
    Command("hemuppgifter", ("homework",), Role.COORDINATOR, in_manifest=False),
    # Privacy (issue 9): a person's own data and erasure; the manifest's list is full, so help card only.
    Command("mina uppgifter", ("mina data", "my data"), Role.PARTICIPANT, place="personal"),
    # Projects run from Teams (issue 17): coordinator commands, in the help card only.
    Command("projekt", ("mina projekt", "projects"), Role.COORDINATOR, in_manifest=False),
    Command("nytt projekt", ("nytt lärprojekt", "new project"), Role.COORDINATOR, in_manifest=False),
    Command("kopiera projekt", ("copy project",), Role.COORDINATOR, in_manifest=False),
    Command("ändra projekt", ("andra projekt", "edit project"), Role.COORDINATOR, in_manifest=False),
)

_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Lower case, NFC, single spaces, no trailing punctuation people add by habit."""
    text = unicodedata.normalize("NFC", text)
    return _SPACES.sub(" ", text).strip().rstrip(".!").strip().lower()


def match_command(text: str, commands: tuple[Command, ...] = COMMANDS) -> Match | None:
    """Full-match a message against the table: the whole text is a command word, or a
    command word followed by an argument for commands that take one. Longest word wins."""
    cleaned = normalise(text)
    exact, with_argument = _DEFAULT_LOOKUP if commands is COMMANDS else _lookup(commands)
    if cleaned in exact:
        return Match(exact[cleaned], "")
    for word, command in with_argument:
        if cleaned.startswith(word + " "):
            original = _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()
            return Match(command, original[len(word) + 1 :].strip())
    return None


@cache
def _lookup(commands: tuple[Command, ...]) -> tuple[dict[str, Command], tuple[tuple[str, Command], ...]]:
    """Every command word -> its command, and the words taking an argument, longest first."""
    exact = {word: command for command in reversed(commands) for word in command.words}
    words = sorted(((word, command) for command in commands for word in command.words if command.argument),
                   key=lambda pair: len(pair[0]), reverse=True)
    return exact, tuple(words)


_DEFAULT_LOOKUP = _lookup(COMMANDS)


def visible_commands(role: Role, commands: tuple[Command, ...] = COMMANDS) -> tuple[Command, ...]:
    """Commands a person with ``role`` may use: coordinators see everything."""
    if role is Role.COORDINATOR:
        return commands
    return tuple(command for command in commands if command.role is Role.PARTICIPANT)


def validate_table(commands: tuple[Command, ...] = COMMANDS) -> None:
    """Refuse a table where one word would shadow another (checked at start-up)."""
    seen: dict[str, str] = {}
    for command in commands:
        for word in command.words:
            if word != normalise(word):
                raise ValueError(f"command word {word!r} is not normalised")
            if word in seen:
                raise ValueError(f"command word {word!r} used by both {seen[word]} and {command.name}")
            seen[word] = command.name
