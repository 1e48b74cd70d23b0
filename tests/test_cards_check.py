"""The end-of-session card check (tests/cards_check.py) catches what Teams would refuse or hide: a card
outside the Adaptive Card 1.5 schema, an unknown element, more than 6 buttons; and lets Teams'
extensions (msteams, Chart.* with a fallback) and the bot's chooser through."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core.cards import card, heading, paragraph, submit
from bot.features.registration.cards import project_choice
from tests.cards_check import check_cards, describe


def problems_of(built: dict[str, Any]) -> list[str]:
    found = check_cards([built])
    return found[0][1] if found else []


def test_the_chooser_of_twenty_projects_passes() -> None:
    assert problems_of(project_choice([(n, f"Projekt {n}") for n in range(20)], "report")) == []


def test_seven_buttons_are_too_many_for_teams() -> None:
    seven = card([heading("Välj")], [submit(f"Projekt {n}", "report", project_id=n) for n in range(7)])
    assert any("TooManyActions" in problem for problem in problems_of(seven))


@pytest.mark.parametrize(("element", "expected"), [
    ({"type": "Bogus"}, "unknown type 'Bogus'"),
    ({"type": "TextBlock"}, "'text' is a required property"),
    ({"type": "TextBlock", "text": "x", "size": "Huge"}, "size"),
    ({"type": "Table", "firstRowAsHeaders": True, "columns": [], "rows": []}, "firstRowAsHeaders"),
    ({"type": "Input.ChoiceSet", "id": "x", "choices": [{"title": "a"}]}, "'value' is a required property"),
])
def test_what_the_schema_does_not_allow_is_named(element: dict[str, Any], expected: str) -> None:
    assert any(expected in problem for problem in problems_of(card([element])))


def test_teams_extensions_are_allowed() -> None:
    chart = {"type": "Chart.VerticalBar", "data": [{"x": "Träff 1", "y": 3}],
             "fallback": {"type": "FactSet", "facts": [{"title": "Träff 1", "value": "3"}]}}
    assert problems_of(card([paragraph("Deltagare"), chart])) == []  # card() adds msteams.width


def test_a_chart_without_a_fallback_is_reported() -> None:
    assert problems_of(card([{"type": "Chart.Pie", "data": []}])) != []


def test_a_card_is_described_by_its_first_text() -> None:
    assert describe(card([{"type": "Container", "items": [paragraph("Påminnelse")]}])) == "Påminnelse"
