"""Triads in Teams (coordinators only): `bilda triader` proposes groups for the next meeting, the
card moves people and confirms."""

from __future__ import annotations

from collections.abc import Callable

from botbuilder.core import TurnContext

from bot.core.actions import int_value, replace_card, send_card
from bot.core.commands import Role
from bot.core.i18n import t
from bot.core.markdown import literal
from bot.core.router import Router
from bot.core.turn import Turn
from bot.features.projects.choice import chosen_project
from bot.features.triads.cards import confirmed_card, proposal_card
from bot.features.triads.rules import MoveProblem
from bot.features.triads.service import QUESTION_MAX, Confirmed, NoMeeting, Proposal, Refusal, TooFew, TriadService
from bot.outbox.scheduler import Scheduler
from storage.models import Project

router = Router("triads")


class TriadActions:

    def __init__(self, service: TriadService, scheduler: Callable[[], Scheduler | None]) -> None:
        self._service = service
        self._scheduler = scheduler

    @router.command("bilda triader", "bilda triad", "form triads", role=Role.COORDINATOR, in_manifest=False,
                    personal=True)
    @router.verb("triads_start", role=Role.COORDINATOR)
    async def start(self, context: TurnContext, turn: Turn) -> None:
        """`bilda triader`: the proposal for the project's next meeting (after a project choice)."""
        project = await self._project(context, turn)
        if project is None:
            return
        result = await self._service.propose(project)
        if isinstance(result, NoMeeting):
            await context.send_activity(t("triads.no_meeting", project=project.name))
        elif isinstance(result, TooFew):
            key = "triads.too_few" if result.count else "triads.nobody"
            await context.send_activity(t(key, number=result.meeting.number))
        else:
            await send_card(context, proposal_card(result))

    @router.verb("triads_move", role=Role.COORDINATOR)
    async def move(self, context: TurnContext, turn: Turn) -> None:
        round_id = int_value(turn.value, "round_id")
        if round_id is None:
            await context.send_activity(t("card.unknown_action"))
            return
        person_id, group = int_value(turn.value, "person"), int_value(turn.value, "group")
        result = await self._service.move(round_id, person_id, group, turn.value.get("question"))
        if not isinstance(result, Proposal):
            await context.send_activity(_refusal_text(result))
            return
        moved = result.member(person_id or 0)
        notice = t("triads.moved", name=literal(moved.name), group=moved.group) if moved else None
        await replace_card(context, proposal_card(result, notice))

    @router.verb("triads_confirm", role=Role.COORDINATOR)
    async def confirm(self, context: TurnContext, turn: Turn) -> None:
        round_id = int_value(turn.value, "round_id")
        if round_id is None:
            await context.send_activity(t("card.unknown_action"))
            return
        result = await self._service.confirm(round_id, turn.value.get("question"))
        if not isinstance(result, Confirmed):
            await context.send_activity(_refusal_text(result))
            return
        if not result.newly:
            await context.send_activity(t("triads.already_confirmed"))
            return
        await replace_card(context, confirmed_card(result.proposal))
        scheduler = self._scheduler()
        if scheduler is not None:
            scheduler.wake_at(result.announce_at)

    async def _project(self, context: TurnContext, turn: Turn) -> Project | None:
        return await chosen_project(context, turn, await self._service.projects(), "triads_start", "triads.no_projects")



def _refusal_text(problem: Refusal | MoveProblem) -> str:
    if isinstance(problem, MoveProblem):
        return t(f"triads.move.{problem.value}")
    return t(f"triads.refused.{problem.value}", limit=QUESTION_MAX)
