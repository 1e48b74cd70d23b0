"""An activity's fingerprint changes whenever what is stored about its conversation or sender would."""

from __future__ import annotations

import gc
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.teams import wire
from bot.teams.references import conversation_seen, fingerprint, visitor_of
from tests.bot.teams.test_wire import accounts, conversations

base_activities = st.fixed_dictionaries(
    {"type": st.sampled_from(["message", "invoke", "conversationUpdate"]),
     "serviceUrl": st.sampled_from(["https://smba.example/emea/", "https://smba.example/amer/"]),
     "channelId": st.just("msteams"), "from": accounts, "recipient": accounts, "conversation": conversations},
    optional={"locale": st.sampled_from(["sv-SE", "en-US"]), "id": st.text(max_size=4),
              "channelData": st.fixed_dictionaries({}, optional={
                  "tenant": st.fixed_dictionaries({"id": st.sampled_from(["t1", "t2"])}),
                  "team": st.fixed_dictionaries({"id": st.sampled_from(["team-1", "team-2"])}, optional={
                      "aadGroupId": st.sampled_from(["g-1", "g-2"])}),
                  "channel": st.fixed_dictionaries({"id": st.sampled_from(["c1", "c2"])})})})


def stored(body: dict[str, Any]) -> tuple[Any, Any]:
    activity = wire.activity_from_json(json.loads(json.dumps(body)))
    seen = conversation_seen(activity)
    return seen, visitor_of(activity, seen.tenant_id) if activity.type != "conversationUpdate" else None


@settings(max_examples=300, deadline=None)
@given(base_activities, base_activities, st.sets(st.sampled_from(
    ["type", "serviceUrl", "from", "recipient", "conversation", "locale", "id", "channelData"])))
def test_equal_fingerprints_mean_equal_stored_values(first: dict[str, Any], second: dict[str, Any],
                                                      taken: set[str]) -> None:
    mixed = {**first, **{key: second[key] for key in taken if key in second}}
    for key in taken - set(second):
        mixed.pop(key, None)
    one = wire.activity_from_json(json.loads(json.dumps(first)))
    other = wire.activity_from_json(json.loads(json.dumps(mixed)))
    if fingerprint(one) == fingerprint(other):
        assert stored(first) == stored(mixed)


def test_the_incoming_message_id_does_not_change_the_fingerprint() -> None:
    body = {"type": "message", "id": "1", "serviceUrl": "https://smba.example/", "channelId": "msteams",
            "from": {"id": "29:a", "name": "Anna"}, "recipient": {"id": "28:bot"}, "conversation": {"id": "a:1"}}
    first = wire.activity_from_json(dict(body))
    assert fingerprint(first) == fingerprint(wire.activity_from_json({**body, "id": "2", "text": "hej"}))
    assert fingerprint(first) != fingerprint(wire.activity_from_json({**body, "from": {"id": "29:a", "name": "Ann"}}))


def test_the_teams_group_id_is_kept_for_channel_deep_links() -> None:
    body = {"type": "message", "serviceUrl": "https://smba.example/", "channelId": "msteams",
            "from": {"id": "29:a"}, "recipient": {"id": "28:bot"}, "conversation": {"id": "19:c@thread.tacv2"},
            "channelData": {"team": {"id": "19:t@thread.tacv2", "aadGroupId": "0c0a0000-aa"},
                            "channel": {"id": "19:c@thread.tacv2"}, "tenant": {"id": "t1"}}}
    assert conversation_seen(wire.activity_from_json(body)).aad_group_id == "0c0a0000-aa"


def test_a_fingerprint_is_one_the_collector_stops_tracking() -> None:
    """The fingerprint cache holds thousands of them; a tracked one would lengthen every full collection."""
    body = {"type": "message", "serviceUrl": "https://smba.example/", "channelId": "msteams", "locale": "sv-SE",
            "from": {"id": "29:a", "name": "Anna", "aadObjectId": "A"}, "recipient": {"id": "28:bot"},
            "conversation": {"id": "a:1", "conversationType": "personal", "tenantId": "t1"},
            "channelData": {"tenant": {"id": "t1"}}}
    kept = fingerprint(wire.activity_from_json(body))
    for _ in range(4):  # a nested tuple is let go one level per collection
        gc.collect()
    assert not gc.is_tracked(kept)
