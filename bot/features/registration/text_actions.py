"""Registration by text, for Teams clients without Adaptive Cards: `anmäl via text` starts
``TextRegistrationDialog``, and the handler hands later messages to it through ``continue_active``
before it matches commands."""

from __future__ import annotations

from collections.abc import Callable

from botbuilder.core import StatePropertyAccessor, TurnContext
from botbuilder.dialogs import DialogSet, DialogTurnStatus

from bot.core.i18n import t
from bot.core.router import Router
from bot.core.turn import Turn
from bot.features.registration.service import RegistrationService
from dialogs.registration_dialog import TextRegistrationDialog, TextRegistrationStart
from storage.models import Project, Registration
from storage.registrations import RegistrationResult

router = Router("registration.text")


class TextRegistrationActions:
    def __init__(
        self,
        service: RegistrationService,
        dialog_state: StatePropertyAccessor,
        calendar_url: Callable[[Project, Registration], str],
        after_change: Callable[[], None] = lambda: None,
    ) -> None:
        """``dialog_state`` is a ConversationState property; the handler saves that state every turn.
        ``after_change`` runs after a registration was stored (as in the card flow: re-plan reminders)."""
        self._dialog_state = dialog_state
        self._dialogs = DialogSet(dialog_state)
        self._after_change = after_change
        self._dialogs.add(TextRegistrationDialog(service, calendar_url))

    @router.command("anmäl via text", "anmal via text", "register by text", in_manifest=False, place="personal")
    async def start(self, context: TurnContext, turn: Turn) -> None:
        """`anmäl via text`: the questions one at a time, in the personal chat only (conversation
        state is per conversation, so in a channel everyone would be answering the same dialog)."""
        if turn.in_channel:
            await context.send_activity(t("textreg.personal_only"))
            return
        if turn.person_id is None:
            await context.send_activity(t("error.technical"))
            return
        dialog_context = await self._dialogs.create_context(context)
        # A dialog left half-way is replaced, not continued (the handler only gets here without one).
        await dialog_context.cancel_all_dialogs()
        start = TextRegistrationStart(turn.person_id, turn.name)
        await dialog_context.begin_dialog(TextRegistrationDialog.__name__, start)

    @router.dialog_cancel
    async def cancel_active(self, context: TurnContext) -> None:
        """A command typed in the middle of the questions wins: the questions are dropped."""
        if not await self._has_active(context):
            return
        dialog_context = await self._dialogs.create_context(context)
        if dialog_context.active_dialog is not None:
            await dialog_context.cancel_all_dialogs()

    async def _has_active(self, context: TurnContext) -> bool:
        """Whether a dialog waits in this conversation, read without building a DialogContext (and
        without adding an empty dialog state that would then be written back)."""
        state = await self._dialog_state.get(context)
        return bool(getattr(state, "dialog_stack", None))

    @router.dialog_step
    async def continue_active(self, context: TurnContext, turn: Turn) -> bool:
        """Give a text message to the registration dialog waiting for an answer in this chat;
        True when there was one (the message is its answer, not a command)."""
        if turn.in_channel or not await self._has_active(context):
            return False
        dialog_context = await self._dialogs.create_context(context)
        if dialog_context.active_dialog is None:
            return False
        result = await dialog_context.continue_dialog()
        if result.status == DialogTurnStatus.Complete and isinstance(result.result, RegistrationResult):
            self._after_change()
        return True
