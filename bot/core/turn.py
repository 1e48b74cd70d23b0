"""What the handler knows about one incoming message once it has parsed it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.core.commands import Role


@dataclass(frozen=True)
class Turn:
    text: str
    """The message text with the bot mention removed."""
    argument: str
    """The text after the command word ("" when the command takes none)."""
    role: Role
    in_channel: bool
    """True in a team channel or group chat (where the bot must be @mentioned)."""
    teams_id: str
    aad_object_id: str | None
    name: str
    person_id: int | None = None
    value: dict[str, Any] = field(default_factory=dict)
    """The data of the card button that was pressed (with the card's inputs)."""
