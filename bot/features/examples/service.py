"""Case-example use cases: a participant sends (or corrects) an example, a coordinator reviews it
and posts approved ones to the project channel, and anyone browses and searches what they may
see. Plain Python over repositories and a clock; the Teams edge renders the results."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.clock import Clock
from bot.core.input_rules import FormInvalid, Problem, card_id, links_from_text
from bot.core.quiet_hours import QuietHours
from bot.features.examples.rules import (
    EDITABLE,
    Decision,
    ExampleStatus,
    Member,
    Searchable,
    Viewer,
    may_see,
    parse_decision,
    parse_example,
    rank,
    request_covers,
    review_status,
    search_terms,
    split_keys,
)
from bot.features.reminders.rules import next_allowed
from bot.outbox.addresses import channel_address, person_address
from storage.examples import ExampleEntry, ExampleRepository, NotEditable, Saved
from storage.models import CaseExample, ExampleRequest, Project
from storage.outbox import Outbox, PlannedDelivery
from storage.participants import Participant, ParticipantRepository
from storage.projects import ProjectRepository

FEEDBACK_KIND = "example_feedback"
POST_KIND = "example_post"
MAX_RESULTS = 8


@dataclass(frozen=True)
class Prefill:
    title: str = ""
    theme: str = ""
    organisation: str = ""
    challenge: str = ""
    actions: str = ""
    result: str = ""
    lessons: str = ""
    contact: str = ""
    links: str = ""
    sharing: str = "project"


@dataclass(frozen=True)
class ExampleFormView:
    """Everything the example card needs."""

    project: Project
    organisations: list[tuple[str, str]]
    request: ExampleRequest | None
    prefill: Prefill
    example_id: int | None = None


@dataclass(frozen=True)
class ChooseProject:
    projects: list[tuple[int, str]]


@dataclass(frozen=True)
class NotParticipant:
    pass


@dataclass(frozen=True)
class Locked:
    """The example was approved or rejected meanwhile: it can no longer be changed."""


@dataclass(frozen=True)
class Invalid:
    problems: list[Problem]


@dataclass(frozen=True)
class Reviewed:
    entry: ExampleEntry
    decision: Decision
    feedback_at: datetime | None
    """When the sender is told (None when the sender is gone)."""
    channel_linked: bool


@dataclass(frozen=True)
class AlreadyReviewed:
    entry: ExampleEntry


@dataclass(frozen=True)
class Posted:
    entry: ExampleEntry
    due: datetime


@dataclass(frozen=True)
class NotPostable:
    """Not approved, already posted (``posted_at`` says when), or the project has no channel."""

    reason: str
    posted_at: datetime | None = None


class ExampleService:
    def __init__(self, examples: ExampleRepository, participants: ParticipantRepository,
                 projects: ProjectRepository, outbox: Outbox, clock: Clock, zone: ZoneInfo,
                 quiet: QuietHours) -> None:
        self._examples = examples
        self._participants = participants
        self._projects = projects
        self._outbox = outbox
        self._clock = clock
        self._zone = zone
        self._quiet = quiet

    # --- sending ---------------------------------------------------------------------------

    async def new_form(self, person_id: int, project_id: int | None,
                       request_id: int | None) -> ExampleFormView | ChooseProject | NotParticipant:
        """The empty card, prefilled from the person's registration and linked to the request
        that asks their municipality (the one given, or the newest open one)."""
        request = await self._examples.request(request_id) if request_id else None
        if request is not None:
            project_id = request.project_id
        mine = await self._participants.of_person(person_id)
        if project_id is None and len(mine) > 1:
            names = {p.id: p.name for p in await self._projects.all_projects()}
            return ChooseProject([(p.project_id, names.get(p.project_id, "")) for p in mine])
        participant = next((p for p in mine if project_id in (None, p.project_id)), None)
        project = await self._projects.by_id(participant.project_id) if participant else None
        if participant is None or project is None:
            return NotParticipant()
        request = request or await self._open_request_for(participant)
        prefill = Prefill(theme=request.theme if request else "", organisation=participant.organisation_key,
                          contact=_contact(participant))
        return ExampleFormView(project, await self._organisations(), request, prefill)

    async def edit_form(self, person_id: int, example_id: int) -> ExampleFormView | Locked | None:
        """The sender's own example in the card again (after a coordinator asked for changes)."""
        entry = await self._examples.entry(example_id)
        if entry is None or entry.example.person_id != person_id:
            return None
        example = entry.example
        project = await self._projects.by_id(example.project_id)
        if project is None:
            return None
        if example.status not in EDITABLE:
            return Locked()
        request = await self._examples.request(example.request_id) if example.request_id else None
        return ExampleFormView(project, await self._organisations(), request,
                               _prefill(example, entry.organisation_key), example.id)

    async def submit(self, person_id: int, values: Mapping[str, Any]) -> Saved | Invalid | NotParticipant | Locked:
        """Store the example for review; it answers the request the card came from, or else the
        open request that asks the sender's municipality (so that municipality is not nudged)."""
        project_id = card_id(values, "project_id")
        participant = await self._participants.find(project_id, person_id) if project_id else None
        if participant is None:
            return NotParticipant()
        try:
            form = parse_example(values, [key for key, _ in await self._organisations()])
        except FormInvalid as invalid:
            return Invalid(invalid.problems)
        request_id = card_id(values, "request_id")
        request = await self._examples.request(request_id) if request_id else None
        if request is None or request.project_id != participant.project_id:
            request = await self._open_request_for(participant)
        try:
            return await self._examples.save(participant.project_id, person_id, request.id if request else None,
                                             form, card_id(values, "example_id"), self._clock())
        except NotEditable:
            return Locked()

    # --- reviewing and posting ---------------------------------------------------------------

    async def awaiting_review(self, limit: int = 5) -> tuple[list[ExampleEntry], int]:
        return await self._examples.awaiting_review(limit)

    async def review(self, example_id: int, values: Mapping[str, Any]) -> Reviewed | AlreadyReviewed | Invalid | None:
        """Approve, ask for changes (with a note) or reject, once; the sender is told 1:1."""
        try:
            decision, note = parse_decision(values.get("decision"), values.get("note"))
        except FormInvalid as invalid:
            return Invalid(invalid.problems)
        entry = await self._examples.entry(example_id)
        if entry is None:
            return None
        status = review_status(entry.example.status, decision)
        now = self._clock()
        if status is None or not await self._examples.review(example_id, status, note, now):
            return AlreadyReviewed(entry)
        reviewed = await self._examples.entry(example_id)
        assert reviewed is not None
        feedback_at = await self._plan_feedback(reviewed.example, status, now)
        project = await self._projects.by_id(reviewed.example.project_id)
        return Reviewed(reviewed, decision, feedback_at, bool(project and project.channel_conversation_id))

    async def _plan_feedback(self, example: CaseExample, status: ExampleStatus, now: datetime) -> datetime | None:
        if example.person_id is None:
            return None
        due = next_allowed(now, self._zone, self._quiet)
        # One row per review: a corrected example reviewed again is a new message.
        source = f"case_example:{example.id}:{status}:{now:%Y%m%dT%H%M%S%f}"
        await self._outbox.plan([PlannedDelivery(FEEDBACK_KIND, source, person_address(example.person_id), due,
                                                 example.project_id, {"example_id": example.id, "status": status})])
        return due

    async def post(self, example_id: int) -> Posted | NotPostable | None:
        """Post an approved example to its project's channel, once (a second click posts nothing)."""
        entry = await self._examples.entry(example_id)
        if entry is None:
            return None
        project = await self._projects.by_id(entry.example.project_id)
        if entry.example.status != ExampleStatus.APPROVED:
            return NotPostable("not_approved")
        if entry.example.posted_at is not None:
            return NotPostable("posted", entry.example.posted_at)
        if project is None or not project.channel_conversation_id:
            return NotPostable("no_channel")
        now = self._clock()
        if not await self._examples.mark_posted(example_id, now):
            return NotPostable("posted", now)
        due = next_allowed(now, self._zone, self._quiet)
        await self._outbox.plan([PlannedDelivery(POST_KIND, f"case_example:{example_id}",
                                                 channel_address(project.channel_conversation_id), due, project.id,
                                                 {"example_id": example_id})])
        return Posted(entry, due)

    # --- browsing ------------------------------------------------------------------------

    async def viewer(self, person_id: int | None, coordinator: bool) -> Viewer:
        mine = await self._participants.of_person(person_id) if person_id is not None else []
        return Viewer(frozenset(p.project_id for p in mine), coordinator)

    async def search(self, viewer: Viewer, query: str) -> tuple[list[ExampleEntry], int]:
        """The best matches the viewer may see (at most MAX_RESULTS) and how many matched."""
        visible = [e for e in await self._examples.approved() if _visible(viewer, e)]
        order = rank([(_searchable(e), e.example.updated_at) for e in visible], search_terms(query))
        return [visible[i] for i in order[:MAX_RESULTS]], len(order)

    async def visible(self, viewer: Viewer, example_id: int) -> ExampleEntry | None:
        entry = await self._examples.entry(example_id)
        return entry if entry is not None and _visible(viewer, entry) else None

    async def _open_request_for(self, participant: Participant) -> ExampleRequest | None:
        member = Member(participant.person_id, participant.organisation_key, participant.organisation_kind)
        for request in await self._examples.open_requests(self._clock(), participant.project_id):
            if request_covers(split_keys(request.organisation_keys), member):
                return request
        return None

    async def _organisations(self) -> list[tuple[str, str]]:
        return [(o.key, o.name) for o in await self._projects.organisations()]


def _visible(viewer: Viewer, entry: ExampleEntry) -> bool:
    return may_see(viewer, entry.example.status, entry.example.sharing, entry.example.project_id)


def _searchable(entry: ExampleEntry) -> Searchable:
    example = entry.example
    body = "\n".join((example.challenge, example.actions, example.result, example.lessons))
    return Searchable(example.theme, example.title, entry.organisation_name, body)


def _contact(participant: Participant) -> str:
    return ", ".join(part for part in (participant.name, participant.email) if part)


def _prefill(example: CaseExample, organisation_key: str) -> Prefill:
    return Prefill(example.title, example.theme, organisation_key, example.challenge, example.actions,
                   example.result, example.lessons, example.contact,
                   "\n".join(links_from_text(example.links)), example.sharing)
