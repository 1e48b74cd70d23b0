"""The turn benchmark's table: each load on each target on one line, beside the stock sample's figure for
the same load and concurrency from the same run, and the issue's targets with verdicts that can fail."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.turns import Cell, RunOptions

STOCK_PREFIX = "stock"
WRITE_LOADS = ("first-contact", "register", "rsvp", "evaluate")


def print_report(cells: list[Cell], options: RunOptions) -> None:
    print(f"\nTurns against a stub connector on loopback; {os.cpu_count()} CPUs, Python {sys.version.split()[0]};"
          f" {options.warmup:g} s warm-up + {options.seconds:g} s per cell.")
    print("A turn counts only if the stub got its answer (not the turn-failed apology): 'unans.' are 2xx turns")
    print("without one. cpu/turn: the target process's CPU ms per turn; x stock: turns/s over the stock sample's")
    print("for the same load and concurrency.\n")
    print(f"{'load':16} {'target':30} {'conc':>4} {'turns':>6} {'turns/s':>8} {'x stock':>7} {'p50 ms':>7} "
          f"{'p99 ms':>7} {'cpu/turn':>8} {'unans.':>6} {'apol.':>5} {'errors':>6}")
    stock = {(c.load.name, c.concurrency): c for c in cells if c.target.name.startswith(STOCK_PREFIX)}
    for load in options.loads:
        for cell in (c for c in cells if c.load is load):
            turns = len(cell.latencies)
            cpu = f"{cell.cpu_seconds / turns * 1000:.2f}" if cell.cpu_seconds is not None and turns else "-"
            base = stock.get((load.name, cell.concurrency))
            ratio = (f"{cell.turns_per_second / base.turns_per_second:.1f}"
                     if base and base is not cell and base.turns_per_second else "-")
            print(f"{load.name:16} {cell.target.name[:30]:30} {cell.concurrency:>4} {turns:>6} "
                  f"{cell.turns_per_second:>8.0f} {ratio:>7} {cell.percentile(0.50):>7.1f} "
                  f"{cell.percentile(0.99):>7.1f} {cpu:>8} {cell.unanswered:>6} {cell.apologies:>5} {cell.errors:>6}")
    print()
    for line in verdicts(cells, stock):
        print(line)


def verdicts(cells: list[Cell], stock: dict[tuple[str, int], Cell]) -> list[str]:
    """Issue 18's targets at 16 conversations: known people >= 10x stock with p99 <= 30 ms, writes >= 5x
    stock with p99 <= 60 ms; a missing stock figure or a turn without its answer fails."""
    lines = []
    for cell in cells:
        if not cell.target.database or cell.concurrency != 16 or cell.load.name == "my-registrations":
            continue
        base = stock.get((cell.load.name, 16))
        times, p99_limit = (5.0, 60.0) if cell.load.name in WRITE_LOADS else (10.0, 30.0)
        ratio = cell.turns_per_second / base.turns_per_second if base and base.turns_per_second else 0.0
        p99 = cell.percentile(0.99)
        met = ratio >= times and p99 <= p99_limit and not cell.unanswered and not cell.errors
        lines.append(f"{cell.load.name:16} {cell.target.name:30} >= {times:g}x stock, p99 <= {p99_limit:g} ms: "
                     f"{ratio:.1f}x, p99 {p99:.1f} ms -> {'reached' if met else 'NOT reached'}")
    return lines
