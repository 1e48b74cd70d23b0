"""What a valid evaluation answer is; the five-step scale; the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.features.evaluation.rules import (
    DEFAULT_QUESTIONS,
    AnswerInvalid,
    Question,
    evaluation_window,
    parse_answer,
    validate_questions,
)

GOOD = {"knowledge": "5", "contacts": "3", "support": "1", "valuable": " Triaderna ", "improve": "", "wishes": "Mer"}


def test_a_good_answer() -> None:
    assert parse_answer(GOOD, DEFAULT_QUESTIONS) == {
        "knowledge": 5, "contacts": 3, "support": 1, "valuable": "Triaderna", "wishes": "Mer"}


@pytest.mark.parametrize("value", ["0", "6", "7", "-1", "3.0", "tre", "33", True, [], {"x": 1}])
def test_out_of_range_or_tampered_scale_values_store_nothing(value: object) -> None:
    with pytest.raises(AnswerInvalid) as raised:
        parse_answer({**GOOD, "knowledge": value}, DEFAULT_QUESTIONS)
    assert [p.key for p in raised.value.problems] == ["evaluation.scale_invalid"]


def test_required_scale_answers_must_be_there() -> None:
    with pytest.raises(AnswerInvalid) as raised:
        parse_answer({"valuable": "x"}, DEFAULT_QUESTIONS)
    assert {p.key for p in raised.value.problems} == {"evaluation.scale_missing"}
    assert len(raised.value.problems) == 3


def test_free_text_limit_and_control_characters() -> None:
    with pytest.raises(AnswerInvalid):
        parse_answer({**GOOD, "improve": "x" * 2001}, DEFAULT_QUESTIONS)
    assert parse_answer({**GOOD, "improve": "Bra\x00 fika 🍰"}, DEFAULT_QUESTIONS)["improve"] == "Bra fika 🍰"


def test_unknown_fields_are_ignored_not_stored() -> None:
    assert "verb" not in parse_answer({**GOOD, "verb": "evaluation_answer", "evil": "1"}, DEFAULT_QUESTIONS)


def test_optional_scale_may_be_left_out() -> None:
    questions = (Question("a", "A", "scale", required=False),)
    assert parse_answer({}, questions) == {}


def test_window_default_thirty_minutes_then_a_week() -> None:
    end = datetime(2027, 5, 3, 13, 0, tzinfo=UTC)
    opens, closes = evaluation_window(end)
    assert opens == end + timedelta(minutes=30) and closes == opens + timedelta(days=7)


def test_question_sets_need_unique_keys_and_known_kinds() -> None:
    with pytest.raises(ValueError):
        validate_questions((Question("a", "A", "scale"), Question("a", "B", "text")))
    with pytest.raises(ValueError):
        validate_questions(())
