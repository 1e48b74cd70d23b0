"""Triad rounds for a meeting: propose groups from the people coming, let the coordinator move
people and set the conversation question, confirm once, and queue each person's 1:1 announcement
in the outbox (reliable, idempotent, rate-limited). Plain Python over repositories and a clock;
the Teams edge is ``bot/features/triads/actions.py``.

```mermaid
stateDiagram-v2
    [*] --> proposed: bilda triader (groups formed)
    proposed --> proposed: move a person / edit the question
    proposed --> replaced: bilda triader again for the meeting
    proposed --> confirmed: Confirm (once; a second click changes nothing)
    confirmed --> [*]: one "triad" delivery per person in the outbox
```
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from bot.core.clock import Clock
from bot.core.i18n import t
from bot.core.input_rules import clean_text
from bot.features.triads.rules import MoveProblem, Participant, check_move, form_triads, quality
from bot.outbox.addresses import person_address
from storage.models import Meeting, Project
from storage.outbox import Outbox, PlannedDelivery
from storage.projects import ProjectRepository
from storage.triads import Member, RoundClosed, RoundView, TriadRepository

DELIVERY_KIND = "triad"
QUESTION_MAX = 500
MIN_PEOPLE = 2
"""A conversation needs two; with fewer coming there is nothing to form."""


@dataclass(frozen=True)
class Group:
    number: int
    members: list[Member]
    same_organisation: bool
    """Two or more from one organisation (shown as a warning)."""
    repeats: bool
    """Someone in it already met someone else in it in an earlier round of the project."""


@dataclass(frozen=True)
class Proposal:
    round_id: int
    project_name: str
    meeting: Meeting
    question: str
    confirmed: bool
    groups: list[Group]

    def member(self, person_id: int) -> Member | None:
        return next((m for g in self.groups for m in g.members if m.person_id == person_id), None)

    @property
    def people(self) -> int:
        return sum(len(g.members) for g in self.groups)


@dataclass(frozen=True)
class NoMeeting:
    project: Project


@dataclass(frozen=True)
class TooFew:
    meeting: Meeting
    count: int


class Refusal(Enum):
    GONE = "gone"
    """The proposal was replaced by a newer one (or never existed)."""
    CONFIRMED = "confirmed"
    QUESTION_TOO_LONG = "question_too_long"


@dataclass(frozen=True)
class Confirmed:
    proposal: Proposal
    newly: bool
    """False when an earlier click confirmed it: nothing new was queued."""
    announce_at: datetime


@dataclass(frozen=True)
class Announcement:
    project_name: str
    meeting: Meeting
    group: int
    others: list[Member]
    question: str


def default_question(meeting: Meeting) -> str:
    """The theme is named, not quoted (titles may hold quotation marks of their own), and the question
    speaks of the person's organisation: a triad mixes municipalities with the region and agencies."""
    return t("triads.default_question", theme=meeting.title.strip().rstrip(" .?!"))


class TriadService:
    def __init__(self, triads: TriadRepository, projects: ProjectRepository, outbox: Outbox, clock: Clock) -> None:
        self._triads = triads
        self._projects = projects
        self._outbox = outbox
        self._clock = clock

    async def projects(self) -> list[Project]:
        """Projects a round can be formed in: open or running, with a meeting still ahead."""
        return await self._projects.open_projects(self._clock())

    async def project(self, project_id: int) -> Project | None:
        return await self._projects.by_id(project_id)

    async def propose(self, project: Project) -> Proposal | NoMeeting | TooFew:
        """Groups for the project's next meeting (one in progress counts), avoiding earlier pairs."""
        meeting = await self._projects.next_meeting(project.id, self._clock())
        if meeting is None:
            return NoMeeting(project)
        candidates = await self._triads.candidates(meeting.id)
        if len(candidates) < MIN_PEOPLE:
            return TooFew(meeting, len(candidates))
        people = [Participant(c.person_id, c.organisation) for c in candidates]
        groups = form_triads(people, await self._triads.history(project.id), seed=meeting.id)
        round_id = await self._triads.propose(meeting.id, groups, default_question(meeting))
        proposal = await self.proposal(round_id)
        assert proposal is not None
        return proposal

    async def proposal(self, round_id: int) -> Proposal | None:
        view = await self._triads.get(round_id)
        if view is None:
            return None
        meeting = await self._projects.meeting(view.meeting_id)
        project = await self._projects.by_id(view.project_id)
        if meeting is None or project is None:
            return None
        return await self._proposal(view, meeting, project.name)

    async def move(self, round_id: int, person_id: int | None, group: int | None,
                   question: object = None) -> Proposal | Refusal | MoveProblem:
        """Move a person to another group of a proposal, keeping the question typed on the card."""
        checked = await self._question(round_id, question)
        if not isinstance(checked, str):
            return checked
        try:
            await self._triads.set_question(round_id, checked)
            problem = await self._triads.move(round_id, person_id or 0, group or 0, check_move)
        except RoundClosed:
            return await self._why_closed(round_id)
        if problem is not None:
            return problem
        proposal = await self.proposal(round_id)
        return proposal if proposal is not None else Refusal.GONE

    async def confirm(self, round_id: int, question: object = None) -> Confirmed | Refusal:
        """Confirm the groups with their question and queue one announcement per person. A second
        click confirms nothing new; planning again is harmless (one delivery per person and round)."""
        checked = await self._question(round_id, question)
        if not isinstance(checked, str):
            return checked
        newly = await self._triads.confirm(round_id, checked)
        proposal = await self.proposal(round_id)
        if proposal is None or not proposal.confirmed:
            return Refusal.GONE
        now = self._clock()
        await self._outbox.plan([
            PlannedDelivery(DELIVERY_KIND, f"triad_round:{round_id}", person_address(member.person_id), now,
                            project_id=proposal.meeting.project_id, payload={"round_id": round_id},
                            relevant_until=proposal.meeting.ends_at)
            for group in proposal.groups for member in group.members
        ])
        return Confirmed(proposal, newly, now)

    async def announcement(self, round_id: int, person_id: int) -> Announcement | None:
        """What one person is told: their group, the others' organisations, the question. None when
        the round is not confirmed (any more) or the person is not in it."""
        proposal = await self.proposal(round_id)
        me = proposal.member(person_id) if proposal is not None else None
        if proposal is None or me is None or not proposal.confirmed:
            return None
        group = next(g for g in proposal.groups if g.number == me.group)
        others = [m for m in group.members if m.person_id != person_id]
        question = proposal.question or default_question(proposal.meeting)
        return Announcement(proposal.project_name, proposal.meeting, me.group, others, question)

    async def _question(self, round_id: int, value: object) -> str | Refusal:
        """The question from the card, validated; the stored (or default) one when it is empty."""
        question = clean_text(value) if isinstance(value, str) else ""
        if len(question) > QUESTION_MAX:
            return Refusal.QUESTION_TOO_LONG
        if question:
            return question
        proposal = await self.proposal(round_id)
        if proposal is None:
            return Refusal.GONE
        return proposal.question or default_question(proposal.meeting)

    async def _why_closed(self, round_id: int) -> Refusal:
        view = await self._triads.get(round_id)
        return Refusal.CONFIRMED if view is not None and view.confirmed else Refusal.GONE

    async def _proposal(self, view: RoundView, meeting: Meeting, project_name: str) -> Proposal:
        history = await self._triads.history(view.project_id, exclude_round=view.id)
        organisations = {m.person_id: m.organisation for m in view.members}
        groups = []
        for number, members in view.groups().items():
            found = quality([[m.person_id for m in members]], organisations, history)
            groups.append(Group(number, members, found.same_organisation > 0, found.repeats > 0))
        return Proposal(view.id, project_name, meeting, view.question, view.confirmed, groups)
