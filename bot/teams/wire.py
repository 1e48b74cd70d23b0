"""Bot Framework models to and from JSON without msrest's generic walk.

msrest spends ~0.3 ms turning an incoming activity into an ``Activity`` and ~1 ms turning a reply
with an Adaptive Card back into JSON (``Serializer.body`` first re-deserialises the whole model,
then walks it attribute by attribute through string-keyed dispatch). Here each model class gets a
plan, compiled once from its ``_attribute_map``, that does the same mapping directly.

The plans cover the shapes activities really have; anything they were not written for (a value of
an unexpected type, a dict where a model belongs, an enum, a date that does not parse) raises
``_Unsupported`` and the whole call falls back to msrest, so results and errors are msrest's by
construction. Property tests (tests/bot/teams/test_wire.py) compare both on generated activities.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Iterable
from enum import Enum
from typing import Any, TypeVar

from botbuilder.schema import Activity, ConversationReference
from botframework.connector import models as connector_models
from msrest import Deserializer, Serializer
from msrest.serialization import Model

M = TypeVar("M", bound=Model)
_JSON_SCALARS = (str, bool, int, float, type(None))
_SCALAR_TYPES = frozenset(_JSON_SCALARS)
_MODELS: dict[str, type[Model]] = {
    name: cls for name, cls in vars(connector_models).items() if isinstance(cls, type) and issubclass(cls, Model)
}
_SERIALIZER = Serializer(_MODELS)
_EXACT: dict[str, type] = {"str": str, "bool": bool, "int": int, "float": float}
"""Basic types taken only as exactly this type (msrest converts others, e.g. 1 to "1")."""


class _Unsupported(Exception):
    """A value the plans do not handle: msrest does the whole call instead."""


# --- JSON -> model ------------------------------------------------------------------------------


def from_json(cls: type[M], data: dict[str, Any]) -> M:
    """``cls().deserialize(data)``, faster. ``data`` (freshly parsed JSON) is taken over: nested
    values of type ``object`` (channelData, value, card content) are used as they are, not copied."""
    try:
        return _reader(cls)(data)  # type: ignore[no-any-return]
    except _Unsupported:
        return cls.deserialize(data)  # type: ignore[no-any-return]


def activity_from_json(data: dict[str, Any]) -> Activity:
    return from_json(Activity, data)


def reference_from_json(data: dict[str, Any]) -> ConversationReference:
    return from_json(ConversationReference, data)


Plan = Callable[[Any], Any]
"""Converts one value: JSON to model (a reader) or model to JSON (a writer)."""
Reader = Plan
_READERS: dict[type, Reader] = {}


def _reader(cls: type[Model]) -> Reader:
    return _plan(_READERS, _compile_reader, cls)


def _plan(plans: dict[type, Plan], compile_plan: Callable[[type[Model]], Plan], cls: type[Model]) -> Plan:
    """A model class's plan (a reader or a writer), compiled the first time it is asked for."""
    plan = plans.get(cls)
    if plan is None:
        plan = plans[cls] = compile_plan(cls)
    return plan


def _compile_reader(cls: type[Model]) -> Reader:
    known = frozenset(description["key"] for description in cls._attribute_map.values())
    fields = [(description["key"], attribute, _value_reader(description["type"]))
              for attribute, description in cls._attribute_map.items()]

    def read(data: Any) -> Model:
        if type(data) is not dict:
            raise _Unsupported
        values = {attribute: (None if (raw := data.get(key)) is None else convert(raw))
                  for key, attribute, convert in fields}
        instance = cls(**values)
        if not known.issuperset(data):
            instance.additional_properties = {key: value for key, value in data.items() if key not in known}
        return instance

    return read


def _value_reader(type_name: str) -> Reader:
    if type_name in _EXACT:
        return _exact(_EXACT[type_name])
    if type_name == "object":
        return _json_value
    if type_name == "iso-8601":
        return _iso_reader
    if type_name.startswith("[") and type_name.endswith("]"):
        return _list_of(_value_reader(type_name[1:-1]))
    model = _MODELS.get(type_name)
    if model is None:
        return _unsupported
    return lambda value: _reader(model)(value)


def _list_of(item: Plan) -> Plan:
    """A list of ``item`` in either direction: None elements kept, anything but a list refused."""
    def convert(value: Any) -> list[Any]:
        if type(value) is not list:
            raise _Unsupported
        return [None if element is None else item(element) for element in value]

    return convert


def _exact(kind: type) -> Reader:
    def read(value: Any) -> Any:
        if type(value) is not kind:
            raise _Unsupported
        return value

    return read


def _json_value(value: Any) -> Any:
    # msrest copies JSON values as they are; it refuses only types JSON parsing never produces.
    if type(value) in (dict, list) or isinstance(value, _JSON_SCALARS):
        return value
    raise _Unsupported


def _iso_reader(value: Any) -> datetime.datetime:
    if type(value) is not str:
        raise _Unsupported
    try:
        return Deserializer.deserialize_iso(value)  # type: ignore[no-any-return]
    except Exception as error:  # noqa: BLE001 - msrest raises its own error for a bad date
        raise _Unsupported from error


def _unsupported(_value: Any) -> Any:
    raise _Unsupported


# --- model -> JSON ------------------------------------------------------------------------------


def to_json(model: Model, type_name: str | None = None) -> Any:
    """``Serializer.body(model, type_name)`` (msrest with the connector's models), faster. Values of
    type ``object`` (card content, channelData) that are plain JSON are shared, not copied: the
    result is for writing out, not for changing."""
    return _fast_body(_SERIALIZER.body, model, type_name or type(model).__name__)


def _fast_body(fallback: Callable[[Any, str], Any], data: Any, type_name: str) -> Any:
    expected = _MODELS.get(type_name)
    try:
        if expected is None or not isinstance(data, expected):
            raise _Unsupported
        return _writer(type(data))(data)
    except _Unsupported:
        return fallback(data, type_name)


class FastSerializer(Serializer):  # type: ignore[misc]
    """msrest's Serializer with request bodies written by the plans (for a ConnectorClient's operations)."""

    def body(self, data: Any, data_type: str, **kwargs: Any) -> Any:
        if kwargs:
            return super().body(data, data_type, **kwargs)
        return _fast_body(super().body, data, data_type)


_NOT_JSON = object()


def _json_body(response: Any) -> Any:
    """A finished response's JSON body, read as msrest's RawDeserializer reads it (None when
    empty); _NOT_JSON for anything else (msrest then unpacks it)."""
    body = getattr(response, "body", None)
    headers = getattr(response, "headers", None)
    if not callable(body) or headers is None:
        return _NOT_JSON
    content_type = str(headers.get("content-type", "application/json")).split(";")[0].strip().lower()
    if content_type != "application/json":
        return _NOT_JSON
    raw = body()
    if not isinstance(raw, bytes | str):
        return _NOT_JSON
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:  # msrest reports a bad body in its own way
        return _NOT_JSON


class FastDeserializer(Deserializer):  # type: ignore[misc]
    """msrest's Deserializer with JSON responses read by the plans (a ResourceResponse per reply)."""

    def __call__(self, target_obj: Any, response_data: Any, content_type: str | None = None) -> Any:
        model = _MODELS.get(target_obj) if isinstance(target_obj, str) else None
        if model is None:
            return super().__call__(target_obj, response_data, content_type)
        data = _json_body(response_data) if content_type is None else _NOT_JSON
        if data is _NOT_JSON:
            data = self._unpack_content(response_data, content_type)
        try:
            return _reader(model)(data)
        except _Unsupported:
            return self._deserialize(target_obj, data)


Writer = Plan
_WRITERS: dict[type, Writer] = {}


def _writer(cls: type[Model]) -> Writer:
    return _plan(_WRITERS, _compile_writer, cls)


def _compile_writer(cls: type[Model]) -> Writer:
    fields = [(attribute, description["key"], _value_writer(description["type"]))
              for attribute, description in cls._attribute_map.items()]

    def write(model: Any) -> dict[str, Any]:
        serialized: dict[str, Any] = {}
        for attribute, key, convert in fields:
            value = getattr(model, attribute)
            if value is not None:
                serialized[key] = convert(value)
        return serialized

    return write


def _value_writer(type_name: str) -> Writer:
    if type_name == "str":
        return _str_writer
    if type_name in _EXACT:
        return _exact(_EXACT[type_name])
    if type_name == "object":
        return _plain_json
    if type_name == "iso-8601":
        return _iso_writer
    if type_name.startswith("[") and type_name.endswith("]"):
        return _list_of(_value_writer(type_name[1:-1]))
    model = _MODELS.get(type_name)
    if model is None:
        return _unsupported

    def write_model(value: Any) -> Any:
        if not isinstance(value, model):  # a dict or another type: msrest converts it first
            raise _Unsupported
        return _writer(type(value))(value)

    return write_model


def _str_writer(value: Any) -> str:
    if type(value) is str:
        return value
    if isinstance(value, Enum):  # botbuilder's ActivityTypes, InputHints...: msrest sends the value
        return value.value  # type: ignore[no-any-return]
    raise _Unsupported


def _plain_json(value: Any) -> Any:
    """Plain JSON as it is (msrest's serialize_object would copy it to the same value); anything
    else (a tuple, an enum, a model, a key that is not a string) goes to msrest."""
    kind = type(value)
    if kind is dict or kind is list:
        _check_plain(value)
    elif kind not in _SCALAR_TYPES:
        raise _Unsupported
    return value


def _check_plain(container: dict[Any, Any] | list[Any]) -> None:
    items: Iterable[Any] = container
    if type(container) is dict:
        if not all(type(key) is str for key in container):
            raise _Unsupported
        items = container.values()
    for item in items:
        kind = type(item)
        if kind is dict or kind is list:
            _check_plain(item)
        elif kind not in _SCALAR_TYPES:
            raise _Unsupported


def _iso_writer(value: Any) -> str:
    if type(value) is not datetime.datetime:
        raise _Unsupported
    return Serializer.serialize_iso(value)  # type: ignore[no-any-return]
