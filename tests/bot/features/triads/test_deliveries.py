"""A triad round's announcement as the outbox renders it: each person's own group and question,
nothing before the round is confirmed, nothing for a broken row."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.features.triads.deliveries import TriadDeliveries
from bot.features.triads.service import TriadService
from bot.outbox.addresses import person_address
from bot.outbox.dispatcher import NotRelevant
from bot.outbox.renderers import Batch
from storage.models import Delivery
from tests.bot.features.triads.test_service import clock, project_with, proposed, service  # noqa: F401 - fixtures


async def test_the_outbox_renders_the_announcement_or_skips_it(
    sessions: async_sessionmaker[AsyncSession], service: TriadService  # noqa: F811
) -> None:
    project, people = await project_with(sessions, ["falun", "mora", "vansbro"])
    proposal = await proposed(service, project)
    delivery = Delivery(kind="triad", source="x", recipient=person_address(people[1]),
                        payload=f'{{"round_id": {proposal.round_id}}}')
    render = TriadDeliveries(service).renderers()["triad"]
    with pytest.raises(NotRelevant):
        await render(delivery, Batch())  # not confirmed
    await service.confirm(proposal.round_id, "Vad är svårast?")
    activity = await render(delivery, Batch())
    content = str(activity.attachments[0].content)
    assert "Ditt triadsamtal på träff 1" in content and "Person 0, Falu kommun" in content
    assert "Vad är svårast?" in content and "Person 1, " not in content
    for broken in ('{"round_id": "1"}', "{}"):
        with pytest.raises(NotRelevant):
            await render(Delivery(kind="triad", source="x", recipient=person_address(1), payload=broken), Batch())
