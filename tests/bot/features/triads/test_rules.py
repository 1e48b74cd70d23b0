"""Forming triads: sizes, everyone placed once, municipality diversity and repeats, checked with
hypothesis against a brute-force optimum for small rounds."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.features.triads.rules import MoveProblem, Participant, check_move, form_triads, group_sizes, pairs_in

Pair = frozenset[int]
Round = tuple[list[Participant], set[Pair], int]
ORGANISATIONS = ["falun", "mora", "vansbro", "region", ""]


def expected_sizes(count: int) -> list[int]:
    """The documented rule, restated: threes and as few fours as possible; five is one group of
    five; fewer than three is one group of everyone."""
    if count < 3:
        return [count] if count else []
    if count == 5:
        return [5]
    fours = next(f for f in range(count // 4 + 1) if (count - 4 * f) % 3 == 0)
    return sorted([4] * fours + [3] * ((count - 4 * fours) // 3))


def score(groups: Sequence[Sequence[int]], people: Sequence[Participant], history: set[Pair]) -> tuple[int, int]:
    """(pairs from one organisation, pairs that met before): lower is better, compared in order."""
    organisation = {p.person_id: p.organisation for p in people}
    same = sum(
        1
        for group in groups
        for a, b in combinations(group, 2)
        if organisation[a] and organisation[a] == organisation[b]
    )
    repeats = sum(1 for group in groups for a, b in combinations(group, 2) if frozenset((a, b)) in history)
    return same, repeats


def partitions(ids: list[int], sizes: list[int]) -> Iterator[list[list[int]]]:
    """Every way to split ``ids`` into groups of the given sizes (brute force)."""
    if not ids:
        yield []
        return
    head, tail = ids[0], ids[1:]
    for size in set(sizes):
        rest_sizes = list(sizes)
        rest_sizes.remove(size)
        for others in combinations(tail, size - 1):
            remaining = [i for i in tail if i not in others]
            for rest in partitions(remaining, rest_sizes):
                yield [[head, *others], *rest]


def best_possible(people: list[Participant], history: set[Pair]) -> tuple[int, int]:
    ids = [p.person_id for p in people]
    return min(score(g, people, history) for g in partitions(ids, expected_sizes(len(ids))))


@st.composite
def rounds(draw: st.DrawFn, min_people: int = 0, max_people: int = 9) -> Round:
    count = draw(st.integers(min_people, max_people))
    ids = draw(st.lists(st.integers(1, 10_000), min_size=count, max_size=count, unique=True))
    organisations = draw(st.lists(st.sampled_from(ORGANISATIONS), min_size=count, max_size=count))
    people = [Participant(i, o) for i, o in zip(ids, organisations, strict=True)]
    all_pairs = [frozenset(pair) for pair in combinations(ids, 2)]
    history = draw(st.sets(st.sampled_from(all_pairs))) if all_pairs else set()
    return people, history, draw(st.integers(0, 2**16))


@st.composite
def large_rounds(draw: st.DrawFn) -> Round:
    count = draw(st.integers(10, 45))
    municipalities = draw(st.integers(2, 16))
    organisations = draw(st.lists(st.integers(0, municipalities - 1), min_size=count, max_size=count))
    people = [Participant(100 + i, f"kommun-{o}") for i, o in enumerate(organisations)]
    ids = [p.person_id for p in people]
    history = {frozenset(pair) for pair in draw(st.lists(st.sampled_from(list(combinations(ids, 2))), max_size=60))}
    return people, history, draw(st.integers(0, 2**16))


# --- sizes and placement ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "sizes"),
    [(0, []), (1, [1]), (2, [2]), (3, [3]), (4, [4]), (5, [5]), (6, [3, 3]), (7, [4, 3]), (8, [4, 4]),
     (9, [3, 3, 3]), (10, [4, 3, 3]), (11, [4, 4, 3]), (14, [4, 4, 3, 3])],
)
def test_group_sizes(count: int, sizes: list[int]) -> None:
    assert group_sizes(count) == sizes


@settings(max_examples=200, deadline=None)
@given(rounds(max_people=40))
def test_everyone_is_placed_exactly_once_in_groups_of_the_documented_sizes(case: Round) -> None:
    people, history, seed = case
    groups = form_triads(people, history, seed)
    placed = [person for group in groups for person in group]
    assert sorted(placed) == sorted(p.person_id for p in people)
    assert sorted(len(group) for group in groups) == expected_sizes(len(people))


def test_sizes_are_three_or_four_except_for_five_and_fewer_than_three() -> None:
    for count in range(3, 60):
        sizes = {len(g) for g in form_triads([Participant(i, "") for i in range(count)], set())}
        assert sizes <= ({5} if count == 5 else {3, 4}), count


# --- diversity and repeats against the brute-force optimum -----------------------------------


@settings(max_examples=300, deadline=None)
@given(rounds(max_people=9))
def test_diversity_then_repeats_are_optimal_for_small_rounds(case: Round) -> None:
    people, history, seed = case
    assert score(form_triads(people, history, seed), people, history) == best_possible(people, history)


@settings(max_examples=150, deadline=None)
@given(rounds(min_people=6, max_people=9))
def test_no_group_has_two_from_one_municipality_when_that_can_be_avoided(case: Round) -> None:
    people, history, seed = case
    avoidable = best_possible(people, history)[0] == 0
    clashes = score(form_triads(people, history, seed), people, history)[0]
    assert clashes == 0 or not avoidable


@settings(max_examples=100, deadline=None)
@given(large_rounds())
def test_large_rounds_keep_municipalities_apart_whenever_counts_allow(case: Round) -> None:
    people, history, seed = case
    groups = form_triads(people, history, seed)
    largest = max(Counter(p.organisation for p in people).values())
    if largest <= len(groups):
        assert score(groups, people, history)[0] == 0


def test_people_with_an_unknown_organisation_never_clash() -> None:
    people = [Participant(i, "") for i in range(6)]
    assert score(form_triads(people, set()), people, set()) == (0, 0)


# --- later rounds ----------------------------------------------------------------------------


def test_later_rounds_avoid_earlier_pairs() -> None:
    people = [Participant(i, f"kommun-{i % 4}") for i in range(12)]
    history: set[Pair] = set()
    for number in range(3):
        groups = form_triads(people, history, seed=number)
        if number < 2:
            assert score(groups, people, history) == (0, 0), f"round {number + 1}"
        # By the third round a repeat may be unavoidable; there should be no fewer possible.
        assert score(groups, people, history) == best_possible(people, history), f"round {number + 1}"
        for group in groups:
            history |= pairs_in(group)


def test_a_repeat_is_accepted_rather_than_leaving_someone_out() -> None:
    people = [Participant(1, "falun"), Participant(2, "mora"), Participant(3, "vansbro")]
    history = pairs_in([1, 2, 3])
    assert form_triads(people, history) == [[1, 2, 3]]


def test_diversity_comes_before_avoiding_repeats() -> None:
    # Two from Falun met Mora and Vansbro before; splitting Falun is still worth a repeat.
    people = [Participant(i, o) for i, o in enumerate(["falun", "falun", "mora", "vansbro", "leksand", "rättvik"])]
    history = pairs_in([0, 2, 3]) | pairs_in([1, 4, 5])
    groups = form_triads(people, history)
    assert all(not {0, 1} <= set(group) for group in groups)


@given(rounds(max_people=20))
@settings(max_examples=50, deadline=None)
def test_the_same_seed_gives_the_same_groups(case: Round) -> None:
    people, history, seed = case
    assert form_triads(people, history, seed) == form_triads(people, history, seed)


def test_a_person_given_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="twice"):
        form_triads([Participant(1, "falun"), Participant(1, "falun"), Participant(2, "mora")], set())


# --- coordinators moving people --------------------------------------------------------------

GROUPS = {1: [10, 11, 12], 2: [20, 21, 22, 23]}


def test_a_person_can_move_to_another_group() -> None:
    assert check_move(GROUPS, 10, 2) is None
    assert check_move(GROUPS, 23, 1) is None


@pytest.mark.parametrize(
    ("person", "target", "problem"),
    [(99, 1, MoveProblem.UNKNOWN_PERSON), (10, 3, MoveProblem.UNKNOWN_GROUP), (10, 1, MoveProblem.SAME_GROUP)],
)
def test_impossible_moves_are_refused(person: int, target: int, problem: MoveProblem) -> None:
    assert check_move(GROUPS, person, target) is problem


def test_a_move_may_not_leave_someone_alone() -> None:
    assert check_move({1: [1, 2], 2: [3, 4, 5]}, 1, 2) is MoveProblem.GROUP_TOO_SMALL
