"""The help card, generated from the command table."""

from __future__ import annotations

from typing import Any

from bot.core.cards import Card, card, heading, paragraph, submit
from bot.core.commands import Command, Role
from bot.core.i18n import t

MAX_BUTTONS = 6
"""Teams shows at most six buttons on a card and drops the rest."""
MAIN_ACTIONS = {
    Role.PARTICIPANT: ("anmäl", "mina anmälningar", "schema", "utvärdera", "exempel", "hjälp"),
    Role.COORDINATOR: ("anmälningar", "meddelande", "närvaro", "resultat", "schema", "hjälp"),
}


def main_actions(role: Role, without: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Buttons for the main commands of ``role`` (at most six), each running its command."""
    names = [name for name in MAIN_ACTIONS[role] if name not in without]
    return [submit(t(f"button.command.{name}"), "command", command=name) for name in names[:MAX_BUTTONS]]


def help_card(commands: tuple[Command, ...], in_channel: bool) -> Card:
    participant = [c for c in commands if c.role is Role.PARTICIPANT]
    coordinator = [c for c in commands if c.role is Role.COORDINATOR]
    body: list[dict[str, Any]] = [heading(t("help.title")), _facts(participant)]
    if coordinator:
        body += [paragraph(t("help.coordinator_title"), weight="Bolder", spacing="Large"), _facts(coordinator)]
    if in_channel:
        body.append(paragraph(t("help.channel_hint"), isSubtle=True))
    role = Role.COORDINATOR if coordinator else Role.PARTICIPANT
    extra = ("mina uppgifter",) if role is Role.PARTICIPANT and not in_channel else ()
    buttons = main_actions(role, without=("hjälp",))
    buttons += [submit(t(f"button.command.{name}"), "command", command=name) for name in extra]
    return card(body, buttons[:MAX_BUTTONS])


def _facts(commands: list[Command]) -> dict[str, Any]:
    return {
        "type": "FactSet",
        "facts": [{"title": _usage(command), "value": t(command.help_key)} for command in commands],
    }


def _usage(command: Command) -> str:
    if command.argument is None:
        return command.name
    return f"{command.name} <{t(command.argument)}>"
