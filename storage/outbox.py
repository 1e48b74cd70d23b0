"""The delivery outbox: planned messages as rows, claimed atomically by whoever dispatches.

Claiming uses ``FOR UPDATE SKIP LOCKED`` on PostgreSQL so several bot replicas never take the
same row; on SQLite (one writer at a time) the UPDATE re-checks that a row is still claimable."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Delivery

STALE_CLAIM = timedelta(minutes=5)
"""A row left in "sending" this long belongs to a process that died; it is claimed again."""


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
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def plan(self, planned: Sequence[PlannedDelivery]) -> int:
        """Insert what is not there yet (the unique key makes planning idempotent); returns how many
        rows were new."""
        if not planned:
            return 0
        async with self._sessions.begin() as session:
            insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
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
        """Take up to ``limit`` due rows (and rows a dead process left half-done) for sending."""
        async with self._sessions.begin() as session:
            claimable = or_(
                and_(Delivery.state == "pending", Delivery.due_at <= now),
                and_(Delivery.state == "sending", Delivery.claimed_at < now - STALE_CLAIM),
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
                .values(state="sending", claimed_at=now, attempts=Delivery.attempts + 1)
                .returning(Delivery.id)
            )).all())
            if not ids:
                return []
            rows = await session.scalars(select(Delivery).where(Delivery.id.in_(ids)).order_by(Delivery.due_at))
            return list(rows)

    async def mark_sent(self, delivery_id: int, activity_id: str | None, now: datetime) -> None:
        await self._set(delivery_id, state="sent", sent_at=now, activity_id=activity_id, last_error="")

    async def mark_retry(self, delivery_id: int, error: str, next_due: datetime) -> None:
        await self._set(delivery_id, state="pending", due_at=next_due, last_error=error[:500])

    async def mark_failed(self, delivery_id: int, error: str) -> None:
        await self._set(delivery_id, state="failed", last_error=error[:500])

    async def mark_skipped(self, delivery_id: int, reason: str) -> None:
        await self._set(delivery_id, state="skipped", last_error=reason[:500])

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

    async def _set(self, delivery_id: int, **values: Any) -> None:
        async with self._sessions.begin() as session:
            await session.execute(update(Delivery).where(Delivery.id == delivery_id).values(**values))


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
