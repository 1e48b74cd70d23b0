"""Coordinators' edits from cards: the same path as an import (a moved meeting keeps its UID and gets a
higher SEQUENCE), an edit version that refuses a stale card, cancelled meetings, free slugs."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.features.projects.spec import MeetingSpec, ProjectSpec
from bot.features.registration.service import Closed, FormView, Invalid, RegistrationService
from storage.models import Person
from storage.projects import EditConflict, ProjectRepository, spec_of
from storage.registrations import RegistrationRepository

NOW = datetime(2027, 1, 10, 9, tzinfo=UTC)


def at(month: int, day: int, hour: int) -> datetime:
    return datetime(2027, month, day, hour, tzinfo=UTC)


SPEC = ProjectSpec(slug="nytt", name="Nytt projekt", state="planned", meetings=(
    MeetingSpec(1, "Ett", at(5, 3, 8), at(5, 3, 12)),
    MeetingSpec(2, "Två", at(6, 3, 8), at(6, 3, 12)),
))


async def test_create_then_edit_moves_a_meeting_like_an_import(sessions: async_sessionmaker[AsyncSession]) -> None:
    projects = ProjectRepository(sessions)
    created = await projects.save(SPEC, -1, now=NOW)
    assert created.edit_version == 0 and created.state == "planned"
    second = created.meetings[1]
    moved = replace(SPEC.meetings[1], starts_at=at(6, 4, 8), ends_at=at(6, 4, 12))
    edited = await projects.save(replace(SPEC, meetings=(SPEC.meetings[0], moved)), 0, now=NOW)
    assert edited.edit_version == 1
    after = edited.meetings[1]
    assert (after.id, after.uid) == (second.id, second.uid)
    assert (after.sequence, after.notified_sequence, after.starts_at) == (1, 0, at(6, 4, 8))
    assert edited.meetings[0].sequence == 0  # untouched meetings keep their SEQUENCE


async def test_a_stale_card_is_refused_and_changes_nothing(sessions: async_sessionmaker[AsyncSession]) -> None:
    projects = ProjectRepository(sessions)
    await projects.save(SPEC, -1)
    await projects.save(replace(SPEC, name="Första ändringen"), 0)
    with pytest.raises(EditConflict):
        await projects.save(replace(SPEC, name="Andra, från ett gammalt kort"), 0)
    stored = await projects.by_slug("nytt")
    assert stored is not None and stored.name == "Första ändringen" and stored.edit_version == 1


async def test_creating_over_an_existing_slug_is_a_conflict(sessions: async_sessionmaker[AsyncSession]) -> None:
    projects = ProjectRepository(sessions)
    await projects.save(SPEC, -1)
    with pytest.raises(EditConflict):
        await projects.save(replace(SPEC, name="Annat"), -1)


async def test_two_coordinators_saving_at_once_one_wins_one_is_told(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    projects = ProjectRepository(sessions)
    await projects.save(SPEC, -1)
    results = await asyncio.gather(projects.save(replace(SPEC, name="Anna"), 0),
                                   projects.save(replace(SPEC, name="Erik"), 0), return_exceptions=True)
    conflicts = [r for r in results if isinstance(r, EditConflict)]
    winners = [r.name for r in results if not isinstance(r, BaseException)]
    assert len(conflicts) == 1 and len(winners) == 1
    stored = await projects.by_slug("nytt")
    assert stored is not None and stored.name == winners[0] and stored.edit_version == 1


async def test_an_import_makes_an_open_card_stale(sessions: async_sessionmaker[AsyncSession]) -> None:
    projects = ProjectRepository(sessions)
    await projects.save(SPEC, -1)
    await projects.upsert(replace(SPEC, description="Från fil"))
    with pytest.raises(EditConflict):
        await projects.save(SPEC, 0)


async def test_cancelling_a_meeting_bumps_its_sequence_and_is_kept(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    projects = ProjectRepository(sessions)
    await projects.save(SPEC, -1)
    cancelled = replace(SPEC, meetings=(SPEC.meetings[0], replace(SPEC.meetings[1], cancelled=True)))
    stored = await projects.save(cancelled, 0, now=NOW)
    assert (stored.meetings[1].sequence, stored.meetings[1].cancelled_at) == (1, NOW)
    assert spec_of(stored) == cancelled
    later = await projects.save(cancelled, 1, now=NOW + timedelta(days=1))
    assert later.meetings[1].cancelled_at == NOW and later.meetings[1].sequence == 1  # nothing changed


async def test_free_slug_adds_a_number(sessions: async_sessionmaker[AsyncSession]) -> None:
    projects = ProjectRepository(sessions)
    assert await projects.free_slug("nytt") == "nytt"
    await projects.save(SPEC, -1)
    assert await projects.free_slug("nytt") == "nytt-2"
    await projects.save(replace(SPEC, slug="nytt-2"), -1)
    assert await projects.free_slug("nytt") == "nytt-3"


@pytest.mark.parametrize(("state", "closed", "accepting"), [
    ("planned", False, False), ("open", False, True), ("open", True, False), ("running", False, True)])
async def test_registration_form_only_while_open_and_not_closed_by_hand(
    sessions: async_sessionmaker[AsyncSession], state: str, closed: bool, accepting: bool,
) -> None:
    projects = ProjectRepository(sessions)
    project = await projects.save(replace(SPEC, state=state, registration_closed=closed), -1)
    service = RegistrationService(projects, RegistrationRepository(sessions), lambda: NOW)
    async with sessions.begin() as session:
        person = Person(teams_id="29:x", name="X")
        session.add(person)
        await session.flush()
        person_id = person.id
    view = await service.form(project.id, person_id)
    assert isinstance(view, FormView if accepting else Closed)


async def test_a_cancelled_meeting_is_not_next_and_cannot_be_chosen(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    projects = ProjectRepository(sessions)
    spec = replace(SPEC, state="open", meetings=(replace(SPEC.meetings[0], cancelled=True), SPEC.meetings[1]))
    project = await projects.save(spec, -1, now=NOW)
    following = await projects.next_meeting(project.id, NOW)
    assert following is not None and following.number == 2
    async with sessions.begin() as session:
        person = Person(teams_id="29:y", name="Y")
        session.add(person)
        await session.flush()
        person_id = person.id
    service = RegistrationService(projects, RegistrationRepository(sessions), lambda: NOW)
    values = {"name": "Y", "organisation": "falun", "role_title": "", "email": "", "dietary": "",
              "consent_list": "false"}
    refused = await service.submit(project.id, person_id, {**values, "meetings": "1"})
    assert isinstance(refused, Invalid) and [p.field for p in refused.problems] == ["meetings"]
    accepted = await service.submit(project.id, person_id, {**values, "meetings": "2"})
    assert not isinstance(accepted, Invalid | Closed) and accepted is not None


async def test_the_settings_card_makes_an_open_project_card_stale(sessions: async_sessionmaker[AsyncSession]) -> None:
    projects = ProjectRepository(sessions)
    project = await projects.save(SPEC, -1)
    await projects.update_settings(project.id, quota_per_organisation=5)
    with pytest.raises(EditConflict):
        await projects.save(replace(SPEC, name="Från ett gammalt kort"), 0)
    stored = await projects.by_id(project.id)
    assert stored is not None and stored.quota_per_organisation == 5 and stored.name == SPEC.name
