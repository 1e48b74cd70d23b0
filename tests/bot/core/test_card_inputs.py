"""Every date and time input in the bot's cards has a Swedish placeholder (Teams shows an empty box
otherwise, and people type dates every which way)."""

from __future__ import annotations

import ast
from pathlib import Path

from bot.core.i18n import en, sv

BOT = Path(__file__).resolve().parents[3] / "bot"


def _date_and_time_inputs() -> list[tuple[str, ast.Dict]]:
    found = []
    for path in sorted(BOT.rglob("*card*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Dict):
                continue
            pairs = {key.value: value for key, value in zip(node.keys, node.values, strict=True)
                     if isinstance(key, ast.Constant)}
            kind = pairs.get("type")
            if isinstance(kind, ast.Constant) and kind.value in ("Input.Date", "Input.Time"):
                found.append((f"{path.name}:{node.lineno}", node))
    return found


def test_every_date_and_time_input_has_a_placeholder_from_the_catalog() -> None:
    inputs = _date_and_time_inputs()
    assert len(inputs) >= 7  # homework, example requests, messages, registration settings
    for where, node in inputs:
        keys = [key.value for key in node.keys if isinstance(key, ast.Constant)]
        assert "placeholder" in keys, where


def test_the_placeholders_are_swedish_first() -> None:
    assert sv.MESSAGES["input.date_placeholder"].startswith("ÅÅÅÅ-MM-DD")
    assert sv.MESSAGES["input.time_placeholder"].startswith("TT:MM")
    assert en.MESSAGES["input.date_placeholder"].startswith("YYYY-MM-DD")
