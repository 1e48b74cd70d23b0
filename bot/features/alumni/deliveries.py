"""How the outbox renders the alumni phase's messages: the alumni notice, the exchange prompt, its
digest and alumni announcements. Each checks at send time that the message still makes sense (an
opt-out, or the prompt turned off, since it was planned)."""

from __future__ import annotations

from urllib.parse import quote

from botbuilder.schema import Activity

from bot.core.actions import card_activity
from bot.core.i18n import t
from bot.features.alumni.cards import announcement_card, digest_card, prompt_card, welcome_card
from bot.features.alumni.rules import audience_projects, channel_prompted, digest_due
from bot.features.alumni.service import DIGEST, MESSAGE, PROMPT, WELCOME
from bot.outbox.addresses import person_of
from bot.outbox.dispatcher import NotRelevant
from bot.outbox.renderers import Batch, Renderer, payload
from storage.alumni import ALUMNI, AlumniRepository
from storage.broadcasts import BroadcastRepository
from storage.models import Delivery
from storage.people import PeopleRepository
from storage.projects import ProjectRepository

TEAMS_CHANNEL_LINK = "https://teams.microsoft.com/l/channel/{channel}/{name}?groupId={group}&tenantId={tenant}"


class AlumniDeliveries:
    def __init__(self, projects: ProjectRepository, alumni: AlumniRepository, broadcasts: BroadcastRepository,
                 people: PeopleRepository) -> None:
        self._projects = projects
        self._alumni = alumni
        self._broadcasts = broadcasts
        self._people = people

    def renderers(self) -> dict[str, Renderer]:
        return {WELCOME: self.welcome, PROMPT: self.prompt, DIGEST: self.digest, MESSAGE: self.announcement}

    async def welcome(self, delivery: Delivery, _batch: Batch) -> Activity:
        project = await self._projects.by_id(int(payload(delivery)["project_id"]))
        if project is None or project.state != ALUMNI or not project.alumni_channel_id:
            raise NotRelevant("the project is not in alumni mode")
        if _person(delivery) not in await self._alumni.recipients([project.id]):
            raise NotRelevant("opted out of alumni messages")
        url = await self._channel_link(project.alumni_channel_id)
        return card_activity(welcome_card(project.name, project.id, url))

    async def prompt(self, delivery: Delivery, _batch: Batch) -> Activity:
        prompt = await self._alumni.prompt(int(payload(delivery)["prompt_id"]))
        if prompt is None:
            raise NotRelevant("the prompt is gone")
        projects = [p for p in await self._alumni.projects_on_channel(prompt.channel_id) if p.state == ALUMNI]
        if not channel_prompted(p.alumni_prompt for p in projects):
            raise NotRelevant("the channel's prompt was turned off")
        return card_activity(prompt_card(prompt.id, prompt.question, digest_due(prompt.asked_at)))

    async def digest(self, delivery: Delivery, _batch: Batch) -> Activity:
        prompt = await self._alumni.prompt(int(payload(delivery)["prompt_id"]))
        if prompt is None:
            raise NotRelevant("the prompt is gone")
        replies = await self._alumni.replies(prompt.id)
        if not replies:
            raise NotRelevant("nobody replied")
        await self._alumni.mark_digest_sent(prompt.id, delivery.due_at)
        return card_activity(digest_card(prompt.question, replies))

    async def announcement(self, delivery: Delivery, _batch: Batch) -> Activity:
        broadcast = await self._broadcasts.by_id(int(payload(delivery)["broadcast_id"]))
        if broadcast is None or broadcast.state != "confirmed":
            raise NotRelevant("the announcement was cancelled")
        project_ids = audience_projects(broadcast.audience)
        if _person(delivery) not in await self._alumni.recipients(project_ids):
            raise NotRelevant("opted out of alumni messages")
        names = [p.name for p in [await self._projects.by_id(i) for i in project_ids] if p is not None]
        return card_activity(announcement_card(names, broadcast.text))

    async def _channel_link(self, channel_id: str) -> str | None:
        """A Teams deep link to the channel: it needs the team's group id (channelData.team.aadGroupId,
        kept from the team's activities) and the tenant. Without them there is no link; the notice
        also says in words where the channel is."""
        known = await self._people.conversation_in_channel(channel_id)
        if known is None or not known.tenant_id:
            return None
        group = known.aad_group_id or (await self._people.team_group_id(known.team_id) if known.team_id else None)
        if not group:
            return None
        return TEAMS_CHANNEL_LINK.format(channel=quote(channel_id, safe=""), name=quote(t("alumni.channel_name")),
                                         group=quote(group, safe=""),
                                         tenant=quote(known.tenant_id, safe=""))


def _person(delivery: Delivery) -> int | None:
    return person_of(delivery.recipient)
