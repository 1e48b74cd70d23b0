"""Repository of the people and conversations the bot has met (for proactive messages later)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Collection, Hashable, Sequence
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import Boolean, ColumnElement, Integer, TextClause, bindparam, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.selectable import TextualSelect

from bot.outbox.addresses import person_address, person_of
from storage.db import by_key, on_postgresql
from storage.models import Conversation, Person, UtcDateTime, clipped, utcnow

MAX_FINGERPRINTS = 20_000
"""Activity fingerprints kept per process (a few hundred bytes each)."""


# Visitor and ConversationSeen are named tuples so that the known-people cache can keep them as plain
# tuples of strings, which the collector stops tracking: the cache holds thousands, and every object the
# collector tracks lengthens each full collection, which stops every turn under way.


class Visitor(NamedTuple):
    """Who wrote, as Teams says it."""

    teams_id: str
    name: str
    aad_object_id: str | None = None
    tenant_id: str | None = None
    locale: str | None = None


class ConversationSeen(NamedTuple):
    """Where it was written, with the serialised ConversationReference."""

    conversation_id: str
    kind: str
    service_url: str
    reference: str
    tenant_id: str | None = None
    team_id: str | None = None
    channel_id: str | None = None
    aad_group_id: str | None = None
    """The team's Microsoft 365 group id (channelData.team.aadGroupId), for channel deep links."""
    installs: bool = True
    """Whether the activity shows the bot is installed there (a message, an invoke, an install):
    only such an activity marks an uninstalled conversation installed again."""


class PeopleRepository:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._postgres = on_postgresql(sessions)
        # Both caches are bounded (least recently used dropped): every distinct sender adds an entry.
        self._last_seen: OrderedDict[tuple[str, str], tuple[tuple[Any, ...], tuple[Any, ...], int]] = OrderedDict()
        self._fingerprints: OrderedDict[Hashable, tuple[int, str]] = OrderedDict()

    def cache_sizes(self) -> tuple[int, int]:
        """(senders, fingerprints) this process remembers: both at most MAX_FINGERPRINTS."""
        return len(self._last_seen), len(self._fingerprints)

    def remembered(self, fingerprint: Hashable) -> int | None:
        """The person id stored for an activity with this fingerprint (see bot.teams.references), if this
        process stored it: then ``remember`` would change nothing and need not be asked."""
        known = self._fingerprints.get(fingerprint)
        if known is None:
            return None
        self._fingerprints.move_to_end(fingerprint)
        return known[0]

    async def remember(self, visitor: Visitor | None, conversation: ConversationSeen,
                       fingerprint: Hashable | None = None) -> int | None:
        """Store or refresh the person and the conversation reference; returns the person's id.
        A no-op when nothing changed since this process last stored it (most turns)."""
        cache_key = (visitor.teams_id if visitor else "", conversation.conversation_id)
        cached = self._last_seen.get(cache_key)
        if visitor is not None and cached is not None and cached[:2] == (visitor, conversation):
            self._last_seen.move_to_end(cache_key)
            self._keep_fingerprint(fingerprint, cached[2], conversation.conversation_id)
            return cached[2]
        person_id = await self._remember_at_once(visitor, conversation) if visitor is not None else None
        if person_id is None:
            # One write transaction of one or two statements each for the person and the conversation
            # (INSERT ... ON CONFLICT): no read first, and two first turns of one person cannot race.
            async with self._sessions.begin() as session:
                person_id = await _upsert_person_row(session, visitor) if visitor else None
                await _upsert_conversation_row(session, conversation, person_id)
        if visitor is not None and person_id is not None:
            # Plain tuples: the collector keeps tracking a named one (only exact tuples are let go).
            self._last_seen[cache_key] = (tuple(visitor), tuple(conversation), person_id)
            self._last_seen.move_to_end(cache_key)
            while len(self._last_seen) > MAX_FINGERPRINTS:
                self._last_seen.popitem(last=False)
            self._keep_fingerprint(fingerprint, person_id, conversation.conversation_id)
        return person_id

    async def _remember_at_once(self, visitor: Visitor, seen: ConversationSeen) -> int | None:
        """PostgreSQL, a person written (new, or changed): the person and the conversation in one statement
        outside a transaction, one round trip where the transaction takes four (BEGIN, two upserts, COMMIT).
        None when it wrote nothing (the person is stored and unchanged, or SQLite): then the two upserts."""
        if not self._postgres:
            return None
        now = utcnow()
        conversation = {**_conversation_values(seen), "installed": True, "updated_at": now}
        values = {**_person_values(visitor), **{f"c_{key}": value for key, value in conversation.items()},
                  "installs": seen.installs, "personal": seen.kind == "personal", "created_at": now, "updated_at": now}
        async with self._sessions() as session:  # autocommit on PostgreSQL (storage.db.Sessions)
            person_id = await session.scalar(_first_contact(), values)
        return int(person_id) if person_id is not None else None

    def _keep_fingerprint(self, fingerprint: Hashable | None, person_id: int, conversation_id: str) -> None:
        if fingerprint is not None:
            self._fingerprints[fingerprint] = (person_id, conversation_id)
            while len(self._fingerprints) > MAX_FINGERPRINTS:
                self._fingerprints.popitem(last=False)

    async def remember_members(self, members: list[Visitor], emails: dict[str, str]) -> int:
        """People found in a team's roster (they may never have written to the bot): stored so the
        bot can open a 1:1 chat with them. Returns how many were new."""
        new = 0
        async with self._sessions.begin() as session:
            for member in members:
                person = await session.scalar(select(Person).where(Person.teams_id == member.teams_id))
                if person is None:
                    new += 1
                person = await _upsert_person(session, member)
                person.email = emails.get(member.teams_id) or person.email
        return new

    async def mark_uninstalled(self, conversation_id: str) -> int:
        """The app was removed from a 1:1 or group chat; returns how many conversations that ends."""
        return await self._uninstall(Conversation.conversation_id == conversation_id)

    async def uninstall_team(self, team_id: str) -> int:
        """The app was removed from a team (or the team deleted): every channel and thread of it."""
        return await self._uninstall(Conversation.team_id == team_id)

    async def uninstall_channel(self, channel_id: str) -> int:
        """A channel was deleted: the channel and the threads in it."""
        return await self._uninstall(or_(Conversation.channel_id == channel_id,
                                         Conversation.conversation_id == channel_id,
                                         Conversation.conversation_id.startswith(f"{channel_id};", autoescape=True)))

    async def _uninstall(self, where: ColumnElement[bool]) -> int:
        async with self._sessions.begin() as session:
            ended = list(await session.scalars(
                update(Conversation).where(where, Conversation.installed.is_(True)).values(installed=False)
                .returning(Conversation.conversation_id)))
        gone = set(ended)
        self._last_seen = OrderedDict((k, v) for k, v in self._last_seen.items() if k[1] not in gone)
        self._drop_fingerprints(lambda _person, conversation: conversation in gone)
        return len(gone)

    def forget(self, person_id: int) -> None:
        """Drop what this process remembers about a person (after erasure, so that their next
        message stores a fresh person instead of reusing the erased one)."""
        self._last_seen = OrderedDict((k, v) for k, v in self._last_seen.items() if v[2] != person_id)
        self._drop_fingerprints(lambda person, _conversation: person == person_id)

    def _drop_fingerprints(self, matches: Callable[[int, str], bool]) -> None:
        dropped = [key for key, (person, conversation) in self._fingerprints.items() if matches(person, conversation)]
        for key in dropped:
            del self._fingerprints[key]

    async def person_by_teams_id(self, teams_id: str) -> Person | None:
        async with self._sessions() as session:
            return await session.scalar(select(Person).where(Person.teams_id == teams_id))

    async def people_with_object_ids(self, aad_object_ids: Collection[str]) -> list[Person]:
        """The people (not erased) with these Entra ID object ids, e.g. the coordinators."""
        wanted = sorted({aad.lower() for aad in aad_object_ids})
        if not wanted:
            return []
        async with self._sessions() as session:
            rows = await session.scalars(select(Person).where(func.lower(Person.aad_object_id).in_(wanted),
                                                              Person.erased_at.is_(None)).order_by(Person.id))
            return list(rows)

    async def person_by_id(self, person_id: int) -> Person | None:
        async with self._sessions() as session:
            return await by_key(session, Person, person_id)

    async def any_conversation_of(self, person_id: int, tenant_id: str | None) -> Conversation | None:
        """A conversation where the bot met the person (for its service URL and bot id)."""
        async with self._sessions() as session:
            person = await session.get(Person, person_id)
            if person is None:
                return None
            return await session.scalar(
                select(Conversation)
                .where(Conversation.tenant_id == tenant_id, Conversation.installed.is_(True))
                .order_by(Conversation.updated_at.desc())
                .limit(1)
            )

    async def names(self, recipients: list[str]) -> dict[str, str]:
        """Display names for outbox recipients that are people; channels keep their key."""
        ids = [p for r in recipients if (p := person_of(r)) is not None]
        if not ids:
            return {}
        async with self._sessions() as session:
            rows = await session.execute(select(Person.id, Person.name).where(Person.id.in_(ids)))
            return {person_address(person_id): name for person_id, name in rows.tuples()}

    async def conversation_in_channel(self, channel_id: str) -> Conversation | None:
        async with self._sessions() as session:
            return await session.scalar(
                select(Conversation)
                .where(Conversation.channel_id == channel_id, Conversation.installed.is_(True))
                .order_by(Conversation.updated_at.desc())
                .limit(1)
            )

    async def team_group_id(self, team_id: str) -> str | None:
        """The team's Microsoft 365 group id, as any conversation of the team got it (Teams sends
        channelData.team.aadGroupId with some activities, not all)."""
        async with self._sessions() as session:
            found = await session.scalar(select(Conversation.aad_group_id).where(
                Conversation.team_id == team_id, Conversation.aad_group_id.is_not(None)).limit(1))
            return str(found) if found else None

    async def conversation(self, conversation_id: str) -> Conversation | None:
        async with self._sessions() as session:
            return await session.scalar(select(Conversation).where(Conversation.conversation_id == conversation_id))

    async def personal_conversations(self, person_ids: Sequence[int]) -> dict[int, Conversation]:
        """The installed 1:1 chat of each of these people (the oldest if there are several), in one
        query (a batch of reminders asks for all its recipients at once)."""
        found: dict[int, Conversation] = {}
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Conversation).where(
                    Conversation.person_id.in_(list(person_ids)),
                    Conversation.kind == "personal",
                    Conversation.installed.is_(True),
                ).order_by(Conversation.id)
            )
            for conversation in rows:
                if conversation.person_id is not None:
                    found.setdefault(conversation.person_id, conversation)
        return found

    async def personal_conversation(self, person_id: int) -> Conversation | None:
        return (await self.personal_conversations([person_id])).get(person_id)


async def _upsert_person(session: AsyncSession, visitor: Visitor) -> Person:
    person = await session.scalar(select(Person).where(Person.teams_id == visitor.teams_id))
    if person is None:
        person = Person(teams_id=visitor.teams_id)
        session.add(person)
    person.name = visitor.name or person.name
    person.aad_object_id = visitor.aad_object_id or person.aad_object_id
    person.tenant_id = visitor.tenant_id or person.tenant_id
    person.locale = visitor.locale or person.locale
    await session.flush()
    return person


def _changed_where(table: str, merged: dict[str, str], dialect: str) -> str:
    """Whether the merged values differ from the row's, NULL-safe (SQLite's IS NOT is IS DISTINCT FROM)."""
    differs = "IS NOT" if dialect == "sqlite" else "IS DISTINCT FROM"
    return " OR ".join(f"{table}.{column} {differs} {value}" for column, value in merged.items())


def _upsert_sql(table: str, key: str, inserted: list[str], merged: dict[str, str], dialect: str,
                returning: str = "", rows: str = "") -> str:
    """INSERT ... ON CONFLICT (key) DO UPDATE SET merged WHERE something differs: the same text on
    SQLite and PostgreSQL but for the NULL-safe comparison. The row is the parameters named as the
    columns, or ``rows`` (a SELECT)."""
    sets = ", ".join(f"{column} = {value}" for column, value in {**merged, "updated_at": "excluded.updated_at"}.items())
    rows = rows or f"VALUES ({', '.join(':' + c for c in inserted)})"
    return (f"INSERT INTO {table} ({', '.join(inserted)}) {rows} "
            f"ON CONFLICT ({key}) DO UPDATE SET {sets} WHERE {_changed_where(table, merged, dialect)}"
            + (f" RETURNING {returning}" if returning else ""))


_PERSON_MERGED = {
    "name": "COALESCE(NULLIF(excluded.name, ''), person.name)",
    "aad_object_id": "COALESCE(excluded.aad_object_id, person.aad_object_id)",
    "tenant_id": "COALESCE(excluded.tenant_id, person.tenant_id)",
    "locale": "COALESCE(excluded.locale, person.locale)",
}
_CONVERSATION_MERGED = {
    **{column: f"excluded.{column}" for column in ("kind", "service_url", "reference", "tenant_id", "team_id",
                                                   "channel_id")},
    "aad_group_id": "COALESCE(excluded.aad_group_id, conversation.aad_group_id)",
    # Only an activity that shows the app installed marks an uninstalled conversation installed again.
    "installed": "(conversation.installed OR :installs)",
    # Only a personal chat has an owner; a group chat or channel keeps what it has (nothing).
    "person_id": "COALESCE(excluded.person_id, conversation.person_id)",
}


_PERSON_COLUMNS = ["teams_id", "name", "aad_object_id", "tenant_id", "locale", "created_at", "updated_at"]
_CONVERSATION_COLUMNS = ["conversation_id", "kind", "tenant_id", "team_id", "channel_id", "service_url", "reference",
                         "person_id", "installed", "aad_group_id", "updated_at"]
_CREATED, _UPDATED = bindparam("created_at", type_=UtcDateTime()), bindparam("updated_at", type_=UtcDateTime())
_INSTALLED, _INSTALLS = bindparam("installed", type_=Boolean()), bindparam("installs", type_=Boolean())


@cache
def _person_upsert(dialect: str) -> TextualSelect:
    return text(_upsert_sql("person", "teams_id", _PERSON_COLUMNS, _PERSON_MERGED, dialect, returning="id")).bindparams(
        _CREATED, _UPDATED).columns(id=Integer)


@cache
def _conversation_upsert(dialect: str) -> TextClause:
    return text(_upsert_sql("conversation", "conversation_id", _CONVERSATION_COLUMNS, _CONVERSATION_MERGED, dialect)
                ).bindparams(_UPDATED, _INSTALLED, _INSTALLS)


@cache
def _first_contact() -> TextualSelect:
    """PostgreSQL: both upserts in one statement. The conversation's row comes from the person's RETURNING,
    so it is written only when the person was (a person stored and unchanged returns nothing, and a
    statement's reads cannot see a row another transaction committed while it waited on the conflict:
    the caller then takes the two-statement path, whose second statement does)."""
    person = _upsert_sql("person", "teams_id", _PERSON_COLUMNS, _PERSON_MERGED, "postgresql", returning="id")
    owner = "CASE WHEN :personal THEN written.id END"  # only a personal chat has an owner
    # The conversation's parameters are prefixed: both rows have a tenant_id, and they may differ.
    row = ", ".join(owner if column == "person_id" else f":c_{column}" for column in _CONVERSATION_COLUMNS)
    conversation = _upsert_sql("conversation", "conversation_id", _CONVERSATION_COLUMNS, _CONVERSATION_MERGED,
                               "postgresql", rows=f"SELECT {row} FROM written")
    statement = f"WITH written AS ({person}), conversation_written AS ({conversation}) SELECT id FROM written"
    return text(statement).bindparams(
        _CREATED, _UPDATED, _INSTALLS, bindparam("c_updated_at", type_=UtcDateTime()),
        bindparam("c_installed", type_=Boolean()), bindparam("personal", type_=Boolean())).columns(id=Integer)


async def _upsert_person_row(session: AsyncSession, visitor: Visitor) -> int:
    """``_upsert_person`` in one statement: what Teams said overwrites what is stored, an empty value
    keeps it, and an unchanged row is not written (its updated_at stays, as with the ORM). Plain SQL:
    SQLAlchemy builds and compiles a dialect's INSERT ... ON CONFLICT anew on every execution (it has
    no cache key), ~0.5 ms a statement, more than the database takes to run it."""
    now = utcnow()
    upsert = _person_upsert(_dialect(session))
    person_id = await session.scalar(upsert, {**_person_values(visitor), "created_at": now, "updated_at": now})
    if person_id is None:  # known and unchanged: nothing was written, nothing returned
        person_id = await session.scalar(select(Person.id).where(Person.teams_id == visitor.teams_id))
    return int(person_id)


async def _upsert_conversation_row(session: AsyncSession, seen: ConversationSeen, person_id: int | None) -> None:
    """``_upsert_conversation`` in one statement; an unchanged row is not written."""
    owner = person_id if seen.kind == "personal" else None
    await session.execute(_conversation_upsert(_dialect(session)), {
        **_conversation_values(seen), "person_id": owner, "installed": True, "installs": seen.installs,
        "updated_at": utcnow()})


def _person_values(visitor: Visitor) -> dict[str, object]:
    return clipped(Person.__table__, {"teams_id": visitor.teams_id, "name": visitor.name or "",
                                      "aad_object_id": visitor.aad_object_id or None,
                                      "tenant_id": visitor.tenant_id or None, "locale": visitor.locale or None})


def _conversation_values(seen: ConversationSeen) -> dict[str, object]:
    return clipped(Conversation.__table__, {
        "conversation_id": seen.conversation_id, "kind": seen.kind, "service_url": seen.service_url,
        "reference": seen.reference, "tenant_id": seen.tenant_id, "team_id": seen.team_id,
        "channel_id": seen.channel_id, "aad_group_id": seen.aad_group_id or None})


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name
