"""Forming triads: small conversation groups from different municipalities, avoiding people who
have already met in a triad. Pure rules, no I/O: the use case in ``bot/features/triads/service.py`` feeds them.

Group sizes ("never a person left out"), see ``group_sizes``:

- fewer than three people: one group of everyone (nobody at all: no groups);
- otherwise as many groups of three as possible, groups of four taking the remainder
  (n % 3 == 1: one group of four; n % 3 == 2: two groups of four);
- five people is the one count that threes and fours cannot cover. They form one group of five:
  a three and a pair would put two people in a group smaller than three although more than three
  came, which the rule forbids, while a group of five still includes everyone in one conversation.

What makes one grouping better than another, in this order:

1. municipality diversity: the fewest pairs of people from the same organisation in one group
   (so no group has two from one municipality whenever a grouping without that exists);
2. the fewest pairs that already met in an earlier round (``history``).

The search deals people out round-robin by organisation (which alone places at most one person per
organisation in each group whenever no organisation has more people than there are groups), improves
the result by swapping people between groups (iterated local search), and finishes with an exact
branch-and-bound search under a work budget: exact for rounds of up to about a dozen people, and
never worse than the local search for larger ones. Everything is deterministic for a given ``seed``.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from itertools import combinations

Pair = frozenset[int]

RESTARTS = 24
"""Perturb-and-improve rounds of the local search."""
EXACT_BUDGET = 40_000
"""Groups the exact search may evaluate before it settles for the best grouping found."""
MIN_GROUP_AFTER_MOVE = 2
"""A coordinator's move may not leave a group with fewer people than this (a conversation needs two)."""


@dataclass(frozen=True)
class Participant:
    person_id: int
    organisation: str
    """The organisation's identity (name or key); empty when unknown (never counted as a clash)."""


@dataclass(frozen=True)
class Quality:
    """How good a grouping is: lower is better, compared in this order."""

    same_organisation: int
    """Pairs in one group that come from the same organisation."""
    repeats: int
    """Pairs in one group that met in an earlier round."""


def group_sizes(count: int) -> list[int]:
    """The sizes of the groups for ``count`` people, groups of four first (see the module docstring)."""
    if count < 3:
        return [count] if count else []
    if count == 5:
        return [5]
    fours = count % 3
    return [4] * fours + [3] * ((count - 4 * fours) // 3)


def pairs_in(group: Sequence[int]) -> set[Pair]:
    return {frozenset(pair) for pair in combinations(group, 2)}


def quality(groups: Sequence[Sequence[int]], organisations: Mapping[int, str], history: set[Pair]) -> Quality:
    """The quality of ``groups`` (person ids) given each person's organisation and earlier pairs."""
    same = repeats = 0
    for group in groups:
        for a, b in combinations(group, 2):
            same += _same_organisation(organisations.get(a, ""), organisations.get(b, ""))
            repeats += frozenset((a, b)) in history
    return Quality(same, repeats)


def form_triads(people: Sequence[Participant], history: set[Pair], seed: int = 0) -> list[list[int]]:
    """Groups of person ids: everyone placed exactly once, sizes from ``group_sizes``, municipality
    diversity first and then the fewest repeated pairs. Deterministic for a given ``seed``."""
    if len({p.person_id for p in people}) != len(people):
        raise ValueError("a person appears twice")
    sizes = group_sizes(len(people))
    if len(sizes) <= 1:
        return [[p.person_id for p in people]] if people else []
    rng = random.Random(seed)
    order = list(people)
    rng.shuffle(order)
    cost = _cost_matrix(order, history)
    groups = _deal(order, sizes)
    groups = _local_search(groups, cost, rng)
    groups = _exact_search(groups, cost, sizes)
    ids = [p.person_id for p in order]
    position = {p.person_id: index for index, p in enumerate(people)}  # the output follows the input
    result = [sorted((ids[i] for i in group), key=position.__getitem__) for group in groups]
    return sorted(result, key=lambda group: position[group[0]])


class MoveProblem(Enum):
    UNKNOWN_PERSON = "unknown_person"
    UNKNOWN_GROUP = "unknown_group"
    SAME_GROUP = "same_group"
    GROUP_TOO_SMALL = "group_too_small"


def check_move(groups: Mapping[int, Sequence[int]], person_id: int, target: int) -> MoveProblem | None:
    """Whether a coordinator may move ``person_id`` to group ``target`` (groups by number)."""
    origin = next((number for number, members in groups.items() if person_id in members), None)
    if origin is None:
        return MoveProblem.UNKNOWN_PERSON
    if target not in groups:
        return MoveProblem.UNKNOWN_GROUP
    if target == origin:
        return MoveProblem.SAME_GROUP
    if len(groups[origin]) - 1 < MIN_GROUP_AFTER_MOVE:
        return MoveProblem.GROUP_TOO_SMALL
    return None


# --- the search ------------------------------------------------------------------------------
# People are indices into the shuffled ``order``; a pair's cost weighs a shared organisation above
# any number of repeats, so minimising the sum minimises clashes first and repeats second.


def _same_organisation(a: str, b: str) -> bool:
    return bool(a) and a == b


def _cost_matrix(order: Sequence[Participant], history: set[Pair]) -> list[list[int]]:
    count = len(order)
    clash = count * count  # more than the number of pairs: one clash outweighs every repeat
    cost = [[0] * count for _ in range(count)]
    for i, j in combinations(range(count), 2):
        a, b = order[i], order[j]
        value = clash * _same_organisation(a.organisation, b.organisation)
        value += frozenset((a.person_id, b.person_id)) in history
        cost[i][j] = cost[j][i] = value
    return cost


def _deal(order: Sequence[Participant], sizes: Sequence[int]) -> list[list[int]]:
    """Deal people round-robin, largest organisation first: the members of an organisation are
    consecutive, so any organisation with no more people than groups lands in different groups."""
    by_organisation: dict[str, list[int]] = {}
    for index, participant in enumerate(order):
        key = participant.organisation or f"\0{index}"  # unknown: a group of its own
        by_organisation.setdefault(key, []).append(index)
    dealt = [index for members in sorted(by_organisation.values(), key=len, reverse=True) for index in members]
    # Groups of four come first in ``sizes``, so each pass over the groups takes a prefix of them.
    seats = [g for place in range(max(sizes)) for g, size in enumerate(sizes) if size > place]
    groups: list[list[int]] = [[] for _ in sizes]
    for index, group in zip(dealt, seats, strict=True):
        groups[group].append(index)
    return groups


def _total(groups: Sequence[Sequence[int]], cost: list[list[int]]) -> int:
    return sum(cost[a][b] for group in groups for a, b in combinations(group, 2))


def _local_search(groups: list[list[int]], cost: list[list[int]], rng: random.Random) -> list[list[int]]:
    """Swap people between groups while that helps; then perturb the best and improve again."""
    best = _improve([list(g) for g in groups], cost)
    best_total = _total(best, cost)
    for _ in range(RESTARTS):
        if best_total == 0:
            break
        candidate = [list(g) for g in best]
        for _ in range(2):
            a, b = rng.sample(range(len(candidate)), 2)
            i, j = rng.randrange(len(candidate[a])), rng.randrange(len(candidate[b]))
            candidate[a][i], candidate[b][j] = candidate[b][j], candidate[a][i]
        candidate = _improve(candidate, cost)
        total = _total(candidate, cost)
        if total < best_total:
            best, best_total = candidate, total
    return best


def _improve(groups: list[list[int]], cost: list[list[int]]) -> list[list[int]]:
    """First-improvement hill climbing over swaps of two people in different groups."""
    improved = True
    while improved:
        improved = False
        for a, b in combinations(range(len(groups)), 2):
            for i in range(len(groups[a])):
                for j in range(len(groups[b])):
                    if _swap_gain(groups[a], groups[b], i, j, cost) > 0:
                        groups[a][i], groups[b][j] = groups[b][j], groups[a][i]
                        improved = True
    return groups


def _swap_gain(first: list[int], second: list[int], i: int, j: int, cost: list[list[int]]) -> int:
    p, q = first[i], second[j]
    before = sum(cost[p][x] for x in first if x != p) + sum(cost[q][x] for x in second if x != q)
    after = sum(cost[p][x] for x in second if x != q) + sum(cost[q][x] for x in first if x != p)
    return before - after


def _exact_search(groups: list[list[int]], cost: list[list[int]], sizes: Sequence[int]) -> list[list[int]]:
    """Branch and bound from the local search's result: only a strictly better grouping replaces it."""
    search = _BranchAndBound(cost, groups, _total(groups, cost))
    if search.best_total > 0:
        search.run(sorted(i for group in groups for i in group), sorted(sizes), [], 0)
    return search.best


class _BranchAndBound:
    def __init__(self, cost: list[list[int]], incumbent: list[list[int]], total: int) -> None:
        self.cost = cost
        self.best = incumbent
        self.best_total = total
        self.budget = EXACT_BUDGET

    def run(self, free: list[int], sizes: list[int], chosen: list[list[int]], total: int) -> None:
        """Groups are built in a canonical order: the lowest free person opens the next group."""
        if not free:
            self.best, self.best_total = [list(g) for g in chosen], total
            return
        first, rest = free[0], free[1:]
        for size in sorted(set(sizes)):
            remaining = list(sizes)
            remaining.remove(size)
            for others in combinations(rest, size - 1):
                if self.budget <= 0 or self.best_total == 0:
                    return
                self.budget -= 1
                group = [first, *others]
                added = sum(self.cost[a][b] for a, b in combinations(group, 2))
                if total + added >= self.best_total:
                    continue
                left = [i for i in rest if i not in others]
                self.run(left, remaining, [*chosen, group], total + added)
