"""Free text that is no command: what counts as small talk, what a question is sent as, escaping."""

from __future__ import annotations

import pytest

from bot.core.commands import Role
from bot.core.help_card import MAX_BUTTONS, main_actions
from bot.core.markdown import literal
from bot.features.questions.cards import answer_for_participant, question_for_coordinators, small_talk_card
from bot.features.questions.rules import MAX_QUESTION, SmallTalk, answer_text, excerpt, question_text, small_talk
from bot.features.registry import COMMANDS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hej", SmallTalk.GREETING),
        ("Hej!", SmallTalk.GREETING),
        ("hej DalaLab", SmallTalk.GREETING),
        ("God morgon", SmallTalk.GREETING),
        ("tack", SmallTalk.THANKS),
        ("Tack så mycket!", SmallTalk.THANKS),
        ("tusen tack för hjälpen", SmallTalk.THANKS),
        ("hej och tack", SmallTalk.THANKS),
        ("ok", SmallTalk.OK),
        ("Okej, bra", SmallTalk.OK),
        ("Tack, jag kommer! Blir det vegetarisk lunch?", None),
        ("hej, när är nästa träff?", None),
        ("hej?", None),
        ("Vem ska jag kontakta om parkering", None),
        ("", None),
        ("😀", None),
    ],
)
def test_small_talk(text: str, expected: SmallTalk | None) -> None:
    assert small_talk(text) is expected


def test_a_question_loses_teams_reply_quotes_and_tags_and_is_clipped() -> None:
    reply = ('<blockquote itemscope itemtype="http://schema.skype.com/Reply">Påminnelse: träff i morgon'
             '</blockquote><p>Blir det vegetarisk lunch?</p>')
    assert question_text(reply) == "Blir det vegetarisk lunch?"
    assert question_text("a\x00b  \n c") == "a b c"
    assert len(question_text("x" * 5000)) == MAX_QUESTION
    for empty in ("", " ", "<p></p>", None):
        with pytest.raises(ValueError):
            question_text(empty)


def test_an_answer_must_be_there_and_fit() -> None:
    assert answer_text("  Ja, vegetariskt finns. ") == "Ja, vegetariskt finns."
    for bad in ("", "   ", None, "x" * 2001):
        with pytest.raises(ValueError):
            answer_text(bad)
    assert excerpt("x" * 400).endswith("…") and len(excerpt("x" * 400)) == 300


def test_peoples_text_is_escaped_in_cards() -> None:
    assert literal("[klicka här](https://evil.example) **viktigt**") == (
        r"\[klicka här\](https\:\/\/evil\.example) \*\*viktigt\*\*")
    assert literal("- inte en lista") == r"\- inte en lista"
    assert literal("1. inte heller") == r"1\. inte heller"
    card = question_for_coordinators("Anna [x](y)", "Mora kommun", ["P"], "**fråga**", 7)
    shown = " ".join(block.get("text", "") for block in card["body"])
    assert r"Anna \[x\](y), Mora kommun" in shown and r"\*\*fråga\*\*" in shown
    assert card["actions"][0]["data"]["person_id"] == 7 and card["actions"][0]["title"] == "Svara"
    answer = answer_for_participant("Linnea", "**fråga**", "_svar_")
    assert r"\_svar\_" in [block["text"] for block in answer["body"]]


@pytest.mark.parametrize("role", list(Role))
def test_main_actions_are_at_most_six_real_commands(role: Role) -> None:
    buttons = main_actions(role)
    names = {command.name for command in COMMANDS.commands}
    assert 0 < len(buttons) <= MAX_BUTTONS
    assert all(button["data"]["verb"] == "command" and button["data"]["command"] in names for button in buttons)
    card = small_talk_card(SmallTalk.GREETING, "Anna Lindqvist", role, in_channel=False)
    assert card["body"][0]["text"].startswith("Hej Anna!") and len(card["actions"]) <= MAX_BUTTONS
