"""Projects run from Teams: `projekt`, `nytt projekt`, `kopiera projekt`, `ändra projekt`."""

from __future__ import annotations

from bot.features.projects.desk import ProjectDesk
from bot.features.projects.editor_actions import ProjectEditorActions
from bot.features.projects.editor_actions import router as editor_router
from bot.features.projects.list_actions import ProjectListActions
from bot.features.projects.list_actions import router as list_router
from bot.features.wiring import Wiring

ROUTERS = (list_router, editor_router)


def install(wiring: Wiring) -> None:
    desk = ProjectDesk(wiring.projects, wiring.registrations, wiring.settings.zone, wiring.clock,
                       wiring.after_registration_change)
    wiring.include(editor_router, ProjectEditorActions(desk, wiring.notices))
    wiring.include(list_router, ProjectListActions(desk))
