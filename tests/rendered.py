"""What a feature's outbox renderer sends for one delivery, as text the tests can search."""

from __future__ import annotations

from bot.outbox.renderers import Batch, Renderer
from storage.models import Delivery


async def rendered(render: Renderer, delivery: Delivery) -> str:
    """The card's content for ``delivery``, rendered on its own (outside a prepared batch)."""
    activity = await render(delivery, Batch())
    assert activity.attachments, activity
    return str(activity.attachments[0].content)
