"""`vem kan`: every word of the topic must match an example or a role, as a word part or an inflection."""

from __future__ import annotations

import pytest

from bot.features.examples.who_knows import MAX_RESULTS, clean_topic, topic_words, who_knows
from storage.expertise import ListedPerson, SharedExample


def person(person_id: int, name: str, role: str = "", examples: tuple[SharedExample, ...] = ()) -> ListedPerson:
    return ListedPerson(person_id, name, "Mora kommun", role, f"{person_id}@mora.se", list(examples))


ENERGY = SharedExample("Energiplan för Mora", "Energiplanering", "Vi kartlade effektbehovet.", "anna@mora.se")
PERMITS = SharedExample("Snabbare bygglov", "Tillståndsprocess", "Samråd tidigt med Länsstyrelsen.", "")


def test_finds_by_example_theme_with_swedish_endings() -> None:
    people = [person(1, "Anna", examples=(ENERGY,)), person(2, "Erik", examples=(PERMITS,))]
    found = who_knows("tillståndsprocesser", people)
    assert [f.person.name for f in found] == ["Erik"]
    assert found[0].examples == [PERMITS] and not found[0].by_role


def test_every_word_must_match_and_stop_words_are_ignored() -> None:
    people = [person(1, "Anna", examples=(ENERGY,))]
    assert who_knows("energiplanering i Mora", people)
    assert not who_knows("energiplanering i Falun", people)


def test_finds_by_role_and_lists_examples_first() -> None:
    people = [person(1, "Örjan", role="Energistrateg"), person(2, "Anna", examples=(ENERGY,))]
    found = who_knows("energi", people)
    assert [f.person.name for f in found] == ["Anna", "Örjan"]
    assert found[1].by_role and not found[1].examples


def test_results_are_capped() -> None:
    people = [person(i, f"P{i:02d}", role="Planarkitekt") for i in range(MAX_RESULTS + 5)]
    assert len(who_knows("planarkitekt", people)) == MAX_RESULTS


@pytest.mark.parametrize("raw", ["", "x", "  ?  ", "om i", "a" * 101])
def test_unusable_topics_are_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        clean_topic(raw)


def test_topic_words_are_snowball_stems_without_stop_words() -> None:
    assert clean_topic("  tillståndsprocesser? ") == "tillståndsprocesser"
    assert [w.stem for w in topic_words("Planering för hållbarhet")] == ["planering", "hållbar"]


def test_finds_word_parts_and_inflections() -> None:
    strategy = SharedExample("Planeringsstrategi på tolv månader", "Översiktsplanering", "Vi tog fram en strategi.", "")
    housing = SharedExample("Fler bostäder i Orsa", "Bostadsförsörjning", "Ny bostad nära stationen.", "")
    people = [person(1, "Anna", examples=(strategy,)), person(2, "Erik", examples=(housing,)),
              person(3, "Sara", role="Bostadsstrateg")]
    assert [f.person.name for f in who_knows("planeringsstrategi", people)] == ["Anna"]
    assert [f.person.name for f in who_knows("planeringsstrategier", people)] == ["Anna"]
    assert [f.person.name for f in who_knows("bostäder", people)] == ["Erik", "Sara"]
    assert [f.person.name for f in who_knows("bostad", people)] == ["Erik", "Sara"]
    assert not who_knows("bostäder i Falun", people)
