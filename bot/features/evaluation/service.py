"""Evaluation use cases: opening an evaluation when a meeting ends, asking and nudging through the
outbox, storing answers, and closing (which anonymises). Plain Python over repositories and a clock."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.core.clock import Clock
from bot.features.evaluation.rules import (
    DEFAULT_NUDGE_AFTER,
    AnswerInvalid,
    AnswerProblem,
    evaluation_window,
    parse_answer,
    questions_from_json,
    questions_to_json,
)
from bot.outbox.addresses import person_address
from storage.evaluations import EvaluationClosed, EvaluationRepository, StandingIn
from storage.models import Evaluation, Meeting, Project
from storage.outbox import Outbox, PlannedDelivery
from storage.projects import ProjectRepository
from storage.registrations import RegistrationRepository

RECENT = timedelta(days=14)
"""Meetings that ended longer ago than this get no evaluation planned (e.g. a project imported late)."""


class EvaluationPlanner:
    def __init__(self, projects: ProjectRepository, registrations: RegistrationRepository,
                 evaluations: EvaluationRepository, outbox: Outbox, clock: Clock, threshold: int = 3) -> None:
        self._projects = projects
        self._threshold = threshold
        self._registrations = registrations
        self._evaluations = evaluations
        self._outbox = outbox
        self._clock = clock

    async def plan_all(self) -> int:
        """Evaluations for meetings that have started; cards due when they end (+ delay), one
        nudge two days later. Closes what is due. Returns how many deliveries were new."""
        now = self._clock()
        await self._evaluations.close_due(now, self._threshold)
        planned = 0
        for project in await self._projects.all_projects():
            if project.state not in ("open", "running"):
                continue
            for meeting in project.meetings:
                if meeting.cancelled_at is None and meeting.starts_at <= now < meeting.ends_at + RECENT:
                    planned += await self._plan_meeting(project, meeting)
        return planned

    async def _plan_meeting(self, project: Project, meeting: Meeting) -> int:
        opens, closes = evaluation_window(meeting.ends_at, timedelta(minutes=project.evaluation_delay_minutes))
        questions = questions_to_json(questions_from_json(project.evaluation_questions))
        evaluation = await self._evaluations.ensure(meeting.id, questions, opens, closes)
        if evaluation.closed_at is not None:
            return 0
        # Everyone expected at the meeting: registered for it and not away, plus substitutes.
        # Checking in is not asked for (people forget to tap it).
        people = await self._registrations.expected_at_meeting(meeting.id)
        source = f"evaluation:{evaluation.id}"
        payload = {"evaluation_id": evaluation.id}
        nudge_at = evaluation.opens_at + DEFAULT_NUDGE_AFTER
        return await self._outbox.plan(
            [PlannedDelivery("evaluation", source, person_address(p), evaluation.opens_at, project.id, payload,
                             evaluation.closes_at) for p in people]
            + [PlannedDelivery("evaluation_nudge", source, person_address(p), nudge_at, project.id, payload,
                               evaluation.closes_at) for p in people]
        )


@dataclass(frozen=True)
class Saved:
    first: bool
    evaluation: Evaluation | None = None
    """The evaluation answered (its closing time goes on the thanks card)."""


@dataclass(frozen=True)
class Refused:
    problems: list[AnswerProblem]


@dataclass(frozen=True)
class Closed:
    pass


@dataclass(frozen=True)
class NotInvited:
    pass


class EvaluationService:
    def __init__(self, evaluations: EvaluationRepository, registrations: RegistrationRepository,
                 projects: ProjectRepository, clock: Clock) -> None:
        self._evaluations = evaluations
        self._registrations = registrations
        self._projects = projects
        self._clock = clock

    async def submit(self, evaluation_id: int, person_id: int,
                     values: Mapping[str, Any]) -> Saved | Refused | Closed | NotInvited:
        """The answer checked and saved, in one write (who is invited, and for which organisation, is read in
        it); a colleague standing in for someone needs a second, to find whose place it is."""
        evaluation = await self._evaluations.by_id(evaluation_id)
        if evaluation is None:
            return NotInvited()
        try:
            answer = parse_answer(values, questions_from_json(evaluation.questions))
        except AnswerInvalid as invalid:
            # Someone not invited is told that, not what is wrong with an answer they cannot give.
            if await self._evaluations.invite_state(evaluation_id, person_id) is None:
                return NotInvited()
            return Refused(invalid.problems)
        now = self._clock()
        try:
            try:
                first = await self._evaluations.answer(evaluation_id, person_id, answer, now)
            except StandingIn:
                organisation = await self._stood_in_for(evaluation, person_id)
                first = await self._evaluations.answer(evaluation_id, person_id, answer, now, organisation)
        except EvaluationClosed:
            return Closed()
        if first is None:
            return NotInvited()
        return Saved(first, evaluation)

    async def open_for(self, person_id: int) -> list[Any]:
        return await self._evaluations.open_for_person(person_id, self._clock())

    async def card_data(self, evaluation_id: int, person_id: int) -> tuple[Evaluation, Meeting, Project] | None:
        evaluation = await self._evaluations.by_id(evaluation_id)
        if evaluation is None:
            return None
        meeting = await self._projects.meeting(evaluation.meeting_id)
        project = await self._projects.by_id(meeting.project_id) if meeting else None
        return (evaluation, meeting, project) if meeting and project else None

    async def _stood_in_for(self, evaluation: Evaluation, person_id: int) -> str:
        """The organisation of the place a colleague stands in for ("" for someone with none)."""
        registration = await self._registrations.stood_in_for(evaluation.meeting_id, person_id)
        if registration is None:
            return ""
        return registration.organisation_other or registration.organisation.name


@dataclass(frozen=True)
class ProjectResults:
    """Results of the closed evaluations (shown), and how far the open ones have come."""

    results: list[Any]
    trend: Any
    summary: str
    questions: tuple[Any, ...]
    open_progress: list[tuple[int, int, int, datetime]]
    """(meeting number, answered, invited, closes at) for evaluations still open."""
    charts: dict[int, str]
    """meeting number -> chart token, for shown meetings."""


class EvaluationResults:
    """Results are computed from closed evaluations only: while answers can still arrive, comparing
    two views would reveal the latest answer, so open ones show progress, not figures."""

    def __init__(self, evaluations: EvaluationRepository, projects: ProjectRepository, clock: Clock,
                 threshold: int) -> None:
        self._evaluations = evaluations
        self._projects = projects
        self._clock = clock
        self._threshold = threshold

    async def for_project(self, project: Project) -> ProjectResults:
        from bot.features.results.rules import MeetingAnswers, summarise_project, swedish_summary

        questions = questions_from_json(project.evaluation_questions)
        closed: list[MeetingAnswers] = []
        progress: list[tuple[int, int, int, datetime]] = []
        charts: dict[int, str] = {}
        for evaluation, meeting in await self._evaluations.for_project(project.id):
            invited = await self._evaluations.invited_count(evaluation.id)
            answers = await self._evaluations.answers(evaluation.id)
            if evaluation.closed_at is None:
                progress.append((meeting.number, len(answers), invited, evaluation.closes_at))
                continue
            closed.append(_closed_answers(evaluation, meeting, invited, answers))
            charts[meeting.number] = evaluation.chart_token
        results, trend = summarise_project(closed, questions, self._threshold)
        summary = swedish_summary(results, questions) if results else ""
        return ProjectResults(results, trend, summary, questions, progress, charts)

    async def chart(self, token: str) -> bytes | None:
        from bot.features.results.chart import bar_chart_png
        from bot.features.results.rules import summarise_meeting

        evaluation = await self._evaluations.by_chart_token(token)
        if evaluation is None or evaluation.closed_at is None:
            return None
        meeting = await self._projects.meeting(evaluation.meeting_id)
        if meeting is None:
            return None
        questions = questions_from_json(evaluation.questions)
        answers = await self._evaluations.answers(evaluation.id)
        invited = await self._evaluations.invited_count(evaluation.id)
        result = summarise_meeting(_closed_answers(evaluation, meeting, invited, answers), questions, self._threshold)
        return bar_chart_png(result, questions) if result.shown else None


def _closed_answers(evaluation: Evaluation, meeting: Meeting, invited: int,
                    answers: list[tuple[dict[str, Any], str]]) -> Any:
    """A closed evaluation's answers with the breakdown frozen at closing (they carry no organisation)."""
    from bot.features.results.rules import AnswerData, MeetingAnswers, breakdown_from_json

    breakdown = breakdown_from_json(evaluation.breakdown) if evaluation.breakdown is not None else None
    return MeetingAnswers(meeting.number, meeting.title, invited,
                          [AnswerData(values, organisation) for values, organisation in answers], breakdown)
