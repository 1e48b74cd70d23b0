"""Personal flows belong in the personal chat (issue 13). In a team channel or group chat, anything that
shows or asks for personal data (a registration form with e-mail and dietary needs, someone's own
answers, lists of names, export links) runs as usual, but every reply goes to the sender's 1:1 chat
(opened by the bot when there is none yet), and the shared conversation gets one neutral line.

Which commands and card verbs are personal is declared with them (``personal=True`` on a command,
``shared=True`` on the few verbs that answer in the shared conversation: bot/core/router.py).
A card in a shared conversation can be pressed by anyone in it: the handler always acts for the
person who pressed (ids on the card are checked against them by the features), and what the press
would show goes to the presser's 1:1 chat; the shared card itself is never overwritten with it.

```mermaid
flowchart LR
    A["@DalaLab anmäl (channel)"] --> B{personal?}
    B -- yes --> C[feature runs with PersonalChat] --> D[replies 1:1] --> E["channel: one neutral line"]
    B -- no --> F[replies in the channel]
```
"""

from __future__ import annotations

import copy

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ResourceResponse

from bot.teams.proactive import Messenger


class PersonalChat(TurnContext):
    """The turn of a message from a channel or group chat, with its replies sent to the sender's 1:1 chat."""

    def __init__(self, context: TurnContext, messenger: Messenger, person_id: int) -> None:
        super().__init__(context)
        self._turn_state = context.turn_state
        self._messenger = messenger
        self._person_id = person_id
        self.sent = 0
        """Messages delivered to the personal chat during the turn."""

    async def send_activities(self, activities: list[Activity]) -> list[ResourceResponse]:
        responses = []
        for activity in activities:
            outgoing = copy.copy(activity)
            outgoing.type = outgoing.type or "message"
            outgoing.reply_to_id = None
            sent = await self._messenger.send_to_person(self._person_id, outgoing)
            self.sent += 1
            responses.append(ResourceResponse(id=sent or ""))
        if responses:
            self.responded = True
        return responses

    async def update_activity(self, activity: Activity) -> ResourceResponse | None:
        """The card being replaced is in the shared conversation: its replacement goes 1:1 instead."""
        fresh = copy.copy(activity)
        fresh.id = None
        [response] = await self.send_activities([fresh])
        return response
