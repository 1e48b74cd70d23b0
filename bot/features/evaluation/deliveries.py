"""How the outbox renders the evaluation questionnaire 1:1 and its nudge. The invite is recorded
when the card goes out; the nudge goes only to invited people who have not answered while the
evaluation is open. Both keep to one message a day about the meeting."""

from __future__ import annotations

from botbuilder.schema import Activity

from bot.core.actions import card_activity
from bot.features.evaluation.cards import evaluation_card
from bot.features.evaluation.rules import questions_from_json
from bot.features.reminders.daily import LocalDay
from bot.features.reminders.one_a_day import OneADay
from bot.outbox.addresses import person_of
from bot.outbox.dispatcher import NotRelevant
from bot.outbox.renderers import Batch, Renderer, payload
from storage.evaluations import EvaluationRepository
from storage.models import Delivery
from storage.outbox import Outbox
from storage.projects import ProjectRepository
from storage.registrations import RegistrationRepository

INVITE, NUDGE = "evaluation", "evaluation_nudge"


class EvaluationDeliveries:
    def __init__(self, evaluations: EvaluationRepository, projects: ProjectRepository,
                 registrations: RegistrationRepository, outbox: Outbox, day: LocalDay) -> None:
        self._evaluations = evaluations
        self._projects = projects
        self._registrations = registrations
        self._one_a_day = OneADay(outbox, day)

    def renderers(self) -> dict[str, Renderer]:
        return {INVITE: self.questionnaire, NUDGE: self.questionnaire}

    async def questionnaire(self, delivery: Delivery, batch: Batch) -> Activity:
        evaluation = await self._evaluations.by_id(int(payload(delivery)["evaluation_id"]))
        if evaluation is None or evaluation.closed_at is not None:
            raise NotRelevant("the evaluation is closed")
        meeting = await self._projects.meeting(evaluation.meeting_id)
        project = await self._projects.by_id(meeting.project_id) if meeting else None
        if meeting is None or project is None:
            raise NotRelevant("the meeting no longer exists")
        person_id = person_of(delivery.recipient)
        if person_id is None:
            raise NotRelevant("an evaluation goes to a person, not to a conversation")
        if delivery.kind == INVITE:
            if person_id not in await self._registrations.expected_at_meeting(meeting.id, [person_id]):
                raise NotRelevant("not expected at the meeting (cannot come, or no longer registered)")
            await self._one_a_day.check(delivery, person_id, meeting.id, batch, evaluation.id)
            await self._evaluations.invite(evaluation.id, person_id)
        elif await self._evaluations.invite_state(evaluation.id, person_id) is not False:
            raise NotRelevant("answered already, or never asked")
        else:
            await self._one_a_day.check(delivery, person_id, meeting.id, batch, evaluation.id)
        card = evaluation_card(evaluation.id, project.name, meeting.number, meeting.title,
                               questions_from_json(evaluation.questions), evaluation.closes_at,
                               nudge=delivery.kind == NUDGE)
        return card_activity(card)
