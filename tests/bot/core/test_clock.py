"""The clock types are defined once, in bot/core/clock.py, and imported everywhere else."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SOURCES = [ROOT / "app.py", *sorted((ROOT / "bot").rglob("*.py")), *sorted((ROOT / "dialogs").rglob("*.py")),
           *sorted((ROOT / "storage").rglob("*.py"))]


def clock_aliases(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, ast.AnnAssign) else []
        names += [t.id for t in targets if isinstance(t, ast.Name) and t.id.endswith("Clock")]
    return names


def test_clock_aliases_are_defined_only_in_bot_core_clock() -> None:
    defined = {str(path.relative_to(ROOT)): names for path in SOURCES if (names := clock_aliases(path))}

    assert defined == {"bot/core/clock.py": ["Clock", "MonotonicClock"]}
