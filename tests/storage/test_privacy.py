"""Privacy on SQLite and PostgreSQL: a person's own copy holds everything about them and nothing about
others; erasure removes what identifies them while every statistic stays the same; retention does
the same for projects that ended long enough ago."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.features.evaluation.service import EvaluationResults
from bot.features.privacy.exports import personal_data_json
from bot.features.privacy.service import RetentionPlanner, erased_name
from bot.features.registration.rules import RegistrationForm
from bot.outbox.addresses import person_address
from storage.erasure import ErasureRepository
from storage.evaluations import EvaluationRepository
from storage.models import Base, Delivery, Meeting, Person, Project, Registration
from storage.people import ConversationSeen, PeopleRepository, Visitor
from storage.privacy import PrivacyRepository
from storage.projects import ProjectRepository
from storage.registrations import RegistrationRepository
from tests.storage.privacy_data import ASA, ASA_EMAIL, ASA_SECRETS, NOW, Scenario, build, personal


async def statistics(sessions: async_sessionmaker[AsyncSession], scenario: Scenario) -> dict[str, Any]:
    """What coordinators see: counts per municipality, attendance, response rates and results."""
    overview = await RegistrationRepository(sessions).overview(scenario.project_id)
    evaluations = EvaluationRepository(sessions)
    project = await ProjectRepository(sessions).by_id(scenario.project_id)
    assert project is not None
    results = await EvaluationResults(evaluations, ProjectRepository(sessions), lambda: NOW, 3).for_project(project)
    async with sessions() as session:
        attendance = (await session.execute(text("SELECT intent, count(*) FROM attendance GROUP BY intent "
                                                 "ORDER BY intent"))).all()
    return {
        "counts": overview.counts, "registered": overview.registered_total, "waitlist": len(overview.waitlist),
        "attendance": [tuple(row) for row in attendance],
        "invited": [await evaluations.invited_count(e) for e in (scenario.closed_evaluation, scenario.open_evaluation)],
        "answers": sorted(json.dumps(a, sort_keys=True) for a in await evaluations.answers(scenario.open_evaluation)),
        "results": results.results, "progress": results.open_progress, "summary": results.summary,
    }


async def everything_stored(sessions: async_sessionmaker[AsyncSession]) -> str:
    """Every row of every table as text."""
    dump = []
    async with sessions() as session:
        for table in Base.metadata.sorted_tables:
            dump += [repr(tuple(row)) for row in (await session.execute(select(table))).all()]
    return "\n".join(dump)


async def test_own_copy_holds_everything_about_the_person_and_nothing_about_others(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    scenario = await build(sessions)
    data = await PrivacyRepository(sessions).collect(scenario.asa)
    assert data is not None
    document = json.loads(personal_data_json(data, NOW))

    assert document["person"]["namn"] == "Åsa Hemligsson" and document["person"]["e_post"] == ASA_EMAIL
    [registration] = document["anmälningar"]
    assert (registration["e_post"], registration["specialkost"], registration["träffar"]) == (
        ASA_EMAIL, "Glutenfri utan laktos", [1, 2, 3])
    assert [row["svar"] for row in document["närvaro"]] == ["kommer"]  # values in Swedish, like the keys
    assert registration["status"] == "anmäld"
    assert document["kommunexempel"][0]["status"] in {"inskickat", "godkänt", "ändringar begärda", "avböjt"}
    assert {row["typ"] for row in document["samtal"]} <= {"personlig chatt", "gruppchatt", "kanal"}
    # A closed evaluation keeps no trace of who was asked or answered, so it is not the person's data any more.
    [still_open] = document["utvärderingar"]
    assert still_open["mitt_svar"]["valuable"] == "Åsas hemliga svar"
    assert [row["text"] for row in document["hemuppgifter"]] == ["Vår kartläggning"]
    assert ASA_EMAIL in document["kommunexempel"][0]["kontakt"]
    assert [row["svar"] for row in document["alumnsvar"]] == ["Vi har öppnat en servicepunkt"]
    assert [row["grupp"] for row in document["triader"]] == [1]
    assert [row["samtals_id"] for row in document["samtal"]] == ["a:asa"]
    as_text = json.dumps(document, ensure_ascii=False)
    assert "Bo Ek" not in as_text and "Cecilia" not in as_text
    assert "serviceUrl" not in as_text and "smba.example" not in as_text  # references by id only


async def test_erasure_removes_every_trace_and_keeps_every_statistic(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    scenario = await build(sessions)
    before = await statistics(sessions, scenario)
    stored = await everything_stored(sessions)
    assert all(secret in stored for secret in ASA_SECRETS)

    report = await ErasureRepository(sessions).erase_person(scenario.asa, NOW, erased_name())

    assert report is not None
    # One invite: the closed evaluation's invites were already deleted when it closed.
    assert (report.registrations, report.answers, report.invites, report.conversations) == (1, 1, 1, 1)
    assert (report.state_items, report.examples, report.submissions, report.alumni_replies) == (2, 1, 1, 1)
    assert report.deliveries == 1
    assert await statistics(sessions, scenario) == before
    stored = await everything_stored(sessions)
    assert [secret for secret in ASA_SECRETS if secret in stored] == []
    assert await EvaluationRepository(sessions).own_answer(scenario.open_evaluation, scenario.asa) is None
    assert await EvaluationRepository(sessions).own_answer(scenario.open_evaluation, scenario.bo) is not None
    async with sessions() as session:
        person = await session.get(Person, scenario.asa)
        registration = await session.scalar(select(Registration).where(Registration.person_id == scenario.asa))
        deliveries = dict((await session.execute(select(Delivery.recipient, Delivery.state))).tuples().all())
    assert person is not None and person.erased_at == NOW and person.teams_id == f"raderad:{scenario.asa}"
    assert registration is not None and registration.name == "Raderad person" and not registration.consent_list
    assert registration.status == "registered"  # still counted
    assert deliveries == {person_address(scenario.asa): "cancelled", person_address(scenario.bo): "pending"}


async def test_results_after_closing_still_count_the_erased_persons_answer(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    scenario = await build(sessions)
    await ErasureRepository(sessions).erase_person(scenario.asa, NOW, erased_name())
    await EvaluationRepository(sessions).close_due(NOW + timedelta(days=8), 3)
    after_closing = await statistics(sessions, scenario)
    assert [(r.meeting_number, r.answered, r.invited) for r in after_closing["results"]] == [(1, 3, 3), (2, 3, 3)]


async def test_after_erasure_the_database_files_hold_no_old_value(
    sessions: async_sessionmaker[AsyncSession], engine: AsyncEngine, tmp_path: Path,
) -> None:
    """SQLite's file and its write-ahead log, read as bytes: no name, e-mail, dietary need or id is left
    (secure_delete zeroes what was overwritten; the checkpoint after erasure empties the log). A group
    chat Åsa wrote in keeps its reference, without her."""
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL keeps old row versions until VACUUM: an operator's task (README)")
    scenario = await build(sessions)
    group = json.dumps({"conversation": {"id": "19:group"}, "serviceUrl": "https://smba.example/",
                        "bot": {"id": "28:bot"},
                        "user": {"id": ASA.teams_id, "name": ASA.name, "aadObjectId": "aad-asa"}})
    await PeopleRepository(sessions).remember(ASA, ConversationSeen("19:group", "groupChat", "https://smba.example/",
                                                                    group, tenant_id="tenant-1"))
    files = [tmp_path / "test.db", tmp_path / "test.db-wal"]

    def stored() -> bytes:
        return b"".join(file.read_bytes() for file in files if file.exists())

    erasure = ErasureRepository(sessions)
    await erasure.checkpoint()  # as in a database that has run a while: the values are in the file itself
    assert all(secret.encode() in (tmp_path / "test.db").read_bytes() for secret in ASA_SECRETS)
    assert await erasure.erase_person(scenario.asa, NOW, erased_name()) is not None
    assert [secret for secret in ASA_SECRETS if secret.encode() in stored()] == []
    async with sessions() as session:
        reference = await session.scalar(text("SELECT reference FROM conversation WHERE conversation_id = '19:group'"))
    assert reference is not None and "user" not in json.loads(reference)


async def test_erasing_twice_changes_nothing_and_the_person_comes_back_fresh(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    scenario = await build(sessions)
    erasure = ErasureRepository(sessions)
    assert await erasure.erase_person(scenario.asa, NOW, erased_name()) is not None
    assert await erasure.erase_person(scenario.asa, NOW, erased_name()) is None
    again = await PeopleRepository(sessions).remember(ASA, personal("a:asa", ASA))
    assert again is not None and again != scenario.asa
    assert await PrivacyRepository(sessions).collect(scenario.asa) is None
    fresh = await PrivacyRepository(sessions).collect(again)
    assert fresh is not None and fresh.registrations == [] and len(fresh.conversations) == 1


async def test_retention_anonymises_projects_that_ended_long_enough_ago(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    old = await build(sessions, "gammalt")
    daniel, running = await also_in_a_running_project(sessions, old.project_id)
    async with sessions.begin() as session:
        project = await session.get(Project, old.project_id)
        assert project is not None
        project.state, project.finished_at = "alumni", NOW - timedelta(days=730)
    before = await statistics(sessions, old)

    def retention(offset: timedelta) -> RetentionPlanner:
        return RetentionPlanner(ErasureRepository(sessions), PeopleRepository(sessions), lambda: NOW + offset,
                                timedelta(days=730), frozenset({"aad-bo"}))

    assert await retention(-timedelta(seconds=1)).run() == 0
    assert await retention(timedelta(0)).run() > 0
    assert await retention(timedelta(0)).run() == 0  # done once; later runs are cheap no-ops

    assert await statistics(sessions, old) == before
    stored = await everything_stored(sessions)
    assert [secret for secret in ASA_SECRETS if secret in stored] == []
    async with sessions() as session:
        people = {p.id: p for p in await session.scalars(select(Person))}
        names = dict((await session.execute(select(Registration.project_id, Registration.name)
                                            .where(Registration.person_id == daniel))).tuples().all())
    assert people[old.asa].erased_at is not None and people[old.cecilia].erased_at is not None
    assert people[daniel].erased_at is None  # also in a running project: only the old project's data goes
    assert names == {old.project_id: "Raderad person", running: "Daniel Ny"}
    assert people[old.bo].erased_at is None  # a configured coordinator is never erased by retention


async def also_in_a_running_project(sessions: async_sessionmaker[AsyncSession], old_project: int) -> tuple[int, int]:
    """Daniel took part in the old project and is registered for a running one."""
    daniel_visitor = Visitor("29:daniel", "Daniel Ny")
    daniel = await PeopleRepository(sessions).remember(daniel_visitor, personal("a:daniel", daniel_visitor))
    assert daniel is not None
    async with sessions.begin() as session:
        project = Project(slug="nytt", name="Nytt projekt", calendar_token="tok-nytt", state="open")
        project.meetings = [Meeting(number=1, title="Start", starts_at=NOW + timedelta(days=30),
                                    ends_at=NOW + timedelta(days=30, hours=2), uid="nytt-1")]
        session.add(project)
        await session.flush()
        running = project.id
    registrations = RegistrationRepository(sessions)
    form = RegistrationForm("Daniel Ny", "mora", "", "", "daniel@mora.se", frozenset({1}), "", True)
    await registrations.register(old_project, daniel, form, NOW - timedelta(days=800))
    await registrations.register(running, daniel, form, NOW)
    return daniel, running


async def test_an_erased_person_leaves_the_waitlist_and_is_never_promoted(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    people = PeopleRepository(sessions)
    bo_visitor = Visitor("29:bo", "Bo Ek")
    asa = await people.remember(ASA, personal("a:asa", ASA))
    bo = await people.remember(bo_visitor, personal("a:bo", bo_visitor))
    assert asa is not None and bo is not None
    async with sessions.begin() as session:
        project = Project(slug="litet", name="Litet", calendar_token="tok-litet", quota_per_organisation=1)
        project.meetings = [Meeting(number=1, title="Start", starts_at=NOW + timedelta(days=9),
                                    ends_at=NOW + timedelta(days=9, hours=2), uid="litet-1")]
        session.add(project)
        await session.flush()
        project_id = project.id
    registrations = RegistrationRepository(sessions)
    form = RegistrationForm("Någon", "falun", "", "", "", frozenset({1}), "", False)
    first = await registrations.register(project_id, bo, form, NOW)
    waiting = await registrations.register(project_id, asa, form, NOW)
    assert (first.registration.status, waiting.registration.status) == ("registered", "waitlisted")

    report = await ErasureRepository(sessions).erase_person(asa, NOW, erased_name())

    assert report is not None and report.waitlist_left == 1
    assert (await registrations.cancel(first.registration.id, bo, NOW)).promoted is None
