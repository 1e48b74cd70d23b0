"""Which project a coordinator's attendance, report or alumni command is about: the one named by
the card (it must be one of the candidates: the card is not trusted), the only candidate, or a card
asking which (its buttons carry the verb to come back to)."""

from __future__ import annotations

from collections.abc import Sequence

from botbuilder.core import TurnContext

from bot.actions import int_value, send_card
from bot.cards.registration import project_choice
from bot.i18n import t
from bot.turn import Turn
from storage.models import Project


async def pick_project(context: TurnContext, turn: Turn, candidates: Sequence[Project], verb: str,
                       none_key: str = "report.no_projects") -> Project | None:
    project_id = int_value(turn.value, "project_id")
    if project_id is not None:
        project = next((p for p in candidates if p.id == project_id), None)
        if project is None:
            await context.send_activity(t("project.not_found"))
        return project
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        await context.send_activity(t(none_key))
        return None
    await send_card(context, project_choice([(p.id, p.name) for p in candidates], verb))
    return None
