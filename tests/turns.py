"""One turn through the bot in-process (botbuilder's TestAdapter), and what it sent: the turn-test
helper the handler and feature tests share."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from botbuilder.core import TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.schema import Activity

TurnLogic = Callable[[TurnContext], Awaitable[None]]


class TurnHandler(Protocol):
    """The bot (DalaLabBot), or anything else that takes a turn."""

    async def on_turn(self, turn_context: TurnContext) -> None: ...


@dataclass
class Sent:
    """What one turn sent (new messages) and updated (cards replaced in place), in order."""

    replies: list[Activity] = field(default_factory=list)
    updated: list[Activity] = field(default_factory=list)

    def text(self) -> str:
        return "\n".join(text_of(a) for a in [*self.replies, *self.updated])

    def card(self) -> dict[str, Any]:
        """The one card the turn sent or updated."""
        [activity] = self.updated or self.replies
        return dict(activity.attachments[0].content)


async def turn(bot: TurnHandler, activity: Activity) -> Sent:
    """Run ``activity`` through ``bot`` as Teams would deliver it, capturing what the bot sends."""
    return await run(bot.on_turn, activity)


async def run(logic: TurnLogic, activity: Activity) -> Sent:
    """Run ``activity`` through any turn logic (a feature or dialog on its own, say)."""
    # The adapter stamps every activity with its template's sender, recipient and conversation.
    adapter = TestAdapter(template_or_conversation=Activity(
        channel_id="msteams", service_url=activity.service_url, recipient=activity.recipient,
        from_property=activity.from_property, conversation=activity.conversation))
    sent = Sent()

    async def capture(_context: TurnContext, activities: list[Activity], next_send: Callable[[], Awaitable[Any]]
                      ) -> Any:
        sent.replies.extend(activities)
        return await next_send()

    async def capture_update(_context: TurnContext, activity: Activity, next_update: Callable[[], Awaitable[Any]]
                             ) -> Any:
        sent.updated.append(activity)
        return await next_update()

    async def captured(context: TurnContext) -> None:
        context.on_send_activities(capture)
        context.on_update_activity(capture_update)
        await logic(context)

    await adapter.process_activity(activity, captured)
    return sent


async def replies(bot: TurnHandler, activity: Activity) -> list[Activity]:
    """The new messages a turn sent."""
    return (await turn(bot, activity)).replies


def text_of(activity: Activity) -> str:
    """A message's text, or its card's content as a string."""
    if activity.text:
        return str(activity.text)
    return str(activity.attachments[0].content) if activity.attachments else ""
