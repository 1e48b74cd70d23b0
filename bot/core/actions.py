"""What the features' actions share: sending and replacing cards, and reading ids from card data.
(An action parses what arrived, calls a use case and sends what it returns; bot/core/router.py
declares which command or card verb runs it.)"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.schema import Activity


def card_activity(card: dict[str, Any], text: str | None = None) -> Activity:
    activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
    if text:
        activity.text = text
    return activity


async def send_card(context: TurnContext, card: dict[str, Any]) -> None:
    await context.send_activity(card_activity(card))


async def replace_card(context: TurnContext, card: dict[str, Any]) -> None:
    """Update the card whose button was pressed (so it cannot be submitted again), or send the
    card as a new message when there is nothing to update."""
    reply_to = context.activity.reply_to_id
    if not reply_to:
        await send_card(context, card)
        return
    activity = card_activity(card)
    activity.id = reply_to
    await context.update_activity(activity)


def int_value(value: Mapping[str, Any], key: str) -> int | None:
    """An id from card data; None for anything that is not a plain positive integer."""
    raw = value.get(key)
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int) and raw > 0:
        return raw
    if isinstance(raw, str) and raw.isdigit() and len(raw) < 12:
        return int(raw)
    return None
