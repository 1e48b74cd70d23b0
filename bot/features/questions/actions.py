"""Free text that is no command: "hej" and "tack" get a friendly answer with the main actions as
buttons; anything else in a personal chat is offered as a question to the coordinators, who get it
1:1 with the person's name and municipality and answer with *Svara*; the answer reaches the person
1:1. Nothing is stored (see ``bot.features.questions.rules``)."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from bot.core.actions import card_activity, int_value, replace_card, send_card
from bot.core.commands import Role
from bot.core.i18n import t
from bot.core.router import Router
from bot.core.turn import Turn
from bot.features.questions.cards import (
    answer_for_participant,
    answered,
    question_dropped,
    question_for_coordinators,
    question_offer,
    question_sent,
    small_talk_card,
)
from bot.features.questions.rules import answer_text, question_text, small_talk
from bot.features.registration.service import RegistrationService
from bot.teams.proactive import Messenger

log = logging.getLogger(__name__)

CoordinatorIds = Callable[[], Awaitable[frozenset[str]]]
_REMEMBERED = 1000
"""Cards already acted on (per process), so a double click sends one question and one answer."""


router = Router("questions")


class _Handled:
    def __init__(self) -> None:
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()

    def first_time(self, context: TurnContext) -> bool:
        """True the first time a given card (conversation, card id) is acted on."""
        reply_to = context.activity.reply_to_id
        if not reply_to:
            return True
        key = (context.activity.conversation.id, reply_to)
        if key in self._seen:
            return False
        self._seen[key] = None
        if len(self._seen) > _REMEMBERED:
            self._seen.popitem(last=False)
        return True

    def forget(self, context: TurnContext) -> None:
        """The action failed: pressing the card again must try again."""
        self._seen.pop((context.activity.conversation.id, context.activity.reply_to_id or ""), None)


class QuestionActions:
    """The participant's side: small talk, the offer and sending the question."""

    def __init__(self, service: RegistrationService, messenger: Messenger, coordinator_ids: CoordinatorIds) -> None:
        self._service = service
        self._messenger = messenger
        self._coordinator_ids = coordinator_ids
        self._handled = _Handled()

    @router.free_text
    async def answer_free_text(self, context: TurnContext, turn: Turn) -> bool:
        """Answer text that matched no command; False leaves it to the handler's "did not understand"."""
        kind = small_talk(turn.text)
        if kind is not None:
            await send_card(context, small_talk_card(kind, turn.name, turn.role, turn.in_channel))
            return True
        if turn.in_channel:  # a question in a shared conversation would be read by everyone in it
            return False
        try:
            question = question_text(turn.text)
        except ValueError:
            return False
        await send_card(context, question_offer(question))
        return True

    @router.verb("question_drop")
    async def drop(self, context: TurnContext, turn: Turn) -> None:
        await replace_card(context, question_dropped())

    @router.verb("question_send")
    async def send(self, context: TurnContext, turn: Turn) -> None:
        if turn.in_channel or turn.person_id is None:
            await context.send_activity(t("error.not_allowed"))
            return
        try:
            question = question_text(turn.value.get("question"))
        except ValueError:
            await replace_card(context, question_dropped())
            return
        if not self._handled.first_time(context):
            await context.send_activity(t("question.already_sent"))
            return
        name, organisation, projects = await self._asker(turn)
        card = question_for_coordinators(name, organisation, projects, question, turn.person_id)
        reached = 0
        for coordinator in await self._coordinators(turn.person_id):
            try:
                await self._messenger.send_to_person(coordinator, _with_summary(card, t("question.title")))
                reached += 1
            except Exception:  # noqa: BLE001 - one unreachable coordinator must not stop the others
                log.warning("could not pass a question to coordinator %s", coordinator, exc_info=True)
        await replace_card(context, question_sent(question, reached))

    async def _asker(self, turn: Turn) -> tuple[str, str, list[str]]:
        """Name and municipality as the person registered them (the latest), and their projects."""
        mine = await self._service.mine(turn.person_id) if turn.person_id is not None else []
        if not mine:
            return turn.name, "", []
        registration, _project = mine[-1]
        organisation = registration.organisation_other or registration.organisation.name
        return registration.name or turn.name, organisation, [project.name for _r, project in mine]

    async def _coordinators(self, asker: int) -> list[int]:
        people = await self._messenger.people.people_with_object_ids(await self._coordinator_ids())
        return [person.id for person in people if person.id != asker]


class QuestionAnswerActions:
    """The coordinator's side: *Svara* sends the answer to the person 1:1."""


    def __init__(self, messenger: Messenger) -> None:
        self._messenger = messenger
        self._handled = _Handled()

    @router.verb("question_answer", role=Role.COORDINATOR)
    async def answer(self, context: TurnContext, turn: Turn) -> None:
        person_id = int_value(turn.value, "person_id")
        asker = str(turn.value.get("asker") or "")[:200]
        question = str(turn.value.get("question") or "")[:2000]
        try:
            answer = answer_text(turn.value.get("answer"))
        except ValueError:
            await context.send_activity(t("question.answer_invalid"))
            return
        person = await self._messenger.people.person_by_id(person_id) if person_id is not None else None
        if person_id is None or person is None or person.erased_at is not None:
            await context.send_activity(t("question.unknown_person"))
            return
        if not self._handled.first_time(context):
            await context.send_activity(t("question.already_answered"))
            return
        card = answer_for_participant(turn.name, question, answer)
        try:
            await self._messenger.send_to_person(person_id, _with_summary(card, t("question.answer_title")))
        except Exception:  # noqa: BLE001 - the coordinator is told and can press again
            log.warning("could not deliver an answer to person %s", person_id, exc_info=True)
            self._handled.forget(context)
            await context.send_activity(t("question.answer_failed", name=asker))
            return
        await replace_card(context, answered(asker, question, answer))


def _with_summary(card: dict[str, Any], summary: str) -> Activity:
    """A card with the line Teams shows in the activity feed (instead of "Sent a card")."""
    activity = card_activity(card)
    activity.summary = summary
    return activity
