"""The check-in card as the outbox renders it, on SQLite and PostgreSQL: to the project channel
only."""

from __future__ import annotations

import json

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.features.attendance.deliveries import AttendanceDeliveries
from bot.outbox.addresses import channel_address, person_address
from bot.outbox.dispatcher import NotRelevant
from bot.outbox.renderers import Batch
from storage.models import Delivery
from storage.projects import ProjectRepository
from tests.storage.followup_seed import START, seed


async def test_a_check_in_planned_one_to_one_before_the_change_is_not_sent(
        sessions: async_sessionmaker[AsyncSession]) -> None:
    seeded = await seed(sessions, "c8", ["falun"])
    deliveries = AttendanceDeliveries(ProjectRepository(sessions))
    payload = json.dumps({"meeting_id": seeded.meeting_ids[0]})
    posted = await deliveries.checkin(Delivery(kind="checkin", source="x", recipient=channel_address("19:c"),
                                               payload=payload, due_at=START), Batch())
    assert posted.attachments
    with pytest.raises(NotRelevant):
        await deliveries.checkin(Delivery(kind="checkin", source="x", recipient=person_address(seeded.people[0]),
                                          payload=payload, due_at=START), Batch())
