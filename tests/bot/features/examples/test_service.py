"""Case-example use cases over real repositories (SQLite and PostgreSQL) and an injected clock:
requests and nudges into the outbox, the nudge skipped once the municipality has sent one, review
with feedback to the sender, the channel post, and who finds what in a search."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.quiet_hours import QuietHours
from bot.features.examples.deliveries import ExampleDeliveries
from bot.features.examples.requests import ExamplePlanner, ExampleRequests, RequestInvalid, RequestPreview, RequestSent
from bot.features.examples.rules import Decision, Viewer
from bot.features.examples.service import (
    AlreadyReviewed,
    ChooseProject,
    ExampleFormView,
    ExampleService,
    Invalid,
    Locked,
    NotParticipant,
    NotPostable,
    Posted,
    Reviewed,
)
from bot.features.registration.rules import RegistrationForm
from bot.outbox.addresses import channel_address
from bot.outbox.dispatcher import NotRelevant
from storage.examples import ExampleRepository, Saved
from storage.models import Delivery
from storage.outbox import Outbox
from storage.participants import ParticipantRepository
from storage.projects import ProjectRepository
from storage.registrations import RegistrationRepository
from tests.exchange_world import NOW, World, build_world, deliveries, person
from tests.rendered import rendered

STOCKHOLM = ZoneInfo("Europe/Stockholm")
QUIET = QuietHours.parse("21-07")
REQUEST = {"theme": "Energiomställning", "deadline_date": "2027-03-15", "deadline_time": "16:00",
           "organisations": ""}
EXAMPLE = {"title": "Effektbrist i Falun", "theme": "Energiomställning", "organisation": "falun",
           "challenge": "Elnätet räcker inte.", "actions": "Vi samordnade med nätägaren.", "result": "",
           "lessons": "Börja tidigt.", "contact": "Anna", "links": "", "sharing": "project"}


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


class Setup:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], world: World) -> None:
        self.world, self.clock = world, Clock()
        self.examples, self.participants = ExampleRepository(sessions), ParticipantRepository(sessions)
        self.projects, outbox = ProjectRepository(sessions), Outbox(sessions)
        self.planner = ExamplePlanner(self.examples, self.participants, outbox, self.clock, STOCKHOLM, QUIET)
        self.requests = ExampleRequests(self.examples, self.participants, self.planner, self.clock, STOCKHOLM)
        self.service = ExampleService(self.examples, self.participants, self.projects, outbox, self.clock,
                                      STOCKHOLM, QUIET)
        self.deliveries = ExampleDeliveries(self.examples, self.participants, self.projects)

    async def submit(self, who: str, **changes: Any) -> Saved:
        saved = await self.service.submit(self.world.people[who], {**EXAMPLE, "project_id": self.world.project_id,
                                                                   **changes})
        assert isinstance(saved, Saved), saved
        return saved


@pytest.fixture
async def setup(sessions: async_sessionmaker[AsyncSession]) -> Setup:
    return Setup(sessions, await build_world(sessions))


async def confirm(setup: Setup, **changes: str) -> RequestSent:
    project = await setup.projects.by_id(setup.world.project_id)
    assert project is not None
    sent = await setup.requests.confirm(project, {**REQUEST, **changes}, setup.world.people["Linnea"])
    assert isinstance(sent, RequestSent), sent
    return sent


def row(kind: str, recipient: str, payload: dict[str, Any]) -> Delivery:
    return Delivery(kind=kind, source="test", recipient=recipient, payload=json.dumps(payload))


async def test_preview_counts_the_municipalities_participants(setup: Setup) -> None:
    project = await setup.projects.by_id(setup.world.project_id)
    assert project is not None
    assert [k for k, _ in await setup.requests.municipalities(project.id)] == ["falun", "ludvika", "mora"]
    preview = await setup.requests.preview(project, REQUEST)
    assert isinstance(preview, RequestPreview)
    assert preview.people == 4 and preview.municipalities == ["Falu kommun", "Ludvika kommun", "Mora kommun"]
    chosen = await setup.requests.preview(project, {**REQUEST, "organisations": "mora"})
    assert isinstance(chosen, RequestPreview) and chosen.people == 1
    refused = await setup.requests.preview(project, {**REQUEST, "organisations": "region"})
    assert isinstance(refused, RequestInvalid)


async def test_a_request_goes_to_municipalities_with_a_nudge_two_days_before(
        sessions: async_sessionmaker[AsyncSession], setup: Setup) -> None:
    sent = await confirm(setup)
    assert sent.created and sent.people == 4
    deadline = datetime(2027, 3, 15, 15, 0, tzinfo=sent.request.deadline.tzinfo)
    assert sent.request.deadline == deadline and sent.nudge_at == deadline - timedelta(days=2)
    asked = await deliveries(sessions, "example_request")
    assert [r for r, _, _ in asked] == sorted(person(setup.world, n) for n in ("Anna", "Erik", "Karin", "Olle"))
    assert {due for _, due, _ in asked} == {NOW}
    assert {due for _, due, _ in await deliveries(sessions, "example_nudge")} == {deadline - timedelta(days=2)}
    again = await confirm(setup)
    assert not again.created and again.request.id == sent.request.id
    assert await setup.planner.plan_all() == 0  # idempotent


async def test_the_nudge_is_skipped_once_a_colleague_has_sent_an_example(setup: Setup) -> None:
    sent = await confirm(setup)
    payload = {"request_id": sent.request.id}
    erik, karin = person(setup.world, "Erik"), person(setup.world, "Karin")
    card = await rendered(setup.deliveries.request, row("example_nudge", erik, payload))
    assert "Påminnelse" in str(card) and "Energiomställning" in str(card)
    await setup.submit("Anna")  # the form links it to the open request for Falun
    with pytest.raises(NotRelevant):
        await rendered(setup.deliveries.request, row("example_nudge", erik, payload))
    assert "Påminnelse" in await rendered(setup.deliveries.request, row("example_nudge", karin, payload))
    request_card = await rendered(setup.deliveries.request, row("example_request", erik, payload))
    assert "example_open" in str(request_card) and "Påminnelse" not in str(request_card)
    with pytest.raises(NotRelevant):
        await rendered(setup.deliveries.request, row("example_request", person(setup.world, "Outsider"), payload))


async def test_the_form_is_prefilled_from_the_registration_and_the_open_request(setup: Setup) -> None:
    await confirm(setup)
    view = await setup.service.new_form(setup.world.people["Karin"], None, None)
    assert isinstance(view, ExampleFormView)
    assert view.request is not None and view.prefill.theme == "Energiomställning"
    assert view.prefill.organisation == "mora" and view.prefill.contact == "Karin Dahl, karin@mora.se"
    assert isinstance(await setup.service.new_form(setup.world.people["Outsider"], None, None), NotParticipant)
    # The region is not asked by a request to every municipality.
    region = await setup.service.new_form(setup.world.people["Linnea"], None, None)
    assert isinstance(region, ExampleFormView) and region.request is None


async def test_submit_is_validated_and_only_for_participants(setup: Setup) -> None:
    world = setup.world
    invalid = await setup.service.submit(world.people["Anna"], {**EXAMPLE, "project_id": world.project_id,
                                                                "title": "", "sharing": "everyone"})
    assert isinstance(invalid, Invalid) and [p.field for p in invalid.problems] == ["title", "sharing"]
    outsider = await setup.service.submit(world.people["Outsider"], {**EXAMPLE, "project_id": world.project_id})
    assert isinstance(outsider, NotParticipant)
    assert isinstance(await setup.service.submit(world.people["Anna"], EXAMPLE), NotParticipant)


async def test_changes_requested_then_approved_then_posted_once(
        setup: Setup, sessions: async_sessionmaker[AsyncSession]) -> None:
    saved = await setup.submit("Anna")
    example_id = saved.example.id
    invalid = await setup.service.review(example_id, {"decision": "changes", "note": ""})
    assert isinstance(invalid, Invalid)
    reviewed = await setup.service.review(example_id, {"decision": "changes", "note": "Lägg till resultatet."})
    assert isinstance(reviewed, Reviewed) and reviewed.decision is Decision.CHANGES
    assert isinstance(await setup.service.review(example_id, {"decision": "approve"}), AlreadyReviewed)
    feedback = await deliveries(sessions, "example_feedback")
    assert [(r, p["status"]) for r, _, p in feedback] == [(person(setup.world, "Anna"), "changes_requested")]
    card = await rendered(setup.deliveries.feedback, row("example_feedback", feedback[0][0], feedback[0][2]))
    assert "Lägg till resultatet." in card and "example_edit" in card

    edit = await setup.service.edit_form(setup.world.people["Anna"], example_id)
    assert isinstance(edit, ExampleFormView) and edit.prefill.challenge == "Elnätet räcker inte."
    assert await setup.service.edit_form(setup.world.people["Erik"], example_id) is None
    await setup.submit("Anna", example_id=str(example_id), result="Nytt avtal med nätägaren.")
    with pytest.raises(NotRelevant):  # the example changed after that review
        await rendered(setup.deliveries.feedback, row("example_feedback", feedback[0][0], feedback[0][2]))

    setup.clock.now = NOW + timedelta(hours=1)
    approved = await setup.service.review(example_id, {"decision": "approve"})
    assert isinstance(approved, Reviewed) and not approved.channel_linked
    assert isinstance(await setup.service.edit_form(setup.world.people["Anna"], example_id), Locked)
    assert await setup.service.post(example_id) == NotPostable("no_channel")
    await setup.projects.link_channel(setup.world.project_id, "19:kanal@thread.tacv2")
    posted = await setup.service.post(example_id)
    assert isinstance(posted, Posted)
    assert await setup.service.post(example_id) == NotPostable("posted", setup.clock.now)
    rows = await deliveries(sessions, "example_post")
    assert [r for r, _, _ in rows] == [channel_address("19:kanal@thread.tacv2")]
    post = await rendered(setup.deliveries.post, row("example_post", rows[0][0], rows[0][2]))
    assert "Effektbrist i Falun" in post and "Nytt avtal med nätägaren." in post


async def test_search_shows_approved_examples_to_those_who_may_see_them(setup: Setup) -> None:
    shared = (await setup.submit("Karin", title="Återbruk i Mora", theme="Cirkulär ekonomi",
                                 organisation="mora", sharing="public")).example.id
    internal = (await setup.submit("Anna")).example.id
    waiting = (await setup.submit("Erik", title="Energi i väntan")).example.id
    for minutes, example_id in enumerate((shared, internal)):
        setup.clock.now = NOW + timedelta(minutes=minutes)
        await setup.service.review(example_id, {"decision": "approve"})

    async def titles(who: str, query: str, coordinator: bool = False) -> list[str]:
        viewer = await setup.service.viewer(setup.world.people.get(who), coordinator)
        return [e.example.title for e in (await setup.service.search(viewer, query))[0]]

    assert await titles("Olle", "ENERGIOMSTÄLLNING") == ["Effektbrist i Falun"]
    assert await titles("Olle", "falun") == ["Effektbrist i Falun"]
    assert await titles("Outsider", "energiomställning") == []
    assert await titles("Outsider", "aterbruk") == ["Återbruk i Mora"]
    assert await titles("Outsider", "", coordinator=True) == ["Effektbrist i Falun", "Återbruk i Mora"]
    assert waiting not in {e.example.id for e in (await setup.service.search(Viewer(frozenset(), True), "energi"))[0]}
    assert await setup.service.visible(Viewer(frozenset()), internal) is None
    assert await setup.service.visible(Viewer(frozenset(), True), internal) is not None


async def test_a_person_in_several_projects_chooses_one(sessions: async_sessionmaker[AsyncSession],
                                                        setup: Setup) -> None:
    other = await build_world(sessions, slug="energi")
    # Anna from the first world registers in the second project too.
    await RegistrationRepository(sessions).register(
        other.project_id, setup.world.people["Anna"],
        RegistrationForm("Anna Lindqvist", "falun", "", "", "", frozenset({1}), "", False), NOW)
    choice = await setup.service.new_form(setup.world.people["Anna"], None, None)
    assert isinstance(choice, ChooseProject) and len(choice.projects) == 2
    chosen = await setup.service.new_form(setup.world.people["Anna"], other.project_id, None)
    assert isinstance(chosen, ExampleFormView) and chosen.project.id == other.project_id
