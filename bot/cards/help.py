"""The help card, generated from the command table."""

from __future__ import annotations

from typing import Any

from bot.cards import Card, card, heading, paragraph
from bot.commands import Command, Role
from bot.i18n import t


def help_card(commands: tuple[Command, ...], in_channel: bool) -> Card:
    participant = [c for c in commands if c.role is Role.PARTICIPANT]
    coordinator = [c for c in commands if c.role is Role.COORDINATOR]
    body: list[dict[str, Any]] = [heading(t("help.title")), _facts(participant)]
    if coordinator:
        body += [paragraph(t("help.coordinator_title"), weight="Bolder", spacing="Large"), _facts(coordinator)]
    if in_channel:
        body.append(paragraph(t("help.channel_hint"), isSubtle=True))
    return card(body)


def _facts(commands: list[Command]) -> dict[str, Any]:
    return {
        "type": "FactSet",
        "facts": [{"title": _usage(command), "value": t(command.help_key)} for command in commands],
    }


def _usage(command: Command) -> str:
    if command.argument is None:
        return command.name
    return f"{command.name} <{t(command.argument)}>"
