"""Adaptive Card builders: pure functions returning card dicts (Adaptive Cards 1.5, as Teams renders)."""

from __future__ import annotations

from typing import Any

Card = dict[str, Any]
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


def heading(text: str) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "size": "Large", "weight": "Bolder", "wrap": True}


def paragraph(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def submit(title: str, verb: str, **data: Any) -> dict[str, Any]:
    """A submit button whose data carries its context: the verb and any ids it acts on."""
    return {"type": "Action.Submit", "title": title, "data": {"verb": verb, **data}}
