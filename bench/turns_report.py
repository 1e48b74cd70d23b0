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
    print("for the same load and concurrency. Replies are not held to Teams' rate limits (the stock sample has none;")
    print("bench/fanout.py measures the bot within them).\n")
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


GROWTH_LIMIT = 1.25
"""Flat: CPU per turn at the largest store at most 25% above the smallest (machine noise is ~10%)."""


def print_growth(cells: list[Cell], options: RunOptions) -> None:
    sizes = sorted({cell.stored for cell in cells})
    smallest, largest = sizes[0], sizes[-1]
    rounds = f", {options.rounds} rounds (sizes in turn forwards and backwards, pooled)" if options.rounds > 1 else ""
    print(f"\nCPU per turn with {smallest:,} and {largest:,} people (registrations, 1:1 chats) and answers stored;"
          f" {','.join(map(str, options.concurrency))} conversations, {options.seconds:g} s per cell{rounds}.\n")
    print(f"{'load':16} {'target':30} {'ms @' + format(smallest, ','):>12} {'ms @' + format(largest, ','):>12} "
          f"{'ratio':>6}  verdict (<= {GROWTH_LIMIT:g}x)")
    runs: dict[tuple[str, str, int], list[Cell]] = {}
    for cell in cells:
        runs.setdefault((cell.load.name, cell.target.name, cell.stored), []).append(cell)
    for load in options.loads:
        for target in dict.fromkeys(c.target.name for c in cells):
            low, high = runs.get((load.name, target, smallest)), runs.get((load.name, target, largest))
            if low is None or high is None:
                continue
            low_ms, high_ms = _cpu_ms(low), _cpu_ms(high)
            ratio = high_ms / low_ms if low_ms and high_ms else float("inf")
            answered = not any(cell.unanswered for cell in (*low, *high))
            flat = ratio <= GROWTH_LIMIT and answered
            print(f"{load.name:16} {target[:30]:30} {low_ms:>12.2f} {high_ms:>12.2f} {ratio:>6.2f}  "
                  f"{'flat' if flat else 'NOT flat'}")


def _cpu_ms(cells: list[Cell]) -> float:
    """CPU per answered turn over the runs of one size, pooled; 0 when one run's CPU was not read."""
    if any(cell.cpu_seconds is None for cell in cells):
        return 0.0
    turns = sum(len(cell.latencies) for cell in cells)
    return sum(cell.cpu_seconds or 0.0 for cell in cells) / turns * 1000 if turns else 0.0
