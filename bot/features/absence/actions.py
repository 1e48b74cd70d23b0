"""Answers to a meeting reminder in Teams: "Jag kommer" / "Jag kan inte" replace the reminder card
with the answer (and the other choices), "Skicka en kollega" gives a one-time code for that meeting,
and a colleague's `ta över <kod>` (shared with the whole-place hand-over) takes the meeting."""

from __future__ import annotations

import logging

from botbuilder.core import MessageFactory, TurnContext

from bot.core.actions import card_activity, int_value, replace_card, send_card
from bot.core.cards import notice
from bot.core.i18n import t
from bot.core.router import Router
from bot.core.turn import Turn
from bot.features.absence.cards import away_card, code_card, coming_card, welcome_card
from bot.features.absence.service import (
    COMING,
    AbsenceService,
    AlreadyGoing,
    NotInvolved,
    Offered,
    OwnMeetingCode,
    SubstituteLeft,
    Taken,
)
from bot.teams.proactive import Messenger
from storage.projects import ProjectRepository

log = logging.getLogger(__name__)


router = Router("absence")


class AbsenceActions:
    """Anyone registered for a meeting, or sent to it in someone's place."""

    def __init__(self, service: AbsenceService, projects: ProjectRepository, messenger: Messenger,
                 public_url: str) -> None:
        self._service = service
        self._projects = projects
        self._messenger = messenger
        self._public_url = public_url.rstrip("/")

    @router.verb("rsvp")
    async def rsvp(self, context: TurnContext, turn: Turn) -> None:
        meeting_id = int_value(turn.value, "meeting_id")
        intent = turn.value.get("intent")
        if meeting_id is None or intent not in ("coming", "not_coming") or turn.person_id is None:
            await context.send_activity(t("card.unknown_action"))
            return
        result = await self._service.answer(turn.person_id, meeting_id, str(intent))
        if isinstance(result, NotInvolved):
            await context.send_activity(t("rsvp.not_registered", number=result.meeting.number) if result.meeting
                                        else t("card.unknown_action"))
        elif isinstance(result, SubstituteLeft):
            await replace_card(context, notice(t("substitute.left", number=result.meeting.number)))
            await self._tell(result.holder_person_id, t("substitute.left_holder", number=result.meeting.number))
        elif result.intent == COMING:
            await replace_card(context, coming_card(result.meeting))
        else:
            await replace_card(context, away_card(result.meeting, result.registration_id))

    @router.verb("substitute_offer")
    async def offer(self, context: TurnContext, turn: Turn) -> None:
        meeting_id = int_value(turn.value, "meeting_id")
        if meeting_id is None or turn.person_id is None:
            await context.send_activity(t("card.unknown_action"))
            return
        result = await self._service.offer_substitute(turn.person_id, meeting_id)
        if isinstance(result, Offered):
            await replace_card(context, code_card(result.meeting, result.code, result.expires_at))
        elif isinstance(result, Taken):
            await context.send_activity(t("absence.taken", number=result.meeting.number))
        elif isinstance(result, NotInvolved):
            await context.send_activity(t("rsvp.not_registered", number=result.meeting.number) if result.meeting
                                        else t("card.unknown_action"))
        else:
            await context.send_activity(t("absence.too_late", number=result.meeting.number))

    async def claim(self, context: TurnContext, turn: Turn) -> bool:
        """`ta över <kod>` with a meeting's code: the colleague is in for that meeting. False when the
        code is not a meeting's (the whole-place hand-over then tries it)."""
        if turn.person_id is None or not turn.argument:
            return False
        result = await self._service.claim(turn.argument, turn.person_id)
        if result is None:
            return False
        if isinstance(result, AlreadyGoing):
            await context.send_activity(t("substitute.already_going"))
            return True
        if isinstance(result, OwnMeetingCode):  # not a wrong guess: no attempt is counted
            await context.send_activity(t("substitute.own_code"))
            return True
        meeting, holder = result.meeting, result.holder
        project = await self._projects.by_id(meeting.project_id)
        name = project.name if project else ""
        url = f"{self._public_url}/calendar/{project.calendar_token}/traff-{meeting.number}.ics" if project else ""
        organisation = holder.organisation_other or holder.organisation.name
        welcome = welcome_card(name, meeting, holder.name, organisation, url)
        if turn.in_channel:
            # Whose place it is is personal: the details go 1:1, the chat gets a short answer.
            await context.send_activity(t("substitute.sent_privately", number=meeting.number, project=name))
            try:
                await self._messenger.send_to_person(turn.person_id, card_activity(welcome))
            except Exception:  # noqa: BLE001 - the meeting is taken; its reminder will reach them 1:1
                log.exception("could not send the welcome to person %s", turn.person_id)
        else:
            await send_card(context, welcome)
        await self._tell(holder.person_id, t("substitute.told_holder", name=turn.name, number=meeting.number))
        return True

    async def _tell(self, person_id: int, text: str) -> None:
        try:
            await self._messenger.send_to_person(person_id, MessageFactory.text(text))
        except Exception:  # noqa: BLE001 - the change is saved; a failed notice must not undo it
            log.exception("could not notify person %s", person_id)
