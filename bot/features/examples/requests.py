"""Coordinators' requests for case examples as use cases: previewing who a request reaches,
confirming it, and planning the request and the nudge into the outbox. The planner is
idempotent (the outbox's unique key), so people who register later get the request too."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.clock import Clock
from bot.core.input_rules import FormInvalid, Problem
from bot.core.quiet_hours import QuietHours
from bot.features.examples.rules import (
    Member,
    RequestForm,
    nudge_time,
    parse_request,
    request_audience,
    split_keys,
)
from bot.features.reminders.planner import ask_then_nudge
from storage.examples import ExampleRepository
from storage.models import ExampleRequest, Project
from storage.outbox import Outbox
from storage.participants import Participant, ParticipantRepository

REQUEST_KIND = "example_request"
NUDGE_KIND = "example_nudge"


@dataclass(frozen=True)
class RequestPreview:
    form: RequestForm
    people: int
    municipalities: list[str]
    """Names of the municipalities asked."""


@dataclass(frozen=True)
class RequestSent:
    request: ExampleRequest
    created: bool
    people: int
    nudge_at: datetime | None


@dataclass(frozen=True)
class RequestInvalid:
    problems: list[Problem]


class ExamplePlanner:
    def __init__(self, examples: ExampleRepository, participants: ParticipantRepository, outbox: Outbox,
                 clock: Clock, zone: ZoneInfo, quiet: QuietHours) -> None:
        self._examples = examples
        self._participants = participants
        self._outbox = outbox
        self._clock = clock
        self._zone = zone
        self._quiet = quiet

    async def plan_all(self) -> int:
        """Requests (and nudges) for every request still open; returns how many rows were new."""
        planned = 0
        for request in await self._examples.open_requests(self._clock()):
            planned += await self.plan(request)
        return planned

    async def plan(self, request: ExampleRequest) -> int:
        now = self._clock()
        audience = request_audience(_members(await self._participants.in_project(request.project_id)),
                                    split_keys(request.organisation_keys))
        planned = ask_then_nudge((REQUEST_KIND, NUDGE_KIND), f"example_request:{request.id}",
                                 {"request_id": request.id}, [m.person_id for m in audience], request.project_id,
                                 request.deadline, nudge_time(request.created_at, request.deadline), now, self._zone,
                                 self._quiet)
        return await self._outbox.plan(planned)


class ExampleRequests:
    """`be om exempel`: the municipalities to choose from, the preview and the confirmation."""

    def __init__(self, examples: ExampleRepository, participants: ParticipantRepository, planner: ExamplePlanner,
                 clock: Clock, zone: ZoneInfo) -> None:
        self._examples = examples
        self._participants = participants
        self._planner = planner
        self._clock = clock
        self._zone = zone

    async def municipalities(self, project_id: int) -> list[tuple[str, str]]:
        """(key, name) of the municipalities with registered participants, for the request card."""
        found: dict[str, str] = {}
        for participant in await self._participants.in_project(project_id):
            if participant.organisation_kind == "municipality":
                found.setdefault(participant.organisation_key, participant.organisation_name)
        return list(found.items())

    async def preview(self, project: Project, values: Mapping[str, Any]) -> RequestPreview | RequestInvalid:
        participants = await self._participants.in_project(project.id)
        try:
            form = self._parse(values, participants)
        except FormInvalid as invalid:
            return RequestInvalid(invalid.problems)
        audience = {m.person_id for m in request_audience(_members(participants), form.organisation_keys)}
        names = sorted({p.organisation_name for p in participants if p.person_id in audience})
        return RequestPreview(form, len(audience), names)

    async def confirm(self, project: Project, values: Mapping[str, Any],
                      created_by: int | None) -> RequestSent | RequestInvalid:
        """Create the request (once) and put it in the outbox now, with its nudge."""
        participants = await self._participants.in_project(project.id)
        try:
            form = self._parse(values, participants)
        except FormInvalid as invalid:
            return RequestInvalid(invalid.problems)
        request, created = await self._examples.create_request(
            project.id, form.theme, form.deadline, form.organisation_keys, created_by, self._clock())
        if created:
            await self._planner.plan(request)
        people = len(request_audience(_members(participants), split_keys(request.organisation_keys)))
        return RequestSent(request, created, people, nudge_time(request.created_at, request.deadline))

    def _parse(self, values: Mapping[str, Any], participants: list[Participant]) -> RequestForm:
        allowed = {p.organisation_key for p in participants if p.organisation_kind == "municipality"}
        return parse_request(values, allowed, self._zone, self._clock())


def _members(participants: list[Participant]) -> list[Member]:
    return [Member(p.person_id, p.organisation_key, p.organisation_kind) for p in participants]
