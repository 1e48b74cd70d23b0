"""Which project a coordinator's command is about: the one the card names, the only one there is,
or a question with one button per project (the button repeats the command's verb)."""

from __future__ import annotations

from collections.abc import Sequence

from botbuilder.core import TurnContext

from bot.core.actions import int_value, send_card
from bot.core.i18n import t
from bot.core.turn import Turn
from bot.features.registration.cards import project_choice
from storage.models import Project


async def chosen_project(context: TurnContext, turn: Turn, projects: Sequence[Project], verb: str,
                         none_key: str = "register.no_projects") -> Project | None:
    """A card's project id must be one of ``projects``: the card is not trusted."""
    project_id = int_value(turn.value, "project_id")
    if project_id is not None:
        project = next((p for p in projects if p.id == project_id), None)
        if project is None:
            await context.send_activity(t("project.not_found"))
        return project
    if not projects:
        await context.send_activity(t(none_key))
        return None
    if len(projects) == 1:
        return projects[0]
    await send_card(context, project_choice([(p.id, p.name) for p in projects], verb))
    return None
