"""The alumni phase on SQLite and PostgreSQL: finishing once, opting out, recipients across
projects, one prompt per channel and period (shared channels too), its digest, and replies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.quiet_hours import QuietHours
from bot.features.alumni.rules import prompt_slot
from bot.features.alumni.service import AlumniPlanner, AlumniService, ReplyRefused, ReplySaved
from bot.outbox.addresses import channel_address, person_address
from storage.alumni import AlumniRepository
from storage.broadcasts import BroadcastRepository
from storage.models import AlumniPrompt, Delivery, Project
from storage.outbox import Outbox
from tests.storage.followup_seed import register, seed

STOCKHOLM = ZoneInfo("Europe/Stockholm")
MAY = prompt_slot(2027, 5, STOCKHOLM)


def service(sessions: async_sessionmaker[AsyncSession], now: datetime) -> AlumniService:
    return AlumniService(AlumniRepository(sessions), BroadcastRepository(sessions), Outbox(sessions), lambda: now,
                         STOCKHOLM, QuietHours.parse("off"))


async def deliveries(sessions: async_sessionmaker[AsyncSession], kind: str) -> list[Delivery]:
    async with sessions() as session:
        return list((await session.scalars(select(Delivery).where(Delivery.kind == kind)
                                           .order_by(Delivery.recipient))).all())


async def test_finishing_tells_participants_once_the_channel_is_linked(
        sessions: async_sessionmaker[AsyncSession]) -> None:
    seeded = await seed(sessions, "a1", ["falun", "mora"])
    alumni = service(sessions, MAY.asked_at)
    project = await _project(sessions, seeded.project_id)
    first = await alumni.finish(project, "monthly")
    assert first.changed and first.participants == 2 and not first.channel_linked
    assert not (await alumni.finish(project, "off")).changed
    assert await deliveries(sessions, "alumni_welcome") == []  # nowhere to point them yet
    project = await _project(sessions, seeded.project_id)
    assert project.state == "alumni" and project.finished_at == MAY.asked_at and project.alumni_prompt == "monthly"
    assert await alumni.link_channel(project, "19:alumni") == ["Projekt a1"]
    assert await alumni.link_channel(project, "19:alumni") == ["Projekt a1"]
    assert [d.recipient for d in await deliveries(sessions, "alumni_welcome")] == [
        person_address(p) for p in seeded.people]


async def test_opt_out_is_honoured_per_project(sessions: async_sessionmaker[AsyncSession]) -> None:
    one = await seed(sessions, "a2", ["falun", "mora"])
    two = await seed(sessions, "a3", ["leksand"])
    await register(sessions, two.project_id, one.people[0], "falun")
    alumni = service(sessions, MAY.asked_at)
    assert await alumni.opt_out(one.project_id, one.people[0], True) is True
    assert await alumni.opt_out(one.project_id, one.people[0], True) is False
    assert await alumni.opt_out(one.project_id, 999_999, True) is None
    assert await alumni.recipients([one.project_id]) == [one.people[1]]
    # Still an alumnus of the other project, so a message to both reaches them once.
    both = await alumni.recipients([one.project_id, two.project_id])
    assert sorted(both) == sorted([*one.people, *two.people])


async def test_an_announcement_goes_once_to_each_alumnus(sessions: async_sessionmaker[AsyncSession]) -> None:
    one = await seed(sessions, "a4", ["falun", "mora"], state="alumni")
    two = await seed(sessions, "a5", ["leksand"], state="alumni")
    await register(sessions, two.project_id, one.people[0], "falun")
    await service(sessions, MAY.asked_at).opt_out(one.project_id, one.people[1], True)
    alumni = service(sessions, MAY.asked_at)
    draft = await alumni.draft([two.project_id, one.project_id], "Seminarium på Dalating", one.people[0])
    assert draft.audience == f"alumni:{one.project_id},{two.project_id}"
    assert await alumni.schedule(draft, [one.project_id, two.project_id]) == 2
    assert await alumni.schedule(draft, [one.project_id, two.project_id]) == 0
    assert {d.recipient for d in await deliveries(sessions, "alumni_message")} == {
        person_address(one.people[0]), person_address(two.people[0])}


async def test_one_prompt_per_shared_channel_and_its_digest(sessions: async_sessionmaker[AsyncSession]) -> None:
    one = await seed(sessions, "a6", ["falun"], state="alumni")
    two = await seed(sessions, "a7", ["mora"], state="alumni")
    off = await seed(sessions, "a8", ["orsa"], state="alumni")
    async with sessions.begin() as session:
        await session.execute(update(Project).where(Project.id.in_([one.project_id, two.project_id]))
                              .values(alumni_channel_id="19:shared"))
        await session.execute(update(Project).where(Project.id == two.project_id).values(alumni_prompt="off"))
        await session.execute(update(Project).where(Project.id == off.project_id)
                              .values(alumni_channel_id="19:quiet", alumni_prompt="off"))
    now = [MAY.asked_at - timedelta(days=2)]
    planner = AlumniPlanner(AlumniRepository(sessions), Outbox(sessions), lambda: now[0], STOCKHOLM,
                            lambda: "Vad jobbar du med?")
    assert await planner.plan_all() == 0
    now[0] = MAY.asked_at - timedelta(hours=12)
    assert await planner.plan_all() == 2  # the prompt and its digest, for the shared channel only
    assert await planner.plan_all() == 0
    prompts = await deliveries(sessions, "alumni_prompt")
    digests = await deliveries(sessions, "alumni_digest")
    assert [(d.recipient, d.due_at) for d in prompts] == [(channel_address("19:shared"), MAY.asked_at)]
    assert [d.due_at for d in digests] == [MAY.asked_at + timedelta(days=7)]
    async with sessions() as session:
        stored = (await session.scalars(select(AlumniPrompt))).all()
    assert [(p.channel_id, p.period) for p in stored] == [("19:shared", "2027-05")]


async def test_replies_until_the_digest(sessions: async_sessionmaker[AsyncSession]) -> None:
    seeded = await seed(sessions, "a9", ["falun", "mora"], state="alumni")
    async with sessions.begin() as session:
        await session.execute(update(Project).where(Project.id == seeded.project_id)
                              .values(alumni_channel_id="19:replies"))
    repo = AlumniRepository(sessions)
    prompt = await repo.ensure_prompt("19:replies", "2027-05", "Vad jobbar du med?", MAY.asked_at)
    again = await repo.ensure_prompt("19:replies", "2027-05", "Annan fråga", MAY.asked_at)
    assert again.id == prompt.id and again.question == "Vad jobbar du med?"
    during = service(sessions, MAY.asked_at + timedelta(days=1))
    first = await during.reply(prompt.id, seeded.people[0], "Ny översiktsplan")
    assert isinstance(first, ReplySaved) and first.first and first.digest_at == MAY.asked_at + timedelta(days=7)
    changed = await during.reply(prompt.id, seeded.people[0], "Ny översiktsplan för Falun")
    assert isinstance(changed, ReplySaved) and not changed.first
    assert await during.reply(prompt.id, seeded.people[1], " ") == ReplyRefused("alumni.reply_empty")
    late = service(sessions, MAY.asked_at + timedelta(days=7))
    assert await late.reply(prompt.id, seeded.people[1], "Sent svar") == ReplyRefused("alumni.reply_closed")
    replies = await repo.replies(prompt.id)
    assert [(r.name, r.organisation, r.text) for r in replies] == [
        ("Person 0", "Falu kommun", "Ny översiktsplan för Falun")]


async def _project(sessions: async_sessionmaker[AsyncSession], project_id: int) -> Project:
    async with sessions() as session:
        project = await session.get(Project, project_id)
        assert project is not None
        return project


def test_may_slot() -> None:
    assert MAY.asked_at == datetime(2027, 5, 3, 7, 0, tzinfo=UTC)
