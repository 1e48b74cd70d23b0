"""The growth verdict of bench/turns.py --stored: CPU per answered turn pooled over the rounds of each size,
flat when the larger store costs at most 25% more and every turn was answered."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.loads import LOADS
from bench.turns import Cell, RunOptions, Target
from bench.turns_report import print_growth

TARGET = Target("dalalab sqlite, fast adapter", [], "sqlite", "fast")
LOAD = LOADS["rsvp"]


def cell(stored: int, cpu_seconds: float, turns: int, unanswered: int = 0) -> Cell:
    made = Cell(TARGET, LOAD, 16, stored=stored, cpu_seconds=cpu_seconds)
    made.turns = [(0, turn, 0.01) for turn in range(turns + unanswered)]
    made.answered = {f"act-0-{turn}" for turn in range(turns)}
    return made


def verdict(cells: list[Cell], capsys: pytest.CaptureFixture[str]) -> str:
    print_growth(cells, RunOptions(3, 1, (16,), (LOAD,), Path("."), rounds=2))
    [line] = [line for line in capsys.readouterr().out.splitlines() if line.startswith("rsvp")]
    return line


def test_rounds_are_pooled_so_one_slow_run_of_a_size_does_not_decide(capsys: pytest.CaptureFixture[str]) -> None:
    # 2.0 ms and 3.0 ms a turn at 100 (one run on a slow minute); 2.4 and 2.6 at 100,000: 2.5 each, pooled.
    cells = [cell(100, 2.0, 1000), cell(100_000, 2.4, 1000), cell(100_000, 2.6, 1000), cell(100, 3.0, 1000)]
    line = verdict(cells, capsys)
    assert line.split()[-4:] == ["2.50", "2.50", "1.00", "flat"]


def test_more_than_a_quarter_up_is_not_flat(capsys: pytest.CaptureFixture[str]) -> None:
    cells = [cell(100, 2.0, 1000), cell(100_000, 2.6, 1000), cell(100_000, 2.6, 1000), cell(100, 2.0, 1000)]
    assert verdict(cells, capsys).endswith(" 1.30  NOT flat")


def test_a_turn_without_its_answer_fails_the_verdict(capsys: pytest.CaptureFixture[str]) -> None:
    cells = [cell(100, 2.0, 1000), cell(100_000, 2.0, 1000, unanswered=1), cell(100_000, 2.0, 1000),
             cell(100, 2.0, 1000)]
    assert verdict(cells, capsys).endswith("NOT flat")
