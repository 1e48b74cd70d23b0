"""What a feature answers, declared where its actions are: commands (with their entries in the command
table), card verbs (each with its own role), text dialogs and free-text answerers.

```python
router = Router("homework")

class HomeworkCoordinatorActions:
    @router.command("ny hemuppgift", "new homework", role=Role.COORDINATOR, in_manifest=False)
    async def form(self, context, turn): ...

    @router.verb("homework_save", role=Role.COORDINATOR)
    async def save(self, context, turn): ...
```

Declarations are made when the module is imported, so the command table (help card, manifest,
authorization test) needs no running bot; ``Routes.bind`` later joins them with the instances the
feature's ``install`` built. The start-up checks live here: no command or verb without an instance
to run it, no word or verb claimed twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from botbuilder.core import TurnContext

from bot.core.commands import Command, Place, Role, validate_table
from bot.core.turn import Turn

Action = Callable[[TurnContext, Turn], Awaitable[None]]
"""A bound action: what runs for a command or a card verb."""
FreeText = Callable[[TurnContext, Turn], Awaitable[bool]]
"""Answers text no command matched; True when it did."""
DialogStep = Callable[[TurnContext, Turn], Awaitable[bool]]
"""Continues a text dialog under way; True when the text was the dialog's."""
DialogCancel = Callable[[TurnContext], Awaitable[None]]
"""Ends a text dialog under way (a command was typed instead)."""

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Verb:
    """A card button's ``verb``. ``shared``: pressed in a channel or group chat, it answers there
    (the check-in card, the schedule); every other verb answers in the presser's personal chat."""

    name: str
    role: Role = Role.PARTICIPANT
    shared: bool = False


Hook = Literal["free_text", "dialog_step", "dialog_cancel"]


@dataclass
class Router:
    """One feature's declarations: functions (not yet bound to an instance) by what they answer."""

    feature: str
    commands: list[tuple[Command, Callable[..., Any]]] = field(default_factory=list)
    verbs: list[tuple[Verb, Callable[..., Any]]] = field(default_factory=list)
    hooks: list[tuple[Hook, Callable[..., Any]]] = field(default_factory=list)

    def command(self, name: str, *aliases: str, role: Role = Role.PARTICIPANT, argument: str | None = None,
                in_manifest: bool = True, place: Place = "anywhere", personal: bool = False) -> Callable[[F], F]:
        """A typed command (Swedish word first, then aliases); see ``Command`` for the options."""
        command = Command(name, aliases, role, argument, in_manifest, place, personal)

        def declare(function: F) -> F:
            self.commands.append((command, function))
            return function

        return declare

    def verb(self, name: str, *, role: Role = Role.PARTICIPANT, shared: bool = False) -> Callable[[F], F]:
        """A card button's verb (the ``verb`` in the card's data)."""

        def declare(function: F) -> F:
            self.verbs.append((Verb(name, role, shared), function))
            return function

        return declare

    def free_text(self, function: F) -> F:
        """Answers text that matched no command (small talk, questions to the coordinators)."""
        self.hooks.append(("free_text", function))
        return function

    def dialog_step(self, function: F) -> F:
        """Gets plain text before command matching while the feature's text dialog is under way."""
        self.hooks.append(("dialog_step", function))
        return function

    def dialog_cancel(self, function: F) -> F:
        """Ends the feature's text dialog when a command is typed instead."""
        self.hooks.append(("dialog_cancel", function))
        return function


def command_table(routers: Iterable[Router]) -> tuple[Command, ...]:
    """The union of the routers' commands, in declaration order (help card and manifest follow it)."""
    table = tuple(command for router in routers for command, _ in router.commands)
    validate_table(table)
    return table


@dataclass
class Routes:
    """The routers' declarations bound to the instances that run them."""

    commands: dict[str, Action] = field(default_factory=dict)
    verbs: dict[str, tuple[Verb, Action]] = field(default_factory=dict)
    free_text: list[FreeText] = field(default_factory=list)
    dialogs: list[tuple[DialogStep, DialogCancel]] = field(default_factory=list)

    def bind(self, router: Router, *instances: object) -> None:
        """Bind every declaration of ``router`` that belongs to one of ``instances`` (a feature with a
        participant and a coordinator class passes both); a declaration without one is a bug."""
        for command, function in router.commands:
            if command.name in self.commands:
                raise RuntimeError(f"command {command.name!r} claimed twice ({router.feature})")
            self.commands[command.name] = _bound(router, function, instances)
        for verb, function in router.verbs:
            if verb.name in self.verbs:
                raise RuntimeError(f"card verb {verb.name!r} claimed twice ({router.feature})")
            self.verbs[verb.name] = (verb, _bound(router, function, instances))
        hooks = {kind: _bound(router, function, instances) for kind, function in router.hooks}
        if "free_text" in hooks:
            self.free_text.append(hooks["free_text"])
        if ("dialog_step" in hooks) != ("dialog_cancel" in hooks):
            raise RuntimeError(f"{router.feature}: a text dialog needs both dialog_step and dialog_cancel")
        if "dialog_step" in hooks:
            self.dialogs.append((hooks["dialog_step"], hooks["dialog_cancel"]))

    def check(self, table: Sequence[Command]) -> None:
        """Start-up check: every command of the table has an action."""
        missing = sorted({command.name for command in table} - set(self.commands))
        if missing:
            raise RuntimeError(f"commands without a handler: {missing}")


def _bound(router: Router, function: Callable[..., Any], instances: Sequence[object]) -> Any:
    owners = [instance for instance in instances
              if any(vars(klass).get(function.__name__) is function for klass in type(instance).__mro__)]
    if len(owners) != 1:
        raise RuntimeError(f"{router.feature}: {function.__qualname__} needs exactly one instance to run it, "
                           f"got {len(owners)}")
    return getattr(owners[0], function.__name__)
