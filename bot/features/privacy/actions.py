"""`mina uppgifter` in Teams: the person's own data (card and file) and erasure at their request.
Only in the personal chat: the card and its download link must not be shown in a channel."""

from __future__ import annotations

from botbuilder.core import TurnContext

from bot.core.actions import replace_card, send_card
from bot.core.i18n import t
from bot.core.router import Router
from bot.core.turn import Turn
from bot.features.privacy.cards import erase_confirmation, notice, privacy_card
from bot.features.privacy.service import PrivacyService

router = Router("privacy")


class PrivacyActions:
    def __init__(self, service: PrivacyService, retention_days: int) -> None:
        self._service = service
        self._retention_days = retention_days

    @router.command("mina uppgifter", "mina data", "my data", place="personal", personal=True)
    @router.verb("privacy_show")
    async def show(self, context: TurnContext, turn: Turn) -> None:
        if not await self._in_private(context, turn):
            return
        copy = await self._service.own_copy(turn.person_id) if turn.person_id is not None else None
        if copy is None:
            await context.send_activity(t("privacy.nothing"))
            return
        await send_card(context, privacy_card(copy.data, copy.url, self._retention_days))

    @router.verb("privacy_erase_ask")
    async def ask_erase(self, context: TurnContext, turn: Turn) -> None:
        if await self._in_private(context, turn):
            await send_card(context, erase_confirmation())

    @router.verb("privacy_erase_confirm")
    async def erase(self, context: TurnContext, turn: Turn) -> None:
        if not await self._in_private(context, turn):
            return
        if turn.person_id is not None:
            await self._service.erase(turn.person_id)
        # The confirmation is replaced, so it cannot be pressed again by mistake.
        await replace_card(context, notice(t("privacy.erased")))

    @router.verb("privacy_erase_cancel")
    async def keep(self, context: TurnContext, turn: Turn) -> None:
        await replace_card(context, notice(t("privacy.not_erased")))

    async def _in_private(self, context: TurnContext, turn: Turn) -> bool:
        if turn.in_channel:
            await context.send_activity(t("privacy.personal_only"))
            return False
        return True
