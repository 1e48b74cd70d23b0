"""`samordnare`: coordinators see who the coordinators are and add or remove colleagues."""

from __future__ import annotations

from botbuilder.core import TurnContext

from bot.core.actions import int_value, replace_card, send_card
from bot.core.cards import notice
from bot.core.commands import Role
from bot.core.i18n import t
from bot.core.markdown import literal
from bot.core.router import Router
from bot.core.turn import Turn
from bot.features.coordinators.cards import coordinators_card
from storage.coordinators import CoordinatorRepository

router = Router("coordinators")


class CoordinatorAdminActions:

    def __init__(self, coordinators: CoordinatorRepository, configured: frozenset[str]) -> None:
        self._coordinators = coordinators
        self._configured = configured

    @router.command("samordnare", "coordinators", role=Role.COORDINATOR, in_manifest=False, personal=True)
    async def show(self, context: TurnContext, turn: Turn) -> None:
        added = await self._coordinators.all()
        candidates = await self._coordinators.candidates()
        await send_card(context, coordinators_card(
            len(self._configured), [(c.id, c.name or c.aad_object_id) for c in added],
            [(p.id, p.name or p.teams_id) for p in candidates]))

    @router.verb("coordinator_add", role=Role.COORDINATOR)
    async def add(self, context: TurnContext, turn: Turn) -> None:
        person_id = int_value(turn.value, "person_id")
        added = await self._coordinators.add(person_id, turn.aad_object_id) if person_id else None
        if added is None:
            await context.send_activity(t("coordinators.add_failed"))
            return
        await replace_card(context, notice(t("coordinators.added", name=literal(added.name))))

    @router.verb("coordinator_remove", role=Role.COORDINATOR)
    async def remove(self, context: TurnContext, turn: Turn) -> None:
        coordinator_id = int_value(turn.value, "coordinator_id")
        removed = await self._coordinators.remove(coordinator_id) if coordinator_id else False
        await context.send_activity(t("coordinators.removed" if removed else "coordinators.remove_failed"))
