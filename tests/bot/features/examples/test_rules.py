"""The rules of case examples: valid examples and requests, who is asked and nudged, reviews,
who may see what, and searching with Swedish letters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.input_rules import FormInvalid
from bot.features.examples.rules import (
    Decision,
    ExampleStatus,
    Member,
    Searchable,
    Sharing,
    Viewer,
    may_see,
    nudge_time,
    parse_decision,
    parse_example,
    parse_request,
    rank,
    request_audience,
    request_covers,
    review_status,
    score,
    search_terms,
    split_keys,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
KEYS = ("falun", "mora", "borlange", "region")
GOOD = {"title": "Räkna aldrig bort Borlänge", "theme": "Etableringar", "organisation": "borlange",
        "challenge": "Stor etablering på kort tid.", "actions": "Samlad tillståndsgrupp.", "result": "",
        "lessons": "Börja tidigt.", "contact": "Anna, anna@borlange.se", "links": "https://borlange.se/a",
        "sharing": "alumni"}


def problems(values: dict[str, object]) -> list[tuple[str, str]]:
    with pytest.raises(FormInvalid) as raised:
        parse_example(values, KEYS)
    return [(p.key, p.field) for p in raised.value.problems]


def test_a_good_example() -> None:
    form = parse_example({**GOOD, "organisation": "Borlange"}, KEYS)
    assert form.organisation_key == "borlange" and form.sharing is Sharing.ALUMNI
    assert form.links == ("https://borlange.se/a",) and form.result == ""


def test_every_problem_is_listed() -> None:
    found = problems({**GOOD, "title": "", "actions": " ", "organisation": "stockholm", "sharing": "world",
                      "links": "klicka här", "lessons": "x" * 4001})
    assert found == [("input.missing", "title"), ("input.missing", "actions"), ("input.too_long", "lessons"),
                     ("input.organisation_unknown", "organisation"), ("input.link_invalid", "links"),
                     ("input.sharing_unknown", "sharing")]


def test_a_request_with_chosen_municipalities() -> None:
    form = parse_request({"theme": " Energi ", "deadline_date": "2027-03-15", "organisations": "mora,falun"},
                         {"falun", "mora"}, STOCKHOLM, NOW)
    assert form.theme == "Energi" and form.organisation_keys == ("falun", "mora")
    assert form.deadline == datetime(2027, 3, 15, 22, 59, tzinfo=UTC)
    every = parse_request({"theme": "Energi", "deadline_date": "2027-03-15", "organisations": ""}, set(),
                          STOCKHOLM, NOW)
    assert every.organisation_keys == ()


def test_a_request_refuses_what_it_cannot_use() -> None:
    with pytest.raises(FormInvalid) as raised:
        parse_request({"theme": "", "deadline_date": "2027-02-01", "organisations": "stockholm"}, {"falun"},
                      STOCKHOLM, NOW)
    assert [p.key for p in raised.value.problems] == ["input.missing", "input.deadline_past",
                                                      "input.organisation_unknown"]


MEMBERS = [Member(1, "falun", "municipality"), Member(2, "mora", "municipality"), Member(3, "region", "region"),
           Member(4, "annan", "other")]


def test_audience_is_every_municipality_or_the_chosen_ones() -> None:
    assert [m.person_id for m in request_audience(MEMBERS, ())] == [1, 2]
    assert [m.person_id for m in request_audience(MEMBERS, ("mora", "region"))] == [2, 3]
    assert request_covers(split_keys("falun,mora"), MEMBERS[1])
    assert not request_covers(split_keys(""), MEMBERS[2])


def test_nudge_two_days_before_the_deadline_but_not_right_after_the_request() -> None:
    deadline = NOW + timedelta(days=10)
    assert nudge_time(NOW, deadline) == deadline - timedelta(days=2)
    assert nudge_time(NOW, NOW + timedelta(days=1)) == NOW + timedelta(hours=12)
    assert nudge_time(NOW, NOW + timedelta(hours=12)) is None


def test_only_a_submitted_example_can_be_reviewed() -> None:
    assert review_status("submitted", Decision.APPROVE) is ExampleStatus.APPROVED
    assert review_status("submitted", Decision.CHANGES) is ExampleStatus.CHANGES_REQUESTED
    for status in ("approved", "changes_requested", "rejected"):
        assert review_status(status, Decision.REJECT) is None


def test_asking_for_changes_needs_a_note() -> None:
    assert parse_decision("approve", "") == (Decision.APPROVE, "")
    assert parse_decision("changes", " Lägg till resultat ") == (Decision.CHANGES, "Lägg till resultat")
    for raw, note, key in (("changes", " ", "input.note_missing"), ("publish", "", "input.decision_unknown"),
                           ("reject", "x" * 2001, "input.too_long")):
        with pytest.raises(FormInvalid) as raised:
            parse_decision(raw, note)
        assert [p.key for p in raised.value.problems] == [key]


@pytest.mark.parametrize(("viewer", "sharing", "visible"), [
    (Viewer(frozenset({7})), "project", True),
    (Viewer(frozenset({8})), "project", False),
    (Viewer(frozenset()), "project", False),
    (Viewer(frozenset({8})), "alumni", True),
    (Viewer(frozenset()), "alumni", False),
    (Viewer(frozenset()), "public", True),
    (Viewer(frozenset(), coordinator=True), "project", True),
])
def test_who_may_see_an_approved_example(viewer: Viewer, sharing: str, visible: bool) -> None:
    assert may_see(viewer, "approved", sharing, 7) is visible


def test_nobody_sees_an_example_before_approval() -> None:
    for status in ("submitted", "changes_requested", "rejected"):
        assert not may_see(Viewer(frozenset({7}), coordinator=True), status, "public", 7)


ENERGY = Searchable("Energiomställning", "Effektbrist i Ludvika", "Ludvika kommun", "Vi byggde ut nätet.")
REUSE = Searchable("Återbruk", "Byggmaterial i kretslopp", "Borlänge kommun", "Energi sparades också.")


@pytest.mark.parametrize("query", ["energiomställning", "ENERGIOMSTÄLLNING", "Energiomställning",
                                   "effektbrist ludvika"])
def test_search_ignores_case_and_keeps_swedish_letters(query: str) -> None:
    assert score(ENERGY, search_terms(query)) > 0


def test_search_without_swedish_letters_finds_them() -> None:
    assert score(REUSE, search_terms("borlange aterbruk")) > 0
    assert score(REUSE, search_terms("ÅTERBRUK")) > 0
    assert score(Searchable("far", "", "", ""), search_terms("får")) == 0


def test_every_word_must_match() -> None:
    assert score(ENERGY, search_terms("energi mora")) == 0


def test_a_theme_hit_ranks_above_a_hit_in_the_text() -> None:
    old, new = NOW - timedelta(days=30), NOW
    assert rank([(REUSE, new), (ENERGY, old)], search_terms("energi")) == [1, 0]
    assert rank([(REUSE, old), (ENERGY, new)], []) == [1, 0]
    assert rank([(REUSE, old)], search_terms("vindkraft")) == []


def test_search_finds_word_parts_and_inflections() -> None:
    strategy = Searchable("Översiktsplanering", "Planeringsstrategi på tolv månader", "Mora kommun", "")
    housing = Searchable("Bostadsförsörjning", "Ny bostad vid stationen", "Orsa kommun", "")
    assert score(strategy, search_terms("planeringsstrategi")) > 0
    assert score(strategy, search_terms("planeringsstrategier")) > 0
    assert score(strategy, search_terms("strategi")) > 0
    assert score(housing, search_terms("bostäder")) > 0
    assert score(housing, search_terms("bostäder i Falun")) == 0
