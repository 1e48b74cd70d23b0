"""Adaptive Card builders: pure functions returning card dicts (Adaptive Cards 1.5, as Teams renders)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

Card = dict[str, Any]
CARD_BUDGET = 24_000
"""Bytes of card JSON (UTF-8) a card that grows is kept within: the size guard's 28 KB for the
whole activity (bot/teams/outgoing.py) less room for the activity around the card."""
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"


def card(body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None) -> Card:
    result: Card = {
        "$schema": SCHEMA,
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": body,
        "msteams": {"width": "Full"},
    }
    if actions:
        result["actions"] = actions
    return result


def notice(text: str, actions: list[dict[str, Any]] | None = None, **style: Any) -> Card:
    """A one-paragraph card: what replaces a card once its button has done its work."""
    return card([paragraph(text, **style)], actions)


def heading(text: str) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "size": "Large", "weight": "Bolder", "wrap": True}


def paragraph(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def submit(title: str, verb: str, **data: Any) -> dict[str, Any]:
    """A submit button whose data carries its context: the verb and any ids it acts on."""
    return {"type": "Action.Submit", "title": title, "data": {"verb": verb, **data}}


def chooser(input_id: str, label: str, options: Sequence[tuple[int | str, str]], error: str) -> dict[str, Any]:
    """A required drop-down of ``(value, title)`` options: how a card offers a choice among many
    (Teams shows at most 6 buttons). It is submitted with the card's one button as ``input_id``."""
    return {
        "type": "Input.ChoiceSet",
        "id": input_id,
        "label": label,
        "style": "compact",
        "isRequired": True,
        "errorMessage": error,
        "choices": [{"title": title, "value": str(value)} for value, title in options],
    }


def card_bytes(built: Card) -> int:
    return len(json.dumps(built, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def largest_that_fits(build: Callable[[int], Card], most: int, budget: int = CARD_BUDGET) -> Card:
    """``build(n)`` for the largest ``n`` from ``most`` down to 0 whose card stays within ``budget``
    (``build`` shows more as ``n`` grows, and says what it left out)."""
    built = build(most)
    if card_bytes(built) <= budget:
        return built
    low, high = 0, most - 1
    while low < high:
        middle = (low + high + 1) // 2
        if card_bytes(build(middle)) <= budget:
            low = middle
        else:
            high = middle - 1
    return build(low)
