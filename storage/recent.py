"""Rows read lately, kept until this process writes their tables or a short time passes (issue 18).

Most turns read a project with its meetings (the registration form and its confirmation), a meeting (an
RSVP's card) or an evaluation (an answer's questions), and loading them through the ORM was a fifth of a
write turn's CPU. They change seldom, and almost always through this process, so they are kept:

- **Writes through this engine** to a watched table (any INSERT, UPDATE or DELETE, the ORM's or a plain
  statement's) drop everything kept, when the statement runs and again when its transaction ends: a
  reader that loaded the old row in between does not keep it (see ``generation``).
- **Writes elsewhere** (another replica on PostgreSQL, a script) are seen within ``ttl`` seconds. Checks
  that decide something (a registration deadline, a quota, whether an evaluation is open) are made again
  in the write that depends on them, so a stale copy can show an old text for that long but not give away
  a place or store a late answer.

What is kept is shared by the turns that read it: callers treat it as read-only (as they do any detached
row; none is ever saved back).
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

K = TypeVar("K")
V = TypeVar("V")

_WROTE = "dalalab_recent_wrote"


class Recent(Generic[K, V]):
    def __init__(self, ttl: float = 2.0, limit: int = 256) -> None:
        self._ttl = ttl
        self._limit = limit
        self._kept: dict[K, tuple[float, V]] = {}
        self.generation = 0
        """Moves on at every invalidation: a value read before it moved is not kept."""

    async def get(self, key: K, load: Callable[[], Awaitable[V | None]]) -> V | None:
        kept = self._kept.get(key)
        now = time.monotonic()
        if kept is not None and now - kept[0] < self._ttl:
            return kept[1]
        generation = self.generation
        value = await load()
        if value is not None and generation == self.generation:
            if len(self._kept) >= self._limit:
                self._kept.clear()
            self._kept[key] = (now, value)
        return value

    def forget(self) -> None:
        self.generation += 1
        self._kept.clear()


def written_tables(statement: str) -> tuple[str, ...]:
    """The tables an INSERT, UPDATE or DELETE statement writes, also inside a ``WITH`` (PostgreSQL's one-statement
    writes); () for any other statement."""
    statement = statement.lstrip()  # a plain statement may start on a new line
    verb = statement[:6].upper()
    if verb in ("INSERT", "UPDATE", "DELETE"):
        words = statement.split(None, 3)
        at = 1 if verb == "UPDATE" else 2  # UPDATE t, INSERT INTO t, DELETE FROM t
        return (_table_name(words[at]),) if len(words) > at else ()
    if verb[:4] == "WITH":
        return tuple(_table_name(name) for name in _WRITES_WITHIN.findall(statement))
    return ()


_WRITES_WITHIN = re.compile(r"\b(?:INSERT\s+INTO|DELETE\s+FROM|UPDATE)\s+(?!SET\b)(\S+)", re.IGNORECASE)
"""A write within a statement (not ``ON CONFLICT ... DO UPDATE SET``), and the table it names."""


def _table_name(name: str) -> str:
    return name.rsplit(".", 1)[-1].strip('"`').lower()  # schema.table: the table


class KeptRows:
    """The rows one database's repositories keep (``storage.db.Sessions`` has one): a ``Recent`` per kind
    of row, each forgotten when one of its tables is written through the engine (or an engine made from
    it with other execution options)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._kinds: dict[str, tuple[frozenset[str], Recent[Any, Any]]] = {}

    def of(self, kind: str, tables: frozenset[str]) -> Recent[Any, Any]:
        found = self._kinds.get(kind)
        if found is None:
            if not self._kinds:
                self._listen()
            found = self._kinds[kind] = (tables, Recent())
        return found[1]

    def _listen(self) -> None:
        def wrote(connection: Connection, _cursor: Any, statement: str, *_rest: Any) -> None:
            written = written_tables(statement)  # once per statement, whatever the kinds kept
            if not written:
                return
            for tables, recent in self._kinds.values():
                if not tables.isdisjoint(written):
                    recent.forget()
                    connection.info.setdefault(_WROTE, set()).add(id(recent))

        def ended(connection: Connection) -> None:
            written = connection.info.pop(_WROTE, None)
            if written:
                for _tables, recent in self._kinds.values():
                    if id(recent) in written:
                        recent.forget()

        event.listen(self._engine, "before_cursor_execute", wrote)
        event.listen(self._engine, "commit", ended)
        event.listen(self._engine, "rollback", ended)


def shared(sessions: async_sessionmaker[AsyncSession], kind: str, tables: frozenset[str]) -> Recent[Any, Any] | None:
    """The ``kind`` rows read lately through these sessions' database, one keeper shared by the repositories
    made on them, forgotten when ``tables`` are written (None for a session factory that keeps none)."""
    kept = getattr(sessions, "kept", None)
    return kept.of(kind, tables) if isinstance(kept, KeptRows) else None
