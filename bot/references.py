"""Turning an activity into what storage keeps about a conversation and its sender."""

from __future__ import annotations

import json

from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from bot.wire import to_json
from storage.people import ConversationSeen, Visitor

PEOPLE_ACTIVITIES = ("message", "invoke", "installationUpdate")


def conversation_kind(activity: Activity) -> str:
    conversation = activity.conversation
    kind = getattr(conversation, "conversation_type", None) if conversation else None
    if kind in ("personal", "groupChat", "channel"):
        return str(kind)
    return "personal"


def conversation_seen(activity: Activity) -> ConversationSeen:
    channel_data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    reference = TurnContext.get_conversation_reference(activity)
    # The incoming message's id changes every turn but is never needed to write proactively;
    # leaving it out lets an unchanged conversation skip the database write (most turns).
    reference.activity_id = None
    return ConversationSeen(
        conversation_id=activity.conversation.id,
        kind=conversation_kind(activity),
        service_url=activity.service_url,
        reference=json.dumps(to_json(reference), ensure_ascii=False, sort_keys=True),
        tenant_id=(channel_data.get("tenant") or {}).get("id") or activity.conversation.tenant_id,
        team_id=(channel_data.get("team") or {}).get("id"),
        channel_id=(channel_data.get("channel") or {}).get("id"),
    )


def visitor_of(activity: Activity, tenant_id: str | None) -> Visitor | None:
    sender = activity.from_property
    if sender is None or not sender.id:
        return None
    return Visitor(
        teams_id=sender.id,
        name=sender.name or "",
        aad_object_id=(sender.aad_object_id or "").lower() or None,
        tenant_id=tenant_id,
        locale=activity.locale,
    )
