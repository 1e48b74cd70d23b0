"""The command table: full-match parsing, roles, and a table that cannot shadow itself."""

from __future__ import annotations

import pytest

from bot.core.commands import Command, CommandTable, Role, validate_table
from bot.features.registry import COMMANDS


@pytest.mark.parametrize("text", ["hjälp", "Hjälp", "  HJÄLP  ", "help", "hjälp!", "?"])
def test_help_words_match(text: str) -> None:
    matched = COMMANDS.match(text)
    assert matched is not None and matched.command.name == "hjälp"


@pytest.mark.parametrize("text", ["hjälpa", "jag behöver hjälp", "help me", "", "ohm"])
def test_no_substring_matches(text: str) -> None:
    assert COMMANDS.match(text) is None


def test_argument_commands_keep_the_rest_of_the_text() -> None:
    table = CommandTable((Command("exempel", (), Role.PARTICIPANT, argument="arg.theme"),))
    matched = table.match("Exempel  Energi i Borlänge")
    assert matched is not None and matched.argument == "Energi i Borlänge"
    assert table.match("exempelvis") is None


def test_longest_word_wins() -> None:
    table = CommandTable((
        Command("mina", (), Role.PARTICIPANT, argument="arg.x"),
        Command("mina anmälningar", (), Role.PARTICIPANT),
    ))
    matched = table.match("mina anmälningar")
    assert matched is not None and matched.command.name == "mina anmälningar"


def test_participants_do_not_see_coordinator_commands() -> None:
    table = CommandTable((Command("hjälp", (), Role.PARTICIPANT), Command("exportera", (), Role.COORDINATOR)))
    assert [c.name for c in table.visible(Role.PARTICIPANT)] == ["hjälp"]
    assert [c.name for c in table.visible(Role.COORDINATOR)] == ["hjälp", "exportera"]


def test_the_real_table_is_valid() -> None:
    validate_table(COMMANDS.commands)


def test_a_shadowing_word_is_refused() -> None:
    with pytest.raises(ValueError, match="used by both"):
        validate_table((Command("a", ("b",), Role.PARTICIPANT), Command("b", (), Role.PARTICIPANT)))
