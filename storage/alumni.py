"""Repository of the alumni phase: finishing a project, the alumni channel, opting out, and the
periodic exchange prompts with their replies (one prompt per channel and period)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from storage.db import dialect_insert, once_more_on_conflict
from storage.models import AlumniPrompt, AlumniReply, Person, Project, Registration

ALUMNI = "alumni"
REGISTERED = "registered"


@dataclass(frozen=True)
class ReplyRow:
    name: str
    organisation: str
    text: str


class AlumniRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def finish(self, project_id: int, prompt_setting: str, now: datetime) -> bool:
        """Move the project to alumni mode; False when it already was (nothing changes then)."""
        async with self._sessions.begin() as session:
            project = await session.get(Project, project_id, with_for_update=True)
            if project is None or project.state == ALUMNI:
                return False
            project.state = ALUMNI
            project.finished_at = now
            project.alumni_prompt = prompt_setting
            return True

    async def link_channel(self, project_id: int, channel_id: str) -> list[str]:
        """Make ``channel_id`` the project's alumni channel; returns the names of every project
        that now shares it (this one included)."""
        async with self._sessions.begin() as session:
            await session.execute(update(Project).where(Project.id == project_id).values(alumni_channel_id=channel_id))
            names = await session.scalars(
                select(Project.name).where(Project.alumni_channel_id == channel_id).order_by(Project.name)
            )
            return list(names)

    async def set_prompt_setting(self, project_id: int, setting: str) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(update(Project).where(Project.id == project_id)
                                           .values(alumni_prompt=setting))
            return bool(result.rowcount)  # type: ignore[attr-defined]

    async def set_opt_out(self, project_id: int, person_id: int, opted_out: bool) -> bool | None:
        """Record the person's choice; None when they have no registration in the project,
        otherwise whether anything changed."""
        async with self._sessions.begin() as session:
            registration = await session.scalar(select(Registration).where(
                Registration.project_id == project_id, Registration.person_id == person_id))
            if registration is None:
                return None
            changed = registration.alumni_opt_out != opted_out
            registration.alumni_opt_out = opted_out
            return changed

    async def recipients(self, project_ids: Sequence[int]) -> list[int]:
        """People registered in any of the projects who have not opted out there (each once)."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Registration.person_id).where(
                    Registration.project_id.in_(list(project_ids)), Registration.status == REGISTERED,
                    Registration.alumni_opt_out.is_(False))
                .distinct().order_by(Registration.person_id))
            return list(rows)

    async def alumni_projects(self) -> list[Project]:
        async with self._sessions() as session:
            rows = await session.scalars(select(Project).where(Project.state == ALUMNI)
                                         .options(selectinload(Project.meetings)).order_by(Project.name))
            return list(rows)

    async def projects_on_channel(self, channel_id: str) -> list[Project]:
        async with self._sessions() as session:
            rows = await session.scalars(select(Project).where(Project.alumni_channel_id == channel_id)
                                         .order_by(Project.name))
            return list(rows)

    async def ensure_prompt(self, channel_id: str, period: str, question: str, asked_at: datetime) -> AlumniPrompt:
        """The channel's prompt for ``period``, created when missing (two planners agree on one)."""
        async with self._sessions.begin() as session:
            insert = dialect_insert(session)
            await session.execute(insert(AlumniPrompt).values(
                channel_id=channel_id, period=period, question=question, asked_at=asked_at,
            ).on_conflict_do_nothing(index_elements=["channel_id", "period"]))
            prompt = await session.scalar(select(AlumniPrompt).where(
                AlumniPrompt.channel_id == channel_id, AlumniPrompt.period == period))
            assert prompt is not None
            return prompt

    async def prompt(self, prompt_id: int) -> AlumniPrompt | None:
        async with self._sessions() as session:
            return await session.get(AlumniPrompt, prompt_id)

    async def save_reply(self, prompt_id: int, person_id: int, text: str, now: datetime) -> bool:
        """Store or replace the person's reply; True when it is their first to this prompt."""
        async def save() -> bool:
            async with self._sessions.begin() as session:
                reply = await session.scalar(select(AlumniReply).where(
                    AlumniReply.prompt_id == prompt_id, AlumniReply.person_id == person_id))
                first = reply is None
                if reply is None:
                    reply = AlumniReply(prompt_id=prompt_id, person_id=person_id, created_at=now)
                    session.add(reply)
                reply.text = text
                return first

        return await once_more_on_conflict(save)

    async def replies(self, prompt_id: int) -> list[ReplyRow]:
        """Replies with the person's name and municipality (from a project on the same channel)."""
        async with self._sessions() as session:
            prompt = await session.get(AlumniPrompt, prompt_id)
            if prompt is None:
                return []
            rows = (await session.execute(
                select(AlumniReply.person_id, Person.name, AlumniReply.text)
                .join(Person, Person.id == AlumniReply.person_id)
                .where(AlumniReply.prompt_id == prompt_id).order_by(AlumniReply.created_at, AlumniReply.id)
            )).tuples().all()
            people = [person_id for person_id, _, _ in rows if person_id is not None]
            organisations = await _organisations(session, prompt.channel_id, people)
            return [ReplyRow(name, organisations.get(person_id or 0, ""), text) for person_id, name, text in rows]

    async def mark_digest_sent(self, prompt_id: int, now: datetime) -> None:
        async with self._sessions.begin() as session:
            await session.execute(update(AlumniPrompt).where(AlumniPrompt.id == prompt_id,
                                                             AlumniPrompt.digest_sent_at.is_(None))
                                  .values(digest_sent_at=now))


async def _organisations(session: AsyncSession, channel_id: str, person_ids: list[int]) -> dict[int, str]:
    registrations = await session.scalars(
        select(Registration).join(Project, Project.id == Registration.project_id)
        .where(Project.alumni_channel_id == channel_id, Registration.person_id.in_(person_ids))
        .options(selectinload(Registration.organisation)).order_by(Registration.created_at.desc()))
    found: dict[int, str] = {}
    for registration in registrations:  # newest first: the latest registration names the municipality
        found.setdefault(registration.person_id, registration.organisation_other or registration.organisation.name)
    return found
