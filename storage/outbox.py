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
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select, tuple_, update
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
            insert = dialect_insert(session)
            rows = [_row(p) for p in planned]
            new = 0
            for start in range(0, len(rows), 500):
                statement = insert(Delivery).values(rows[start : start + 500]).on_conflict_do_nothing(
                    index_elements=["kind", "source", "recipient"]
                )
                result = await session.execute(statement)
                new += result.rowcount or 0  # type: ignore[attr-defined]
            return new

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
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(Delivery)
                .where(Delivery.id == delivery_id, Delivery.attempts == attempts, Delivery.state == "claimed")
                .values(state="sending", claimed_at=now)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

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
        return await self._set(delivery_id, attempts, state="sent", sent_at=now, activity_id=activity_id,
                               last_error=note[:500])

    async def mark_retry(self, delivery_id: int, error: str, next_due: datetime, attempts: int | None = None) -> bool:
        return await self._set(delivery_id, attempts, state="pending", due_at=next_due, last_error=error[:500])

    async def mark_failed(self, delivery_id: int, error: str, attempts: int | None = None) -> bool:
        return await self._set(delivery_id, attempts, state="failed", last_error=error[:500])

    async def mark_skipped(self, delivery_id: int, reason: str, attempts: int | None = None) -> bool:
        return await self._set(delivery_id, attempts, state="skipped", last_error=reason[:500])

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

    async def _set(self, delivery_id: int, attempts: int | None, **values: Any) -> bool:
        """Record an outcome. With ``attempts`` (the caller's claim) only while the caller still owns
        the row; returns whether a row changed."""
        condition = [Delivery.id == delivery_id]
        if attempts is not None:
            condition += [Delivery.attempts == attempts, Delivery.state.in_(OWNED)]
        async with self._sessions.begin() as session:
            result = await session.execute(update(Delivery).where(*condition).values(**values))
            return bool(result.rowcount)  # type: ignore[attr-defined]


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
