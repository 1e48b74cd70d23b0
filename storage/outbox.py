"""The delivery outbox: planned messages as rows, claimed atomically by whoever dispatches.

Claiming uses ``FOR UPDATE SKIP LOCKED`` on PostgreSQL so several bot replicas never take the
same row; on SQLite (one writer at a time) the UPDATE re-checks that a row is still claimable.

The claim protocol (see README, "Security and privacy"): a dispatcher claims a batch, which puts the
rows in "claimed" (owned, not attempted yet). Only the row it is sending right now is "sending". The
owner renews its lease (``claimed_at``) while it works; a row whose lease ran out belongs to a dead
process and is claimed again. A "claimed" row was never attempted, so taking it over is safe. A
"sending" row is in doubt (the request may have reached Teams): it is sent again, so delivery is
at least once for those few rows, and the row keeps the note ``IN_DOUBT``. Every claim adds one to
``attempts``, which is the fencing token: a dispatcher can only move a row it still owns."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Table, and_, bindparam, case, func, literal_column, or_, select, tuple_, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db import dialect_insert
from storage.models import Delivery

STALE_CLAIM = timedelta(minutes=5)
"""Default lease: a "claimed" or "sending" row not renewed this long belongs to a process that died
and is claimed again (DALALAB_STALE_CLAIM_SECONDS)."""
IN_DOUBT = "in doubt: its sender died mid-send; sent again"
"""Kept on a row that was "sending" when its owner died: the person may have got it twice."""
OWNED = ("claimed", "sending")
DATABASE_ERRORS: tuple[type[BaseException], ...] = (SQLAlchemyError, OSError)
"""What an unavailable database raises (asyncpg's connection errors are OSErrors)."""


@dataclass(frozen=True)
class PlannedDelivery:
    kind: str
    source: str
    recipient: str
    due_at: datetime
    project_id: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    relevant_until: datetime | None = None


@dataclass(frozen=True)
class DeliveryStatus:
    recipient: str
    state: str
    attempts: int
    last_error: str
    sent_at: datetime | None


class Outbox:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], stale_claim: timedelta = STALE_CLAIM) -> None:
        self._sessions = sessions
        self._stale_claim = stale_claim

    async def plan(self, planned: Sequence[PlannedDelivery]) -> int:
        """Insert what is not there yet (the unique key makes planning idempotent); returns how many
        rows were new."""
        if not planned:
            return 0
        async with self._sessions.begin() as session:
            # One statement with the rows as parameters: SQLAlchemy sends them in pages of multi-row VALUES
            # ("insertmanyvalues") from one compiled form, where a statement with the rows in it was compiled
            # anew for every 500 (most of a 10,000-message plan's time). What it returns is what was new.
            connection = await session.connection()
            inserted = await connection.execute(_plan_statement(dialect_insert(session)), [_row(p) for p in planned])
            return len(inserted.all())

    async def reschedule(self, kind: str, source: str, due_at: datetime, relevant_until: datetime | None) -> int:
        """Move the pending rows of one source (a meeting's reminder that changed time)."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(Delivery)
                .where(Delivery.kind == kind, Delivery.source == source, Delivery.state == "pending")
                .values(due_at=due_at, relevant_until=relevant_until)
            )
            return result.rowcount or 0  # type: ignore[attr-defined]

    async def claim_due(self, now: datetime, limit: int = 200) -> list[Delivery]:
        """Claim up to ``limit`` due rows (and rows whose owner's lease ran out): they become "claimed"
        by the caller, with ``attempts`` one higher (the caller's fencing token)."""
        async with self._sessions.begin() as session:
            claimable = or_(
                and_(Delivery.state == "pending", Delivery.due_at <= now),
                and_(Delivery.state.in_(OWNED), Delivery.claimed_at < now - self._stale_claim),
            )
            due = select(Delivery.id).where(claimable).order_by(Delivery.due_at, Delivery.id).limit(limit)
            if session.get_bind().dialect.name == "postgresql":
                due = due.with_for_update(skip_locked=True)
            ids = list((await session.scalars(due)).all())
            if not ids:
                return []
            # On SQLite the SELECT takes no lock, so another claimer may have read the same ids:
            # re-checking the condition in the UPDATE leaves each row to whoever writes first.
            ids = list((await session.scalars(
                update(Delivery)
                .where(Delivery.id.in_(ids), claimable)
                .values(state="claimed", claimed_at=now, attempts=Delivery.attempts + 1,
                        last_error=case((Delivery.state == "sending", IN_DOUBT), else_=Delivery.last_error))
                .returning(Delivery.id)
            )).all())
            if not ids:
                return []
            rows = await session.scalars(select(Delivery).where(Delivery.id.in_(ids)).order_by(Delivery.due_at))
            return list(rows)

    async def start_sending(self, delivery_id: int, attempts: int, now: datetime) -> bool:
        """Move a row the caller claimed (``attempts`` as claimed) to "sending", right before the
        request goes out. False when the caller no longer owns it (taken over, or cancelled)."""
        return delivery_id in await self.start_sending_many([(delivery_id, attempts)], now)

    async def start_sending_many(self, claims: Sequence[tuple[int, int]], now: datetime) -> set[int]:
        """``start_sending`` for several rows (id, attempts as claimed) in one statement; returns the
        ids the caller still owned and that are now "sending"."""
        if not claims:
            return set()
        async with self._sessions.begin() as session:
            started = await session.scalars(
                update(Delivery)
                .where(tuple_(Delivery.id, Delivery.attempts).in_(list(claims)), Delivery.state == "claimed")
                .values(state="sending", claimed_at=now)
                .returning(Delivery.id)
            )
            return set(started.all())

    async def record(self, outcomes: Sequence[Outcome]) -> None:
        """Record several outcomes in one transaction, each only while the caller still owns the row
        (as ``mark_sent`` and the others do); the sent ones in one batched statement (whose row
        count drivers do not report reliably, so none is returned)."""
        sent: list[Outcome] = []
        others: list[Outcome] = []
        for outcome in outcomes:
            batched = outcome.values.get("state") == "sent" and outcome.attempts is not None
            (sent if batched else others).append(outcome)
        async with self._sessions.begin() as session:
            if sent:
                await session.execute(_RECORD_SENT, [
                    {"row_id": o.delivery_id, "row_attempts": o.attempts, "new_sent_at": o.values["sent_at"],
                     "new_activity_id": o.values.get("activity_id"), "new_last_error": o.values.get("last_error", "")}
                    for o in sent
                ])
            for outcome in others:
                await session.execute(_update_for(outcome))

    async def renew(self, delivery_ids: Sequence[int], now: datetime) -> int:
        """Extend the lease on rows the caller still holds, so a live dispatcher is never taken over."""
        if not delivery_ids:
            return 0
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(Delivery).where(Delivery.id.in_(list(delivery_ids)), Delivery.state.in_(OWNED))
                .values(claimed_at=now)
            )
            return result.rowcount or 0  # type: ignore[attr-defined]

    async def release(self, claims: Sequence[tuple[int, int]]) -> int:
        """Hand back rows claimed but never attempted, given as (id, attempts): pending again at
        once, and the claim does not count as an attempt (a dispatcher stopping or shutting down)."""
        if not claims:
            return 0
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(Delivery)
                .where(tuple_(Delivery.id, Delivery.attempts).in_(list(claims)), Delivery.state == "claimed")
                .values(state="pending", claimed_at=None, attempts=Delivery.attempts - 1)
            )
            return result.rowcount or 0  # type: ignore[attr-defined]

    async def mark_sent(self, delivery_id: int, activity_id: str | None, now: datetime,
                        attempts: int | None = None, note: str = "") -> bool:
        return await self._set(Outcome.sent(delivery_id, attempts, activity_id, now, note))

    async def mark_retry(self, delivery_id: int, error: str, next_due: datetime, attempts: int | None = None) -> bool:
        return await self._set(Outcome.retry(delivery_id, attempts, error, next_due))

    async def mark_failed(self, delivery_id: int, error: str, attempts: int | None = None) -> bool:
        return await self._set(Outcome.failed(delivery_id, attempts, error))

    async def mark_skipped(self, delivery_id: int, reason: str, attempts: int | None = None) -> bool:
        return await self._set(Outcome.skipped(delivery_id, attempts, reason))

    async def cancel_pending(self, kind: str, source: str) -> int:
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(Delivery)
                .where(Delivery.kind == kind, Delivery.source == source, Delivery.state == "pending")
                .values(state="cancelled")
            )
            return result.rowcount or 0  # type: ignore[attr-defined]

    async def next_due_at(self) -> datetime | None:
        async with self._sessions() as session:
            return await session.scalar(select(func.min(Delivery.due_at)).where(Delivery.state == "pending"))

    async def status(self, kind: str, source_prefix: str) -> list[DeliveryStatus]:
        async with self._sessions() as session:
            rows = await session.execute(
                select(Delivery.recipient, Delivery.state, Delivery.attempts, Delivery.last_error, Delivery.sent_at)
                .where(Delivery.kind == kind, Delivery.source.startswith(source_prefix))
                .order_by(Delivery.id)
            )
            return [DeliveryStatus(*row) for row in rows.tuples()]

    async def sent_recipients(self, kind: str, source_prefix: str) -> set[str]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Delivery.recipient).where(
                    Delivery.kind == kind, Delivery.source.startswith(source_prefix), Delivery.state == "sent"
                )
            )
            return set(rows)

    async def sent_about(self, recipients: Collection[str], sources: Sequence[str], prefixes: Sequence[str],
                         since: datetime) -> dict[str, list[datetime]]:
        """When each of ``recipients`` was sent something since ``since`` from one of ``sources`` or
        a source starting with one of ``prefixes`` (what a person has heard about a meeting today)."""
        about = or_(Delivery.source.in_(list(sources)), *(Delivery.source.startswith(p) for p in prefixes))
        async with self._sessions() as session:
            rows = await session.execute(
                select(Delivery.recipient, Delivery.sent_at).where(
                    Delivery.recipient.in_(list(recipients)), Delivery.state == "sent", Delivery.sent_at >= since,
                    about))
            sent: dict[str, list[datetime]] = {}
            for recipient, at in rows.tuples():
                if at is not None:
                    sent.setdefault(recipient, []).append(at)
            return sent

    async def _set(self, outcome: Outcome) -> bool:
        """Record one outcome. With ``attempts`` (the caller's claim) only while the caller still owns
        the row; returns whether a row changed."""
        async with self._sessions.begin() as session:
            result = await session.execute(_update_for(outcome))
            return bool(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Outcome:
    """What became of a send, for ``Outbox.record``: the row, the caller's claim (attempts) and the
    values to set; the ``sent``, ``retry``, ``failed`` and ``skipped`` constructors say which."""

    delivery_id: int
    attempts: int | None
    values: dict[str, Any]

    @classmethod
    def sent(cls, delivery_id: int, attempts: int | None, activity_id: str | None, now: datetime,
             note: str = "") -> Outcome:
        return cls(delivery_id, attempts, {"state": "sent", "sent_at": now, "activity_id": activity_id,
                                           "last_error": note[:500]})

    @classmethod
    def retry(cls, delivery_id: int, attempts: int | None, error: str, next_due: datetime) -> Outcome:
        return cls(delivery_id, attempts, {"state": "pending", "due_at": next_due, "last_error": error[:500]})

    @classmethod
    def deferred(cls, delivery_id: int, attempts: int | None, reason: str, due: datetime) -> Outcome:
        """Pending again at ``due``; the claim is handed back, so it is not counted as an attempt."""
        return cls(delivery_id, attempts, {"state": "pending", "due_at": due, "claimed_at": None,
                                           "attempts": Delivery.attempts - 1, "last_error": reason[:500]})

    @classmethod
    def failed(cls, delivery_id: int, attempts: int | None, error: str) -> Outcome:
        return cls(delivery_id, attempts, {"state": "failed", "last_error": error[:500]})

    @classmethod
    def skipped(cls, delivery_id: int, attempts: int | None, reason: str) -> Outcome:
        return cls(delivery_id, attempts, {"state": "skipped", "last_error": reason[:500]})


def _update_for(outcome: Outcome) -> Any:
    """The UPDATE recording ``outcome``: with a claim (attempts), only while the claimer owns the row."""
    condition = [Delivery.id == outcome.delivery_id]
    if outcome.attempts is not None:
        condition += [Delivery.attempts == outcome.attempts, Delivery.state.in_(OWNED)]
    return update(Delivery).where(*condition).values(**outcome.values)


_TABLE: Table = Delivery.__table__  # type: ignore[assignment]
_RECORD_SENT = (  # a Core statement: executed with a list of parameters it is one executemany
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("row_id"), _TABLE.c.attempts == bindparam("row_attempts"),
           # OWNED as literals: an expanding IN cannot be used with executemany
           _TABLE.c.state.in_([literal_column(f"'{state}'") for state in OWNED]))
    .values(state="sent", sent_at=bindparam("new_sent_at"), activity_id=bindparam("new_activity_id"),
            last_error=bindparam("new_last_error"))
)


@cache
def _plan_statement(insert: Callable[..., Any]) -> Any:
    return insert(Delivery).on_conflict_do_nothing(index_elements=["kind", "source", "recipient"]) \
        .returning(Delivery.id)


def _row(planned: PlannedDelivery) -> dict[str, Any]:
    return {
        "kind": planned.kind,
        "source": planned.source,
        "recipient": planned.recipient,
        "project_id": planned.project_id,
        "payload": json.dumps(planned.payload, sort_keys=True),
        "due_at": planned.due_at,
        "relevant_until": planned.relevant_until,
        "state": "pending",
        "attempts": 0,
        "last_error": "",
        "created_at": datetime.now(planned.due_at.tzinfo),
    }
