"""Evaluation in Teams: `utvärdera` lists open evaluations; the questionnaire's submit stores one
answer per person (a double click or a later change replaces it) and turns the card into a
thank-you so it cannot be sent again by mistake."""

from __future__ import annotations

from botbuilder.core import TurnContext

from bot.core.actions import int_value, replace_card, send_card
from bot.core.i18n import t
from bot.core.router import Router
from bot.core.turn import Turn
from bot.features.evaluation.cards import evaluation_card, open_list_card, thanks_card
from bot.features.evaluation.rules import questions_from_json
from bot.features.evaluation.service import Closed, EvaluationService, NotInvited, Refused
from storage.evaluations import EvaluationRepository

router = Router("evaluation")


class EvaluationActions:
    def __init__(self, service: EvaluationService, evaluations: EvaluationRepository) -> None:
        self._service = service
        self._evaluations = evaluations

    @router.command("utvärdera", "utvardera", "utvärdering", "evaluate", place="personal", personal=True)
    async def list_open(self, context: TurnContext, turn: Turn) -> None:
        if turn.person_id is None:
            await send_card(context, open_list_card([]))
            return
        items = [(o.evaluation.id, o.project.name, o.meeting.number, o.answered, o.evaluation.closes_at)
                 for o in await self._service.open_for(turn.person_id)]
        await send_card(context, open_list_card(items))

    @router.verb("evaluation_open")
    async def open(self, context: TurnContext, turn: Turn) -> None:
        """The questionnaire, prefilled with the person's own earlier answer when there is one."""
        evaluation_id = int_value(turn.value, "evaluation_id")
        if evaluation_id is None or turn.person_id is None:
            await context.send_activity(t("card.unknown_action"))
            return
        if await self._evaluations.invite_state(evaluation_id, turn.person_id) is None:
            await context.send_activity(t("evaluation.not_invited"))
            return
        data = await self._service.card_data(evaluation_id, turn.person_id)
        if data is None or data[0].closed_at is not None:
            await context.send_activity(t("evaluation.closed"))
            return
        evaluation, meeting, project = data
        previous = await self._evaluations.own_answer(evaluation_id, turn.person_id)
        await send_card(context, evaluation_card(evaluation.id, project.name, meeting.number, meeting.title,
                                                 questions_from_json(evaluation.questions), evaluation.closes_at,
                                                 previous))

    @router.verb("evaluation_answer")
    async def answer(self, context: TurnContext, turn: Turn) -> None:
        evaluation_id = int_value(turn.value, "evaluation_id")
        if evaluation_id is None or turn.person_id is None:
            await context.send_activity(t("card.unknown_action"))
            return
        result = await self._service.submit(evaluation_id, turn.person_id, turn.value)
        if isinstance(result, NotInvited):
            await context.send_activity(t("evaluation.not_invited"))
        elif isinstance(result, Closed):
            await context.send_activity(t("evaluation.closed"))
        elif isinstance(result, Refused):
            lines = [t(p.key, question=p.question) for p in result.problems]
            await context.send_activity(t("evaluation.refused") + "\n\n" + "\n".join(f"- {line}" for line in lines))
        else:
            evaluation = result.evaluation or await self._evaluations.by_id(evaluation_id)
            assert evaluation is not None
            await replace_card(context, thanks_card(evaluation_id, evaluation.closes_at, result.first))
