"""The Teams edge: parse what arrived, call a use case, send what it returns."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from weakref import WeakValueDictionary

from botbuilder.core import (
    CardFactory,
    ConversationState,
    InvokeResponse,
    MessageFactory,
    TurnContext,
    UserState,
)
from botbuilder.core.teams import TeamsActivityHandler, TeamsInfo
from botbuilder.schema import Activity, ChannelAccount

from bot.core.clock import Clock
from bot.core.commands import CommandTable, Role
from bot.core.help_card import help_card
from bot.core.i18n import current_language, language_of, t, use_language, use_now, use_zone
from bot.core.markdown import literal
from bot.core.personal_chat import PersonalChat
from bot.core.router import Action, Router, Routes
from bot.core.settings import Settings
from bot.core.turn import Turn
from bot.core.welcome_card import welcome_card
from bot.teams.proactive import Messenger
from bot.teams.references import PEOPLE_ACTIVITIES, conversation_kind, conversation_seen, fingerprint, visitor_of
from storage.coordinators import CoordinatorRepository
from storage.people import PeopleRepository, Visitor

log = logging.getLogger(__name__)

MAX_TEXT = 4000
PERSON_ID = "dalalab.person_id"
COORDINATORS = "dalalab.coordinators"

router = Router("core")


class DalaLabBot(TeamsActivityHandler):
    def __init__(
        self,
        settings: Settings,
        people: PeopleRepository,
        conversation_state: ConversationState,
        user_state: UserState,
        routes: Routes,
        commands: CommandTable,
        coordinators: CoordinatorRepository | None = None,
        clock: Clock = lambda: datetime.now(UTC),
        messenger: Messenger | None = None,
    ) -> None:
        self._coordinators = coordinators
        self._clock = clock
        self._messenger = messenger
        self._settings = settings
        self._people = people
        self._conversation_state = conversation_state
        self._user_state = user_state
        self._locks: WeakValueDictionary[str, asyncio.Lock] = WeakValueDictionary()
        self._help_cards: dict[tuple[Role, bool, str], dict[str, Any]] = {}
        self._commands = commands
        self._routes = routes
        routes.bind(router, self)
        routes.check(commands.commands)

    async def on_turn(self, turn_context: TurnContext) -> None:
        """One turn at a time per conversation, in the sender's language; state saved once at the end."""
        activity = turn_context.activity
        lock = self._lock_for(activity.conversation.id if activity.conversation else "")
        if not self._from_our_tenant(activity):
            log.warning("ignored a %s activity from another tenant", activity.type)
            return
        async with lock:
            # The clock decides which dates show their year ("tisdag 22 februari 2028" from 2027).
            with (use_language(language_of(activity.locale, self._settings.language)), use_now(self._clock()),
                  use_zone(self._settings.zone)):
                turn_context.turn_state[PERSON_ID] = await self._remember(turn_context)
                turn_context.turn_state[COORDINATORS] = await self._coordinator_ids()
                await super().on_turn(turn_context)
                await self._conversation_state.save_changes(turn_context)
                await self._user_state.save_changes(turn_context)

    def _from_our_tenant(self, activity: Activity) -> bool:
        """With MicrosoftAppTenantId set, only that tenant's activities are handled."""
        expected = self._settings.app_tenant_id
        if not expected:
            return True
        channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
        tenant = (channel_data.get("tenant") or {}).get("id") or getattr(activity.conversation, "tenant_id", None)
        return bool(tenant) and str(tenant).lower() == expected.lower()

    async def _coordinator_ids(self) -> frozenset[str]:
        """Coordinators by Entra ID object id: the configured ones plus those added in chat."""
        if self._coordinators is None:
            return self._settings.coordinator_ids
        return self._settings.coordinator_ids | await self._coordinators.ids()

    def _lock_for(self, conversation_id: str) -> asyncio.Lock:
        lock = self._locks.get(conversation_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[conversation_id] = lock
        return lock

    # --- messages -------------------------------------------------------------------------

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        turn = self._parse(turn_context)
        if isinstance(activity.value, dict) and not turn.text:
            await self._on_card_submit(turn_context, turn, activity.value)
            return
        matched = self._commands.match(turn.text)
        # A text dialog under way gets plain text before command matching; a command ends it.
        for step, cancel in self._routes.dialogs:
            if matched is not None:
                await cancel(turn_context)
            elif await step(turn_context, turn):
                return
        if matched is None:
            await self._unknown(turn_context, turn)
            return
        if matched.command.role is Role.COORDINATOR and turn.role is not Role.COORDINATOR:
            await turn_context.send_activity(t("error.not_allowed"))
            return
        turn = replace(turn, argument=matched.argument)
        action = self._routes.commands[matched.command.name]
        if turn.in_channel and matched.command.personal:
            await self._in_personal_chat(turn_context, turn, action)
            return
        await action(turn_context, turn)

    async def _on_card_submit(self, turn_context: TurnContext, turn: Turn, value: dict[str, Any]) -> None:
        name = value.get("verb")
        route = self._routes.verbs.get(name) if isinstance(name, str) else None
        if route is None:
            await turn_context.send_activity(t("card.unknown_action"))
            return
        verb, action = route
        if verb.role is Role.COORDINATOR and turn.role is not Role.COORDINATOR:
            await turn_context.send_activity(t("error.not_allowed"))
            return
        turn = replace(turn, value=value)
        if turn.in_channel and not verb.shared:
            # Anyone in the conversation can press a card posted there: the action is the presser's own.
            await self._in_personal_chat(turn_context, turn, action)
            return
        await action(turn_context, turn)

    async def _in_personal_chat(self, turn_context: TurnContext, turn: Turn, action: Action) -> None:
        """Run ``action`` with its replies in the sender's 1:1 chat; one neutral line in the shared one."""
        if self._messenger is None or turn.person_id is None:
            await turn_context.send_activity(t("personal.unreachable"))
            return
        personal = PersonalChat(turn_context, self._messenger, turn.person_id)
        await action(personal, replace(turn, in_channel=False))
        if personal.sent:
            await turn_context.send_activity(t("personal.moved"))

    def _parse(self, turn_context: TurnContext) -> Turn:
        activity = turn_context.activity
        in_channel = conversation_kind(activity) != "personal"
        text = _without_bot_mention(activity) if in_channel else (activity.text or "")
        text = text.strip()[:MAX_TEXT]
        sender = activity.from_property or ChannelAccount(id="", name="")
        aad = (sender.aad_object_id or "").lower() or None
        coordinators = turn_context.turn_state.get(COORDINATORS) or self._settings.coordinator_ids
        role = Role.COORDINATOR if aad and aad in coordinators else Role.PARTICIPANT
        return Turn(
            text=text,
            argument="",
            role=role,
            in_channel=in_channel,
            teams_id=sender.id or "",
            aad_object_id=aad,
            name=sender.name or "",
            person_id=turn_context.turn_state.get(PERSON_ID),
        )

    @router.command("hjälp", "help", "hjalp", "?")
    @router.verb("help", shared=True)
    async def _help(self, turn_context: TurnContext, turn: Turn) -> None:
        # The card only depends on the role, the place and the language: built once for each
        # (a shared dict: nothing changes a card once built).
        key = (turn.role, turn.in_channel, current_language())
        card = self._help_cards.get(key)
        if card is None:
            card = self._help_cards[key] = help_card(self._commands.visible(turn.role), turn.in_channel)
        await turn_context.send_activity(MessageFactory.attachment(CardFactory.adaptive_card(card)))

    @router.command("om", "about", in_manifest=False)
    async def _about(self, turn_context: TurnContext, turn: Turn) -> None:
        await turn_context.send_activity(t("about.text"))

    @router.verb("command")
    async def _command_button(self, turn_context: TurnContext, turn: Turn) -> None:
        """A button that runs a command ("Schema", "Mina anmälningar"), as if it had been typed."""
        name = turn.value.get("command")
        command = self._commands.named(name) if isinstance(name, str) else None
        if command is None:
            await turn_context.send_activity(t("command.button.unknown"))
            return
        if command.role is Role.COORDINATOR and turn.role is not Role.COORDINATOR:
            await turn_context.send_activity(t("error.not_allowed"))
            return
        await self._routes.commands[command.name](turn_context, replace(turn, text=command.name, argument="", value={}))

    async def _unknown(self, turn_context: TurnContext, turn: Turn) -> None:
        for answer in self._routes.free_text:
            if await answer(turn_context, turn):
                return
        if not turn.text:
            await turn_context.send_activity(t("unknown.empty"))
            return
        shown = turn.text if len(turn.text) <= 60 else turn.text[:57] + "..."
        await turn_context.send_activity(t("unknown.text", text=literal(shown)))

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse | None:
        """Invokes the bot does not support get a 400, not botbuilder's default 501."""
        response = await super().on_invoke_activity(turn_context)
        if response is not None and response.status == 501:
            log.info("unsupported invoke %s", turn_context.activity.name)
            return InvokeResponse(status=400, body={"error": "unsupported invoke"})
        return response

    # --- installation and Teams' lifecycle events -----------------------------------------

    async def on_installation_update(self, turn_context: TurnContext) -> None:
        """``add``: a welcome (and in a team, the roster). ``add-upgrade`` is a new version of the app
        where it is installed already: no second welcome. ``remove``/``remove-upgrade``: the chat, or
        in a team every channel and thread of it, gets nothing more."""
        action = turn_context.activity.action
        if action == "add":
            await self.on_installation_update_add(turn_context)
        elif action in ("remove", "remove-upgrade"):
            await self.on_installation_update_remove(turn_context)
        else:
            log.info("installation update %s in a %s", action, conversation_kind(turn_context.activity))

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        in_channel = conversation_kind(turn_context.activity) != "personal"
        await turn_context.send_activity(MessageFactory.attachment(CardFactory.adaptive_card(welcome_card(in_channel))))
        team_id = _team_id(turn_context.activity)
        if team_id:
            await self._sync_roster(turn_context, team_id)

    async def _sync_roster(self, turn_context: TurnContext, team_id: str) -> None:
        """Store the team's members so reminders can reach people who never wrote to the bot."""
        members: list[Visitor] = []
        emails: dict[str, str] = {}
        tenant = conversation_seen(turn_context.activity).tenant_id
        token: str | None = None
        try:
            for _page in range(100):  # bounded: 100 pages of up to 500 members
                page = await TeamsInfo.get_paged_team_members(turn_context, team_id, token)
                for member in page.members or []:
                    aad = (member.aad_object_id or "").lower() or None
                    members.append(Visitor(member.id, member.name or "", aad, tenant, None))
                    if member.email:
                        emails[member.id] = member.email
                token = page.continuation_token
                if not token:
                    break
        except Exception:  # noqa: BLE001 - the roster is a convenience; installing must still work
            log.warning("could not read the roster of team %s", team_id, exc_info=True)
            return
        new = await self._people.remember_members(members, emails)
        log.info("team roster read: %d members, %d new", len(members), new)

    async def on_installation_update_remove(self, turn_context: TurnContext) -> None:
        await self._uninstalled(turn_context)

    async def _uninstalled(self, turn_context: TurnContext) -> None:
        """In a team the activity comes from the General channel, but the app leaves every channel
        and thread of the team with it."""
        team_id = _team_id(turn_context.activity)
        if team_id:
            ended = await self._people.uninstall_team(team_id)
        else:
            ended = await self._people.mark_uninstalled(turn_context.activity.conversation.id)
        log.info("uninstalled from a %s: %d conversation(s) get nothing more",
                 conversation_kind(turn_context.activity), ended)

    async def on_teams_members_removed(self, teams_members_removed: list[Any], team_info: Any,
                                       turn_context: TurnContext) -> None:
        """Teams also says the bot itself was removed (with or before the installation update)."""
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        if bot_id and any(member.id == bot_id for member in teams_members_removed):
            await self._uninstalled(turn_context)

    async def on_teams_team_deleted(self, team_info: Any, turn_context: TurnContext) -> None:
        await self._team_gone(team_info)

    async def on_teams_team_hard_deleted(self, team_info: Any, turn_context: TurnContext) -> None:
        await self._team_gone(team_info)

    async def _team_gone(self, team_info: Any) -> None:
        team_id = getattr(team_info, "id", None)
        if team_id:
            ended = await self._people.uninstall_team(str(team_id))
            log.info("team deleted: %d conversation(s) get nothing more", ended)

    async def on_teams_team_renamed(self, team_info: Any, turn_context: TurnContext) -> None:
        """Nothing the bot keeps carries the team's name (links use ids): it stays as it is."""
        log.info("team renamed")

    async def on_teams_channel_deleted(self, channel_info: Any, team_info: Any, turn_context: TurnContext) -> None:
        channel_id = getattr(channel_info, "id", None)
        if channel_id:
            ended = await self._people.uninstall_channel(str(channel_id))
            log.info("channel deleted: %d conversation(s) get nothing more", ended)

    # --- bookkeeping ----------------------------------------------------------------------

    async def _remember(self, turn_context: TurnContext) -> int | None:
        """Keep the conversation reference (and the person) for proactive messages later;
        returns the sender's person id. Events about the app leaving, or about other channels
        and the team itself, are not the conversation speaking: they store nothing."""
        activity = turn_context.activity
        if activity.conversation is None or not activity.service_url or not _speaks(activity):
            return None
        key = fingerprint(activity)
        known = self._people.remembered(key)
        if known is not None:
            return known
        seen = conversation_seen(activity)
        if not _installs(activity):
            seen = seen._replace(installs=False)
        visitor = visitor_of(activity, seen.tenant_id) if activity.type in PEOPLE_ACTIVITIES else None
        return await self._people.remember(visitor, seen, key)


def _without_bot_mention(activity: Activity) -> str:
    """The text without "<at>Bot</at>". botbuilder's remove_recipient_mention HTML-escapes the
    mention before matching it, so it never finds Teams' ``<at>`` tags; this does it literally."""
    text = activity.text or ""
    bot_id = activity.recipient.id if activity.recipient else None
    for entity in activity.entities or []:
        properties = getattr(entity, "additional_properties", None) or {}
        mentioned = properties.get("mentioned") or {}
        if entity.type == "mention" and mentioned.get("id") == bot_id:
            text = text.replace(str(properties.get("text") or ""), " ")
    return text


_EVENTS_ABOUT_OTHERS = frozenset({"channelCreated", "channelDeleted", "channelRenamed", "channelRestored",
                                  "teamArchived", "teamDeleted", "teamHardDeleted", "teamRenamed",
                                  "teamRestored", "teamUnarchived", "teamMemberRemoved"})


def _event_type(activity: Activity) -> str | None:
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    event = channel_data.get("eventType")
    return str(event) if event else None


def _speaks(activity: Activity) -> bool:
    """Whether the activity comes from its conversation as it is (not its removal, and not an event
    whose channel data describes another channel or the team)."""
    if activity.type == "installationUpdate":
        return activity.action not in ("remove", "remove-upgrade")
    if activity.type == "conversationUpdate":
        return _event_type(activity) not in _EVENTS_ABOUT_OTHERS and not _bot_among(activity.members_removed, activity)
    return True


def _installs(activity: Activity) -> bool:
    """Whether the activity shows the app is installed where it comes from."""
    if activity.type == "conversationUpdate":
        return _bot_among(activity.members_added, activity)
    return activity.type in ("message", "invoke", "installationUpdate")


def _bot_among(members: Any, activity: Activity) -> bool:
    bot_id = activity.recipient.id if activity.recipient else None
    return bool(bot_id) and any(getattr(member, "id", None) == bot_id for member in members or [])


def _team_id(activity: Activity) -> str | None:
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    team = channel_data.get("team")
    return str(team["id"]) if isinstance(team, dict) and team.get("id") else None
