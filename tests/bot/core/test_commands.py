"""The command table: full-match parsing, roles, and a table that cannot shadow itself."""

from __future__ import annotations

import pytest

from bot.core.commands import COMMANDS, Command, Role, match_command, validate_table, visible_commands


@pytest.mark.parametrize("text", ["hjälp", "Hjälp", "  HJÄLP  ", "help", "hjälp!", "?"])
def test_help_words_match(text: str) -> None:
    matched = match_command(text)
    assert matched is not None and matched.command.name == "hjälp"


@pytest.mark.parametrize("text", ["hjälpa", "jag behöver hjälp", "help me", "", "ohm"])
def test_no_substring_matches(text: str) -> None:
    assert match_command(text) is None


def test_argument_commands_keep_the_rest_of_the_text() -> None:
    table = (Command("exempel", (), Role.PARTICIPANT, argument="arg.theme"),)
    matched = match_command("Exempel  Energi i Borlänge", table)
    assert matched is not None and matched.argument == "Energi i Borlänge"
    assert match_command("exempelvis", table) is None


def test_longest_word_wins() -> None:
    table = (
        Command("mina", (), Role.PARTICIPANT, argument="arg.x"),
        Command("mina anmälningar", (), Role.PARTICIPANT),
    )
    matched = match_command("mina anmälningar", table)
    assert matched is not None and matched.command.name == "mina anmälningar"


def test_participants_do_not_see_coordinator_commands() -> None:
    table = (Command("hjälp", (), Role.PARTICIPANT), Command("exportera", (), Role.COORDINATOR))
    assert [c.name for c in visible_commands(Role.PARTICIPANT, table)] == ["hjälp"]
    assert [c.name for c in visible_commands(Role.COORDINATOR, table)] == ["hjälp", "exportera"]


def test_the_real_table_is_valid() -> None:
    validate_table(COMMANDS)


def test_a_shadowing_word_is_refused() -> None:
    with pytest.raises(ValueError, match="used by both"):
        validate_table((Command("a", ("b",), Role.PARTICIPANT), Command("b", (), Role.PARTICIPANT)))
