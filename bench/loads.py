"""What the turn benchmark sends: one load per kind of turn, from reading a cached card to the writes
that pile up when many people act at once (end of a meeting, "anmäl er nu!").

Each load builds the activity of worker `w`'s turn `n` as Teams would send it, and may prepare the bot
first through the same HTTP surface (registrations submitted as cards, the clock moved with the test
hooks) and check afterwards that its writes were stored. Every activity has its own id and, for card
submits, its own card id, so the stub connector can file each answer under the turn it answers.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientSession
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine


@dataclass(frozen=True)
class Ids:
    """What the activities refer to, read from the bot's database once it is prepared."""

    project: int = 0
    meeting: int = 0
    evaluation: int = 0
    organisations: tuple[str, ...] = ("annan",)
    """Spread over the municipalities: at most 3 of the 16 workers in one (the quota)."""


@dataclass(frozen=True)
class Load:
    name: str
    describe: str
    value: Callable[[Ids, int, int], dict[str, Any] | None]
    """The card submit's value for worker w's turn n, or None for a typed message."""
    text: str = ""
    first_contact: bool = False
    """Every turn from a person the bot has never seen (a write per turn)."""
    needs: tuple[str, ...] = ()
    """Preparations ("registered", "evaluation open") before the load's warm-up."""


def _registration(ids: Ids, worker: int, turn: int) -> dict[str, Any]:
    return {"verb": "register", "project_id": ids.project, "name": f"Deltagare {worker}",
            "organisation": ids.organisations[worker % len(ids.organisations)], "role_title": f"Planerare {turn % 7}",
            "email": f"deltagare{worker}@example.se", "meetings": "1,2,3,4", "dietary": "",
            "consent_list": "true"}


def _rsvp(ids: Ids, _worker: int, turn: int) -> dict[str, Any]:
    return {"verb": "rsvp", "meeting_id": ids.meeting, "intent": "coming"}


def _evaluation(ids: Ids, _worker: int, turn: int) -> dict[str, Any]:
    return {"verb": "evaluation_answer", "evaluation_id": ids.evaluation, "knowledge": str(turn % 5 + 1),
            "contacts": "4", "support": "3", "valuable": "Samtalen i triaderna", "improve": "", "wishes": ""}


LOADS = {load.name: load for load in (
    Load("help", "hjälp, people already known (a cached card)", lambda *_: None, text="hjälp"),
    Load("first-contact", "hjälp, every turn from a first-time person (a write per turn)", lambda *_: None,
         text="hjälp", first_contact=True),
    Load("register", "registration form submitted (an edit after the first)", _registration),
    Load("my-registrations", "mina anmälningar (reads the database)", lambda *_: None, text="mina anmälningar",
         needs=("registered",)),
    Load("rsvp", "Jag kommer on a reminder", _rsvp, needs=("registered",)),
    Load("evaluate", "evaluation answer submitted (changed after the first)", _evaluation,
         needs=("registered", "evaluation open")),
)}
"""In the order they run: a load may rely on what earlier ones stored, and "evaluate" moves the clock."""


def activity_bytes(load: Load, ids: Ids, stub_url: str, worker: int, turn: int) -> bytes:
    person = f"new-{worker}-{turn}" if load.first_contact else f"user-{worker}"
    value = load.value(ids, worker, turn)
    activity: dict[str, Any] = {
        "type": "message", "id": f"act-{worker}-{turn}", "locale": "sv-SE",
        "channelId": "msteams", "serviceUrl": stub_url,
        "from": {"id": f"29:{person}", "name": f"Deltagare {worker}", "aadObjectId": f"aad-{person}"},
        "recipient": {"id": "28:dalalab", "name": "DalaLab"},
        "conversation": {"id": f"conv-{person}", "conversationType": "personal", "tenantId": "tenant"},
        "channelData": {"tenant": {"id": "tenant"}},
    }
    if value is None:
        activity.update(text=load.text, textFormat="plain")
    else:
        activity.update(value=value, replyToId=f"card-{worker}-{turn}")
    return json.dumps(activity, ensure_ascii=False).encode()


def answered(worker: int, turn: int, answers: set[str]) -> bool:
    """Whether the stub got an answer to this turn: a reply to it, or its card updated in place."""
    return f"act-{worker}-{turn}" in answers or f"card-{worker}-{turn}" in answers


Post = Callable[[bytes], Awaitable[int]]


async def prepare(load: Load, database_url: str, bot_url: str, stub_url: str, workers: int, post: Post) -> Ids:
    """Brings the bot to what `load` needs, through its HTTP surface; returns the ids to refer to."""
    ids = await read_ids(database_url)
    if "registered" in load.needs and await count(database_url, "registration") < workers:
        for worker in range(workers):
            await post(activity_bytes(LOADS["register"], ids, stub_url, worker, 0))
        if await count(database_url, "registration") < workers:
            raise RuntimeError("the bench's registrations were not stored")
    if "evaluation open" in load.needs and not ids.evaluation:
        async with ClientSession() as http:
            meeting_end = await _meeting_end_seconds_from_now(database_url, ids.meeting)
            await (await http.post(f"{bot_url}/_test/clock", json={"seconds": meeting_end + 35 * 60})).release()
            await (await http.post(f"{bot_url}/_test/run-jobs", json={})).release()
        ids = await read_ids(database_url)
        if not ids.evaluation:
            raise RuntimeError("no evaluation opened after the meeting")
    return ids


async def read_ids(database_url: str) -> Ids:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            project = (await connection.execute(text("SELECT min(id) FROM project"))).scalar()
            meeting = (await connection.execute(
                text("SELECT id FROM meeting WHERE project_id = :p ORDER BY starts_at LIMIT 1"),
                {"p": project})).scalar()
            evaluation = (await connection.execute(
                text("SELECT id FROM evaluation WHERE meeting_id = :m"), {"m": meeting})).scalar()
            organisations = (await connection.execute(
                text("SELECT key FROM organisation WHERE key NOT IN ('annan', 'region') ORDER BY id"))).scalars()
            keys = tuple(str(key) for key in organisations)
    finally:
        await engine.dispose()
    return Ids(int(project or 0), int(meeting or 0), int(evaluation or 0), keys or ("annan",))


async def count(database_url: str, table: str) -> int:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            return int((await connection.execute(select(func.count()).select_from(text(table)))).scalar_one())
    finally:
        await engine.dispose()


async def _meeting_end_seconds_from_now(database_url: str, meeting: int) -> float:
    from datetime import UTC, datetime

    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            ends = (await connection.execute(text("SELECT ends_at FROM meeting WHERE id = :m"),
                                             {"m": meeting})).scalar_one()
    finally:
        await engine.dispose()
    if isinstance(ends, str):
        ends = datetime.fromisoformat(ends)
    ends = ends.replace(tzinfo=UTC) if ends.tzinfo is None else ends
    return (ends - datetime.now(UTC)).total_seconds()
