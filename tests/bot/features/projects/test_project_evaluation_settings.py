"""A project file can set its own evaluation questions and reminder offsets."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from bot.features.evaluation.rules import DEFAULT_QUESTIONS, questions_from_json, questions_to_json
from bot.features.projects.spec import ProjectFileError, parse_project_yaml

STOCKHOLM = ZoneInfo("Europe/Stockholm")
BASE = """slug: p
name: Projekt
meetings:
  - number: 1
    title: Träff
    date: 2027-05-03
    start: "10:00"
    end: "15:00"
"""


def test_default_questions_and_reminders_when_left_out() -> None:
    spec = parse_project_yaml(BASE, STOCKHOLM)
    assert spec.evaluation_questions is None and spec.reminders == "7d,1d"
    assert questions_from_json(None) == DEFAULT_QUESTIONS


def test_own_questions_round_trip() -> None:
    text = BASE + """reminders: 3d,morning
evaluation_questions:
  - key: useful
    text: Träffen var användbar för mig
    kind: scale
    required: true
  - key: tips
    text: Tips till nästa gång
    kind: text
"""
    spec = parse_project_yaml(text, STOCKHOLM)
    assert spec.reminders == "3d,morning"
    assert spec.evaluation_questions is not None
    assert [(q.key, q.kind, q.required) for q in spec.evaluation_questions] == [
        ("useful", "scale", True), ("tips", "text", False)]
    assert questions_from_json(questions_to_json(spec.evaluation_questions)) == spec.evaluation_questions


@pytest.mark.parametrize(
    "extra",
    [
        "evaluation_questions: nej\n",
        "evaluation_questions:\n  - text: utan nyckel\n",
        "evaluation_questions:\n  - key: a\n    text: A\n  - key: a\n    text: B\n",
        "evaluation_questions:\n  - key: a\n    text: A\n    kind: stjärnor\n",
        "reminders: 7x\n",
    ],
)
def test_bad_settings_are_refused_with_a_message(extra: str) -> None:
    with pytest.raises(ProjectFileError):
        parse_project_yaml(BASE + extra, STOCKHOLM)
