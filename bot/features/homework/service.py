"""Homework (hemuppgifter) use cases: a coordinator posts a task for a meeting, participants
answer (a second answer replaces the first), a reminder goes to those who have not answered, and
the coordinator gets a compilation before the meeting. Plain Python over repositories and a clock."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.clock import Clock
from bot.core.input_rules import FormInvalid, Problem, links_to_text
from bot.core.quiet_hours import QuietHours
from bot.features.homework.rules import (
    MeetingChoice,
    answers_open,
    compilation_time,
    nudge_time,
    parse_answer,
    parse_task,
)
from bot.features.reminders.planner import ask_then_nudge
from bot.outbox.addresses import person_address
from storage.homework import HomeworkRepository
from storage.models import Assignment, Meeting, Project, Submission
from storage.outbox import Outbox, PlannedDelivery
from storage.participants import Participant, ParticipantRepository
from storage.projects import ProjectRepository

TASK_KIND = "assignment"
NUDGE_KIND = "assignment_nudge"
COMPILATION_KIND = "assignment_compilation"


@dataclass(frozen=True)
class TaskCreated:
    assignment: Assignment
    created: bool
    people: int
    nudge_at: datetime | None
    compilation_at: datetime


@dataclass(frozen=True)
class Invalid:
    problems: list[Problem]


@dataclass(frozen=True)
class NotAsked:
    """The person is not among those the task went to."""


@dataclass(frozen=True)
class AnswersClosed:
    pass


@dataclass(frozen=True)
class AnswerSaved:
    first: bool


@dataclass(frozen=True)
class Task:
    """An assignment with its project and meeting, as cards show it."""

    assignment: Assignment
    project: Project
    meeting: Meeting | None


@dataclass(frozen=True)
class Answered:
    participant: Participant | None
    """None when the person is no longer registered (their answer still counts)."""
    submission: Submission


@dataclass(frozen=True)
class Compilation:
    task: Task
    answers: list[Answered]
    missing: list[Participant]


class HomeworkPlanner:
    def __init__(self, homework: HomeworkRepository, participants: ParticipantRepository, outbox: Outbox,
                 clock: Clock, zone: ZoneInfo, quiet: QuietHours) -> None:
        self._homework = homework
        self._participants = participants
        self._outbox = outbox
        self._clock = clock
        self._zone = zone
        self._quiet = quiet

    async def plan_all(self) -> int:
        """The task (and its reminder) for everyone asked by an open assignment; idempotent."""
        planned = 0
        for assignment in await self._homework.open_assignments(self._clock()):
            planned += await self.plan(assignment)
        return planned

    async def plan(self, assignment: Assignment) -> int:
        now = self._clock()
        asked = await audience(self._participants, assignment)
        planned = ask_then_nudge((TASK_KIND, NUDGE_KIND), f"assignment:{assignment.id}",
                                 {"assignment_id": assignment.id}, [p.person_id for p in asked], assignment.project_id,
                                 assignment.deadline, nudge_time(assignment.created_at, assignment.deadline), now,
                                 self._zone, self._quiet)
        return await self._outbox.plan(planned)

    async def plan_compilation(self, assignment: Assignment, coordinator_id: int, meeting: Meeting | None) -> datetime:
        """The compilation to the coordinator who posted the task, before the meeting."""
        due = compilation_time(assignment.deadline, meeting.starts_at if meeting else None)
        await self._outbox.plan([PlannedDelivery(
            COMPILATION_KIND, f"assignment:{assignment.id}", person_address(coordinator_id), due, assignment.project_id,
            {"assignment_id": assignment.id}, meeting.starts_at if meeting else None)])
        return due


async def audience(participants: ParticipantRepository, assignment: Assignment) -> list[Participant]:
    """Who a task goes to: those registered for its meeting (everyone registered without one)."""
    if assignment.meeting_id is not None:
        return await participants.for_meeting(assignment.meeting_id)
    return await participants.in_project(assignment.project_id)


class HomeworkService:
    def __init__(self, homework: HomeworkRepository, participants: ParticipantRepository,
                 projects: ProjectRepository, planner: HomeworkPlanner, clock: Clock, zone: ZoneInfo) -> None:
        self._homework = homework
        self._participants = participants
        self._projects = projects
        self._planner = planner
        self._clock = clock
        self._zone = zone

    def meetings_ahead(self, project: Project) -> list[Meeting]:
        now = self._clock()
        return [m for m in project.meetings if m.starts_at > now]

    async def create(self, project: Project, coordinator_id: int | None,
                     values: Mapping[str, Any]) -> TaskCreated | Invalid:
        """Post the task (once: a double click finds the first) with its reminder and compilation."""
        now = self._clock()
        choices = [MeetingChoice(m.id, m.starts_at) for m in project.meetings]
        try:
            form = parse_task(values, choices, self._zone, now)
        except FormInvalid as invalid:
            return Invalid(invalid.problems)
        assignment, created = await self._homework.create(project.id, form.meeting_id, form.title,
                                                          form.instructions, form.deadline, now)
        meeting = next((m for m in project.meetings if m.id == form.meeting_id), None)
        compilation_at = compilation_time(assignment.deadline, meeting.starts_at if meeting else None)
        if created:
            await self._planner.plan(assignment)
            if coordinator_id is not None:
                compilation_at = await self._planner.plan_compilation(assignment, coordinator_id, meeting)
        people = len(await audience(self._participants, assignment))
        return TaskCreated(assignment, created, people, nudge_time(assignment.created_at, assignment.deadline),
                           compilation_at)

    async def task(self, assignment_id: int) -> Task | None:
        assignment = await self._homework.by_id(assignment_id)
        project = await self._projects.by_id(assignment.project_id) if assignment else None
        if assignment is None or project is None:
            return None
        meeting = next((m for m in project.meetings if m.id == assignment.meeting_id), None)
        return Task(assignment, project, meeting)

    async def own_answer(self, task: Task, person_id: int) -> Submission | None | NotAsked:
        if person_id not in {p.person_id for p in await audience(self._participants, task.assignment)}:
            return NotAsked()
        return await self._homework.submission(task.assignment.id, person_id)

    async def answer(self, assignment_id: int, person_id: int,
                     values: Mapping[str, Any]) -> AnswerSaved | Invalid | NotAsked | AnswersClosed | None:
        task = await self.task(assignment_id)
        if task is None:
            return None
        if person_id not in {p.person_id for p in await audience(self._participants, task.assignment)}:
            return NotAsked()
        if not answers_open(task.assignment.deadline, task.meeting.starts_at if task.meeting else None,
                            self._clock()):
            return AnswersClosed()
        try:
            form = parse_answer(values)
        except FormInvalid as invalid:
            return Invalid(invalid.problems)
        first = await self._homework.answer(assignment_id, person_id, form.text, links_to_text(form.links),
                                            self._clock())
        return AnswerSaved(first)

    async def tasks(self, project: Project) -> list[tuple[Task, int, int]]:
        """The project's tasks with (answered, asked) counts, latest deadline first."""
        assignments = await self._homework.for_project(project.id)
        counts = await self._homework.answer_counts([a.id for a in assignments])
        meetings = {m.id: m for m in project.meetings}
        result = []
        for assignment in assignments:
            asked = len(await audience(self._participants, assignment))
            task = Task(assignment, project, meetings.get(assignment.meeting_id or 0))
            result.append((task, counts.get(assignment.id, 0), asked))
        return result

    async def compilation(self, assignment_id: int) -> Compilation | None:
        """Every answer with the person's name and municipality, and who has not answered."""
        task = await self.task(assignment_id)
        if task is None:
            return None
        registered = {p.person_id: p for p in await self._participants.in_project(task.project.id)}
        submissions = await self._homework.submissions(assignment_id)
        answered = {s.person_id for s in submissions}
        answers = [Answered(registered.get(s.person_id or 0), s) for s in submissions]
        answers.sort(key=lambda a: (a.participant.organisation_name, a.participant.name) if a.participant
                     else ("~", ""))
        missing = [p for p in await audience(self._participants, task.assignment) if p.person_id not in answered]
        return Compilation(task, answers, missing)
