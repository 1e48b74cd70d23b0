"""The coordinators card (`samordnare`): who was added in chat, with a remove button each, and a choice of
people to add."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.cards import Card, card, heading, paragraph, submit
from bot.core.i18n import t
from bot.core.markdown import literal

MAX_ACTIONS = 6
"""Teams shows at most six buttons on a card."""


def coordinators_card(configured: int, added: Sequence[tuple[int, str]], candidates: Sequence[tuple[int, str]]) -> Card:
    """``added``: (coordinator id, name) of those added in chat; ``candidates``: (person id, name) of people
    who could be added; ``configured``: how many are set in COORDINATOR_IDS (not removable here)."""
    body = [heading(t("coordinators.title")), paragraph(t("coordinators.configured", count=configured), isSubtle=True)]
    actions = []
    for coordinator_id, name in added:
        body.append(paragraph(literal(name)))
        actions.append(submit(t("coordinators.remove", name=name), "coordinator_remove", coordinator_id=coordinator_id))
    if candidates:
        body.append({"type": "Input.ChoiceSet", "id": "person_id", "label": t("coordinators.add_label"),
                     "choices": [{"title": name, "value": str(person_id)} for person_id, name in candidates]})
        actions.insert(0, submit(t("coordinators.add"), "coordinator_add"))
    return card(body, actions[:MAX_ACTIONS])
