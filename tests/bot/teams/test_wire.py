"""bot.teams.wire gives exactly what msrest gives: generated activities both ways, and the odd shapes
that make it hand over to msrest."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    ChannelAccount,
    ConversationAccount,
    ConversationReference,
    InputHints,
    Mention,
    ResourceResponse,
)
from botframework.connector import models as connector_models
from hypothesis import given, settings
from hypothesis import strategies as st
from msrest import Deserializer, Serializer
from msrest.exceptions import DeserializationError

from bot.core.commands import Role
from bot.core.help_card import help_card
from bot.features.registry import COMMANDS
from bot.teams import wire

CLIENT_MODELS = {name: cls for name, cls in vars(connector_models).items() if isinstance(cls, type)}
MSREST = Serializer(CLIENT_MODELS)

json_scalars = (st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False)
                | st.text(max_size=8))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8)
ids = st.text(min_size=1, max_size=12)
accounts = st.fixed_dictionaries(
    {"id": ids}, optional={"name": st.text(max_size=10), "aadObjectId": ids, "role": st.sampled_from(["user", "bot"]),
                           "extra": json_values})
conversations = st.fixed_dictionaries(
    {"id": ids}, optional={"conversationType": st.sampled_from(["personal", "channel", "groupChat"]),
                           "tenantId": ids, "isGroup": st.booleans(), "name": st.none() | st.text(max_size=5)})
entities = st.fixed_dictionaries(
    {"type": st.sampled_from(["mention", "clientInfo"])},
    optional={"mentioned": accounts, "text": st.text(max_size=10), "locale": st.text(max_size=5)})
attachments = st.fixed_dictionaries(
    {"contentType": st.text(max_size=10)}, optional={"content": json_values, "name": st.text(max_size=5)})
timestamps = st.datetimes(min_value=datetime.datetime(2000, 1, 1), max_value=datetime.datetime(2100, 1, 1),
                          timezones=st.just(datetime.UTC)).map(lambda moment: moment.isoformat())
activities = st.fixed_dictionaries(
    {"type": st.sampled_from(["message", "invoke", "conversationUpdate", "installationUpdate", "typing"])},
    optional={
        "id": ids, "text": st.text(max_size=20), "serviceUrl": st.just("https://smba.example/emea/"),
        "channelId": st.just("msteams"), "locale": st.sampled_from(["sv-SE", "en-US"]),
        "from": accounts, "recipient": accounts, "conversation": conversations,
        "membersAdded": st.lists(accounts, max_size=2), "entities": st.lists(entities, max_size=2),
        "attachments": st.lists(attachments, max_size=2), "channelData": json_values, "value": json_values,
        "timestamp": timestamps, "localTimestamp": timestamps, "replyToId": ids, "name": st.text(max_size=8),
        "action": st.sampled_from(["add", "remove"]), "listenFor": st.lists(st.text(max_size=4), max_size=2),
        "historyDisclosed": st.booleans(), "unknownField": json_values,
    })


@settings(max_examples=300, deadline=None)
@given(activities)
def test_reading_an_activity_equals_msrest(body: dict[str, Any]) -> None:
    expected = Activity().deserialize(json.loads(json.dumps(body)))
    assert wire.activity_from_json(json.loads(json.dumps(body))) == expected


@settings(max_examples=300, deadline=None)
@given(activities)
def test_writing_an_activity_equals_msrest(body: dict[str, Any]) -> None:
    activity = Activity().deserialize(body)
    assert wire.to_json(activity, "Activity") == MSREST.body(Activity().deserialize(body), "Activity")


def test_a_reply_with_a_card_enums_and_a_mention_is_written_as_msrest_writes_it() -> None:
    reply = MessageFactory.attachment(CardFactory.adaptive_card(help_card(COMMANDS.visible(Role.COORDINATOR), True)))
    reply.entities = [Mention(mentioned=ChannelAccount(id="29:a", name="Anna"), text="<at>Anna</at>", type="mention")]
    reply.timestamp = datetime.datetime(2027, 5, 3, 8, 0, tzinfo=datetime.UTC)
    reply.conversation = ConversationAccount(id="a:1", conversation_type="personal")
    reply.input_hint = InputHints.accepting_input
    assert reply.type is ActivityTypes.message
    assert wire.to_json(reply, "Activity") == MSREST.body(reply, "Activity")


def test_the_stored_reference_is_written_as_the_sdk_writes_it() -> None:
    activity = wire.activity_from_json({
        "type": "message", "id": "1", "serviceUrl": "https://smba.example/", "channelId": "msteams",
        "from": {"id": "29:a", "aadObjectId": "x"}, "recipient": {"id": "28:bot"},
        "conversation": {"id": "a:1", "tenantId": "t"}, "locale": "sv-SE"})
    reference = TurnContext.get_conversation_reference(activity)
    assert wire.to_json(reference) == reference.serialize()
    assert wire.reference_from_json(reference.serialize()) == ConversationReference().deserialize(reference.serialize())


@pytest.mark.parametrize("body", [
    {"type": "message", "id": 42},  # msrest turns a number into "42"
    {"type": "message", "historyDisclosed": "true"},  # and "true" into True
    {"type": "message", "from": {"id": 7}},
    {"type": "message", "membersAdded": [None, {"id": "a"}]},
])
def test_shapes_the_plans_do_not_take_are_read_by_msrest(body: dict[str, Any]) -> None:
    assert wire.activity_from_json(dict(body)) == Activity().deserialize(dict(body))


def test_a_bad_date_fails_as_msrest_fails() -> None:
    with pytest.raises(DeserializationError):
        wire.activity_from_json({"type": "message", "timestamp": "not a date"})


def test_a_dict_where_a_model_belongs_is_written_by_msrest() -> None:
    def activity() -> Activity:
        return Activity(type="message", text="hej", from_property={"id": "28:bot"})  # type: ignore[arg-type]

    assert wire.to_json(activity(), "Activity") == MSREST.body(activity(), "Activity")
    assert wire.to_json(activity(), "Activity")["from"] == {"id": "28:bot"}


def test_the_fast_serializer_and_deserializer_keep_msrest_behaviour_for_everything_else() -> None:
    serializer = wire.FastSerializer(CLIENT_MODELS)
    assert serializer.body("text", "str") == MSREST.body("text", "str")
    assert serializer.url("id", "a:b/c", "str") == MSREST.url("id", "a:b/c", "str")
    deserializer = wire.FastDeserializer(CLIENT_MODELS)
    assert deserializer("ResourceResponse", b'{"id": "r-1"}', "application/json") == ResourceResponse(id="r-1")
    assert deserializer("ResourceResponse", b'{"id": 5}', "application/json") == Deserializer(CLIENT_MODELS)(
        "ResourceResponse", b'{"id": 5}', "application/json")


class FinishedResponse:
    def __init__(self, body: bytes, content_type: str = "application/json; charset=utf-8") -> None:
        self._body = body
        self.headers = {"content-type": content_type}

    def body(self) -> bytes:
        return self._body

    def text(self) -> str:
        return self._body.decode()


@pytest.mark.parametrize("body", [b'{"id": "r-1"}', b"", b'{"id": 5}', b"not json"])
def test_a_connector_answer_is_read_as_msrest_reads_it(body: bytes) -> None:
    fast, msrest = wire.FastDeserializer(CLIENT_MODELS), Deserializer(CLIENT_MODELS)
    try:
        expected = msrest("ResourceResponse", FinishedResponse(body))
    except DeserializationError:
        with pytest.raises(DeserializationError):
            fast("ResourceResponse", FinishedResponse(body))
        return
    assert fast("ResourceResponse", FinishedResponse(body)) == expected
