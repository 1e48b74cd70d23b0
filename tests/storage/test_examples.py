"""Case examples and requests on SQLite and PostgreSQL: one request per confirmation, one example
per double click, reviews and channel posts that happen once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.features.examples.rules import ExampleForm, ExampleStatus, Sharing
from storage.examples import ExampleRepository, NotEditable
from tests.exchange_world import NOW, World, build_world

DEADLINE = NOW + timedelta(days=14)


def form(title: str = "Räkna aldrig bort Borlänge", organisation: str = "falun", **changes: object) -> ExampleForm:
    values: dict[str, object] = dict(title=title, theme="Etableringar", organisation_key=organisation,
                                     challenge="Stor etablering.", actions="Samlad grupp.", result="", lessons="",
                                     contact="Anna", links=("https://falun.se/a", "https://falun.se/b"),
                                     sharing=Sharing.PROJECT)
    values.update(changes)
    return ExampleForm(**values)  # type: ignore[arg-type]


async def setup(sessions: async_sessionmaker[AsyncSession]) -> tuple[World, ExampleRepository]:
    return await build_world(sessions), ExampleRepository(sessions)


async def test_a_confirmed_request_is_created_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    world, repo = await setup(sessions)
    first, created = await repo.create_request(world.project_id, "Energi", DEADLINE, ["mora", "falun"], None, NOW)
    again = await asyncio.gather(*(repo.create_request(world.project_id, "Energi", DEADLINE, ["falun", "mora"],
                                                       None, NOW) for _ in range(3)))
    assert created and first.organisation_keys == "falun,mora"
    assert {(r.id, c) for r, c in again} == {(first.id, False)}
    other, created = await repo.create_request(world.project_id, "Energi", DEADLINE, [], None, NOW)
    assert created and other.id != first.id
    assert [r.id for r in await repo.open_requests(NOW)] == [other.id, first.id]
    assert await repo.open_requests(DEADLINE) == []
    assert [r.id for r in await repo.open_requests(NOW, world.project_id + 1)] == []


async def test_the_same_title_again_updates_the_example(sessions: async_sessionmaker[AsyncSession]) -> None:
    world, repo = await setup(sessions)
    request, _ = await repo.create_request(world.project_id, "Energi", DEADLINE, [], None, NOW)
    saved = await repo.save(world.project_id, world.people["Anna"], request.id, form(), None, NOW)
    assert saved.created and saved.example.links == "https://falun.se/a\nhttps://falun.se/b"
    later = NOW + timedelta(minutes=1)
    again = await repo.save(world.project_id, world.people["Anna"], request.id,
                            form("RÄKNA ALDRIG BORT BORLÄNGE", result="Fler jobb"), None, later)
    assert not again.created and again.example.id == saved.example.id and again.example.result == "Fler jobb"
    entry = await repo.entry(saved.example.id)
    assert entry is not None and entry.organisation_name == "Falu kommun"
    assert (entry.project_name, entry.sender_name) == ("Stora etableringar", "Anna Lindqvist")
    assert await repo.organisations_answered(request.id) == {entry.example.organisation_id}


async def test_only_the_sender_can_edit_and_only_before_the_decision(
        sessions: async_sessionmaker[AsyncSession]) -> None:
    world, repo = await setup(sessions)
    saved = await repo.save(world.project_id, world.people["Anna"], None, form(), None, NOW)
    with pytest.raises(NotEditable):
        await repo.save(world.project_id, world.people["Erik"], None, form(), saved.example.id, NOW)
    assert await repo.review(saved.example.id, ExampleStatus.CHANGES_REQUESTED, "Mer resultat", NOW)
    edited = await repo.save(world.project_id, world.people["Anna"], None, form(result="Ja"), saved.example.id, NOW)
    assert edited.example.status == ExampleStatus.SUBMITTED and edited.example.review_note == ""
    assert await repo.review(saved.example.id, ExampleStatus.APPROVED, "", NOW)
    with pytest.raises(NotEditable):
        await repo.save(world.project_id, world.people["Anna"], None, form(), saved.example.id, NOW)
    # An approved example is final: the same title again is a new example.
    assert (await repo.save(world.project_id, world.people["Anna"], None, form(), None, NOW)).created


async def test_a_review_and_a_post_happen_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    world, repo = await setup(sessions)
    example = (await repo.save(world.project_id, world.people["Karin"], None, form(organisation="mora"), None,
                               NOW)).example
    assert not await repo.mark_posted(example.id, NOW)  # not approved yet
    results = await asyncio.gather(*(repo.review(example.id, ExampleStatus.APPROVED, "", NOW) for _ in range(3)))
    assert sorted(results) == [False, False, True]
    assert not await repo.review(example.id, ExampleStatus.REJECTED, "", NOW)
    assert await repo.mark_posted(example.id, NOW)
    assert not await repo.mark_posted(example.id, NOW)
    entry = await repo.entry(example.id)
    assert entry is not None and entry.example.posted_at == NOW and entry.example.status == ExampleStatus.APPROVED


async def test_waiting_for_review_oldest_first_and_approved_newest_first(
        sessions: async_sessionmaker[AsyncSession]) -> None:
    world, repo = await setup(sessions)
    ids = [(await repo.save(world.project_id, world.people["Anna"], None, form(f"Exempel {i}"), None,
                            NOW + timedelta(minutes=i))).example.id for i in range(4)]
    waiting, total = await repo.awaiting_review(2)
    assert total == 4 and [e.example.id for e in waiting] == ids[:2]
    for minutes, example_id in enumerate(ids[:3]):
        await repo.review(example_id, ExampleStatus.APPROVED, "", NOW + timedelta(hours=1, minutes=minutes))
    assert [e.example.id for e in await repo.approved()] == [ids[2], ids[1], ids[0]]
    assert await repo.entry(10_000) is None
