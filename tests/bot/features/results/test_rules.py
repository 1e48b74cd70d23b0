"""Evaluation results: thresholds, rounding, means, trend, anonymity of free texts and of the
per-organisation breakdown, and the Swedish summary written from the numbers."""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.features.evaluation.rules import DEFAULT_QUESTIONS, Question
from bot.features.results.rules import (
    OTHER_ORGANISATIONS,
    AnswerData,
    MeetingAnswers,
    MeetingResult,
    after_meeting,
    benefit_phrase,
    organisation_breakdown,
    percent_half_up,
    quantifier,
    round_half_up,
    summarise_meeting,
    summarise_project,
    swedish_summary,
)

KNOWLEDGE = Question("knowledge", "Träffen gav mig nya kunskaper", "scale", True)
VENUE = Question("venue", "Lokalen fungerade bra", "scale")
VALUABLE = Question("valuable", "Vad var mest värdefullt?", "text")
QUESTIONS = (KNOWLEDGE, VENUE, VALUABLE)


def answer(knowledge: int, organisation: str = "Falu kommun", **values: int | str) -> AnswerData:
    return AnswerData({"knowledge": knowledge, **values}, organisation)


def meeting(steps: Sequence[int], number: int = 1, invited: int = 15, organisation: str = "Falu kommun",
            **values: int | str) -> MeetingAnswers:
    return MeetingAnswers(number, f"Träff {number}", invited, [answer(s, organisation, **values) for s in steps])


def with_high_share(number: int, high: int, answered: int, invited: int) -> MeetingAnswers:
    """``high`` answers of 5 to every default scale question, the rest 3."""
    scale_keys = [q.key for q in DEFAULT_QUESTIONS if q.kind == "scale"]
    answers = [AnswerData(dict.fromkeys(scale_keys, 5 if i < high else 3), "Mora kommun") for i in range(answered)]
    return MeetingAnswers(number, f"Träff {number}", invited, answers)


# --- thresholds ---------------------------------------------------------------------------------


def test_two_answers_are_not_shown() -> None:
    result = summarise_meeting(meeting([5, 4], valuable="Bra"), QUESTIONS)
    assert (result.shown, result.answered, result.threshold) == (False, 2, 3)
    assert result.scales == [] and result.free_texts == {} and result.by_organisation == []


def test_three_answers_are_shown() -> None:
    result = summarise_meeting(meeting([5, 4, 2], valuable="Bra"), QUESTIONS)
    assert result.shown
    knowledge = result.scale("knowledge")
    assert knowledge is not None and knowledge.shown
    assert knowledge.counts == (0, 1, 0, 1, 1)  # index 0 is step 1, "Inte alls"
    assert result.free_texts == {"valuable": ["Bra", "Bra", "Bra"]}


def test_the_threshold_is_configurable() -> None:
    assert not summarise_meeting(meeting([5, 4, 3, 2]), QUESTIONS, threshold=5).shown
    assert summarise_meeting(meeting([5, 4, 3, 2, 1]), QUESTIONS, threshold=5).shown
    with pytest.raises(ValueError):
        summarise_meeting(meeting([5]), QUESTIONS, threshold=0)


def test_an_optional_question_below_the_threshold_is_withheld() -> None:
    answers = [answer(5, venue=4), answer(4, venue=2), answer(3)]
    result = summarise_meeting(MeetingAnswers(1, "Träff 1", 10, answers), QUESTIONS)
    venue = result.scale("venue")
    assert venue is not None
    assert (venue.shown, venue.answered, venue.counts, venue.mean, venue.share_high_percent) == (
        False, 2, (0, 0, 0, 0, 0), None, None)


def test_response_rate_even_when_hidden() -> None:
    result = summarise_meeting(meeting([5, 4], invited=16), QUESTIONS)
    assert result.response_rate_percent == 13  # 12.5 % rounds up
    assert summarise_meeting(meeting([5, 4], invited=0), QUESTIONS).response_rate_percent is None


@pytest.mark.parametrize("stored", [6, 0, True, "4"])
def test_a_corrupt_stored_answer_is_an_error_not_skipped(stored: int | str) -> None:
    with pytest.raises(ValueError, match="knowledge"):
        summarise_meeting(MeetingAnswers(1, "t", 3, [answer(5), answer(4), AnswerData({"knowledge": stored}, "")]),
                          QUESTIONS)


# --- rounding and means ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("part", "whole", "percent"),
    [(1, 8, 13), (5, 8, 63), (1, 40, 3), (7, 8, 88), (1, 3, 33), (2, 3, 67), (0, 5, 0), (5, 5, 100)],
)
def test_percentages_round_half_up(part: int, whole: int, percent: int) -> None:
    # 12.5, 62.5 and 2.5 are where banker's rounding (Python's round) would go down to even.
    assert percent_half_up(part, whole) == percent


def test_round_half_up_is_exact() -> None:
    assert round(2.5) == 2 and round_half_up(5, 2) == 3
    assert round_half_up(43, 10) == 4 and round_half_up(45, 10) == 5
    with pytest.raises(ValueError):
        round_half_up(1, 0)


def test_share_high_half_up() -> None:
    # 1 of 8 answers 4 or 5: 12.5 % is shown as 13 %.
    knowledge = summarise_meeting(meeting([4, 3, 3, 3, 3, 2, 2, 1]), QUESTIONS).scale("knowledge")
    assert knowledge is not None
    assert knowledge.share_high == pytest.approx(0.125)
    assert knowledge.share_high_percent == 13


@pytest.mark.parametrize(
    ("steps", "mean"),
    [([4, 4, 4, 5], 4.3), ([3, 3, 3, 4], 3.3), ([4, 4, 5], 4.3), ([5, 5, 5], 5.0), ([1, 1, 2], 1.3),
     ([5] * 7 + [4] * 13, 4.4)],
)
def test_mean_to_one_decimal_half_up(steps: list[int], mean: float) -> None:
    # 4.25 and 3.25 go up (round(4.25, 1) gives 4.2); 87/20 = 4.35 is 4.4.
    summary = summarise_meeting(meeting(steps), QUESTIONS).scale("knowledge")
    assert summary is not None and summary.mean == mean


def test_share_high_counts_steps_four_and_five() -> None:
    summary = summarise_meeting(meeting([5, 4, 3]), QUESTIONS).scale("knowledge")
    assert summary is not None
    assert summary.share_high == pytest.approx(2 / 3)
    assert summary.share_high_percent == 67


# --- free texts -----------------------------------------------------------------------------------

SUBMITTED = ["Öppna samtal", "Bra exempel", "Ärliga diskussioner", "att träffa andra", "Åsikter från Mora"]


def test_free_texts_are_sorted_swedish_style_not_in_submit_order() -> None:
    answers = [answer(4, valuable=text) for text in SUBMITTED] + [answer(4, valuable="  ")]
    result = summarise_meeting(MeetingAnswers(1, "t", 9, answers), QUESTIONS)
    assert result.free_texts["valuable"] == [
        "att träffa andra", "Bra exempel", "Åsikter från Mora", "Ärliga diskussioner", "Öppna samtal"]
    assert result.free_texts["valuable"] != SUBMITTED


@given(st.permutations(SUBMITTED))
def test_free_text_order_says_nothing_about_submit_order(order: list[str]) -> None:
    answers = [answer(4, valuable=text) for text in order]
    expected = summarise_meeting(MeetingAnswers(1, "t", 9, [answer(4, valuable=x) for x in SUBMITTED]), QUESTIONS)
    assert summarise_meeting(MeetingAnswers(1, "t", 9, answers), QUESTIONS).free_texts == expected.free_texts


# --- per-organisation breakdown --------------------------------------------------------------------


def group_answers(sizes: dict[str, int]) -> list[AnswerData]:
    return [answer(5 if i % 2 else 3, name) for name, size in sizes.items() for i in range(size)]


def breakdown(sizes: dict[str, int], threshold: int = 3) -> list[tuple[str, int]]:
    groups = organisation_breakdown(group_answers(sizes), [KNOWLEDGE], threshold)
    return [(group.organisation, group.answered) for group in groups]


def test_groups_at_the_threshold_are_listed_by_name() -> None:
    assert breakdown({"Mora kommun": 3, "Falu kommun": 4}) == [("Falu kommun", 4), ("Mora kommun", 3)]


def test_small_groups_are_pooled_when_the_pool_reaches_the_threshold() -> None:
    sizes = {"Falu kommun": 3, "Mora kommun": 1, "Orsa kommun": 1, "Rättviks kommun": 1}
    assert breakdown(sizes) == [("Falu kommun", 3), (OTHER_ORGANISATIONS, 3)]


def test_a_lone_small_group_pulls_the_smallest_large_group_into_the_pool() -> None:
    # Listing Falun (4) and Mora (3) would give Orsa's single answer as total minus the two.
    assert breakdown({"Falu kommun": 4, "Mora kommun": 3, "Orsa kommun": 1}) == [
        ("Falu kommun", 4), (OTHER_ORGANISATIONS, 4)]


def test_no_breakdown_when_nothing_but_the_total_could_be_shown() -> None:
    assert breakdown({"Falu kommun": 3, "Mora kommun": 1}) == []
    assert breakdown({"Falu kommun": 2, "Mora kommun": 2, "Orsa kommun": 2}) == []


def test_answers_without_organisation_go_to_the_pool() -> None:
    assert breakdown({"Falu kommun": 3, "": 3}) == [("Falu kommun", 3), (OTHER_ORGANISATIONS, 3)]


def test_group_figures_are_the_groups_own() -> None:
    answers = [answer(5, "Falu kommun"), answer(5, "Falu kommun"), answer(4, "Falu kommun"),
               answer(1, "Mora kommun"), answer(2, "Mora kommun"), answer(2, "Mora kommun")]
    result = summarise_meeting(MeetingAnswers(1, "t", 6, answers), QUESTIONS)
    falun, mora = result.by_organisation
    assert (falun.organisation, falun.scales[0].counts, falun.scales[0].share_high_percent) == (
        "Falu kommun", (0, 0, 0, 1, 2), 100)
    assert (mora.organisation, mora.scales[0].counts, mora.scales[0].mean) == ("Mora kommun", (1, 2, 0, 0, 0), 1.7)


def test_a_question_too_few_answered_in_one_group_is_left_out_of_every_group() -> None:
    # Mora answered "venue" only twice: showing Falun's venue figures would give Mora's by subtraction.
    answers = [answer(5, "Falu kommun", venue=4) for _ in range(3)]
    answers += [answer(3, "Mora kommun", venue=2), answer(3, "Mora kommun", venue=2), answer(3, "Mora kommun")]
    result = summarise_meeting(MeetingAnswers(1, "t", 6, answers), QUESTIONS)
    assert [[s.question_key for s in group.scales] for group in result.by_organisation] == [
        ["knowledge"], ["knowledge"]]
    venue = result.scale("venue")
    assert venue is not None and venue.shown  # the meeting as a whole still shows it


@given(
    st.dictionaries(st.sampled_from(["Avesta", "Borlänge", "Falun", "Gagnef", "Leksand", "Mora", ""]),
                    st.integers(min_value=1, max_value=7), min_size=1),
    st.integers(min_value=1, max_value=5),
)
def test_no_group_can_be_derived_by_subtraction(sizes: dict[str, int], threshold: int) -> None:
    answers = group_answers(sizes)
    groups = organisation_breakdown(answers, [KNOWLEDGE], threshold)
    if not groups:
        return
    # Every listed group reaches the threshold and together they are exactly the total, so the total
    # minus any listed groups is a union of other listed groups, never a hidden small one.
    assert all(group.answered >= threshold for group in groups)
    assert sum(group.answered for group in groups) == len(answers)
    named = [group for group in groups if not group.pooled]
    assert named and all(sizes[group.organisation] == group.answered for group in named)
    assert all(group.scales[0].counts and sum(group.scales[0].counts) == group.answered for group in groups)


# --- trend ----------------------------------------------------------------------------------------


def test_trend_per_question_in_meeting_order() -> None:
    meetings = [meeting([5, 5, 5], number=3), meeting([5, 4, 2], number=1), meeting([5], number=2)]
    results, trend = summarise_project(meetings, QUESTIONS)
    assert [r.meeting_number for r in results] == [1, 2, 3]
    assert trend.points_for("knowledge") == [(1, 67), (2, None), (3, 100)]
    assert trend.points_for("venue") == [(1, None), (2, None), (3, None)]
    assert [q.question_key for q in trend.questions] == ["knowledge", "venue"]
    assert trend.points_for("valuable") == []


# --- the Swedish summary ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("percent", "words"),
    [(100, "Samtliga"), (99, "De allra flesta"), (80, "De allra flesta"), (79, "En klar majoritet"),
     (60, "En klar majoritet"), (59, "Drygt hälften"), (51, "Drygt hälften"), (50, "Hälften"),
     (49, "Knappt hälften"), (40, "Knappt hälften"), (39, "Omkring en tredjedel"), (30, "Omkring en tredjedel"),
     (29, "En mindre del"), (15, "En mindre del"), (14, "Ett fåtal"), (1, "Ett fåtal"), (0, "Ingen")],
)
def test_quantifiers(percent: int, words: str) -> None:
    assert quantifier(percent) == words


def test_summary_of_a_project_from_its_numbers() -> None:
    meetings = [with_high_share(1, high=7, answered=10, invited=14),
                with_high_share(4, high=9, answered=10, invited=12)]
    results, _ = summarise_project(meetings, DEFAULT_QUESTIONS)
    # 20 of 26 answered (76.9 %); 16 of 20 answered 4 or 5 on every question (80 %).
    assert swedish_summary(results, DEFAULT_QUESTIONS) == (
        "Utvärderingarna efter de 2 träffarna fick totalt 20 svar av 26 möjliga (77 %). "
        "De allra flesta svarar att träffarna i stor eller mycket stor utsträckning gett dem "
        "nya kunskaper (80 %), nya eller fördjupade kontakter (80 %) och praktiskt stöd i arbetet (80 %). "
        "För nya kunskaper ökade andelen från 70 % efter första träffen till 90 % efter den fjärde. "
        "För nya eller fördjupade kontakter ökade andelen från 70 % efter första träffen till 90 % efter den fjärde. "
        "För praktiskt stöd i arbetet ökade andelen från 70 % efter första träffen till 90 % efter den fjärde."
    )


def test_summary_of_one_meeting_in_the_regions_words() -> None:
    results, _ = summarise_project([with_high_share(2, high=6, answered=7, invited=9)], DEFAULT_QUESTIONS)
    text = swedish_summary(results, DEFAULT_QUESTIONS)
    assert text.startswith("Efter träff 2 svarade 7 av 9 inbjudna (78 %). De allra flesta svarar att träffen ")
    assert "nya kunskaper (86 %)" in text and "ökade" not in text


def test_each_quantifier_gets_its_own_sentence() -> None:
    answers = [AnswerData({"knowledge": 5, "contacts": 5 if i < 2 else 2, "support": 1}, "") for i in range(4)]
    results = [summarise_meeting(MeetingAnswers(1, "t", 4, answers), DEFAULT_QUESTIONS)]
    assert swedish_summary(results, DEFAULT_QUESTIONS) == (
        "Efter träff 1 svarade 4 av 4 inbjudna (100 %). "
        "Samtliga (100 %) svarar att träffen i stor eller mycket stor utsträckning gett dem nya kunskaper. "
        "Hälften (50 %) svarar att träffen i stor eller mycket stor utsträckning gett dem nya eller fördjupade "
        "kontakter. "
        "Ingen (0 %) svarar att träffen i stor eller mycket stor utsträckning gett dem praktiskt stöd i arbetet."
    )


def test_a_question_in_other_words_is_quoted() -> None:
    results = [summarise_meeting(meeting([2, 2, 2], venue=5), QUESTIONS)]
    text = swedish_summary(results, QUESTIONS)
    assert "Samtliga (100 %) svarar i stor eller mycket stor utsträckning på ”Lokalen fungerade bra”." in text
    assert "Ingen (0 %) svarar att träffen i stor eller mycket stor utsträckning gett dem nya kunskaper." in text


def test_decreasing_and_unchanged_trends() -> None:
    meetings = [meeting([5, 5, 5, 3], number=1, venue=4), meeting([5, 5, 3, 3], number=2, venue=5)]
    results, _ = summarise_project(meetings, QUESTIONS)
    text = swedish_summary(results, QUESTIONS)
    assert "För nya kunskaper minskade andelen från 75 % efter första träffen till 50 % efter den andra." in text
    assert "För ”Lokalen fungerade bra” var andelen 100 % både efter första träffen och efter den andra." in text


def test_hidden_meetings_are_named_and_left_out_of_the_shares() -> None:
    meetings = [meeting([5, 5, 5], number=1, invited=4), meeting([1, 1], number=2, invited=4),
                meeting([5, 5, 4], number=3, invited=4)]
    results, _ = summarise_project(meetings, QUESTIONS)
    text = swedish_summary(results, QUESTIONS)
    assert text.startswith(
        "Utvärderingarna efter de 3 träffarna fick totalt 8 svar av 12 möjliga (67 %). Samtliga (100 %)")
    assert text.endswith("Resultaten från träff 2 visas inte eftersom färre än 3 har svarat.")
    assert "efter den tredje" in text


def test_summary_when_nothing_may_be_shown() -> None:
    one = [summarise_meeting(meeting([5, 4], invited=15), QUESTIONS)]
    assert swedish_summary(one, QUESTIONS) == (
        "Efter träff 1 svarade 2 av 15 inbjudna (13 %). Resultaten visas när minst 3 har svarat.")
    two, _ = summarise_project([meeting([5], number=1, invited=5), meeting([5], number=2, invited=5)], QUESTIONS)
    assert swedish_summary(two, QUESTIONS) == (
        "Utvärderingarna efter de 2 träffarna fick totalt 2 svar av 10 möjliga (20 %). "
        "Inga resultat visas ännu eftersom färre än 3 har svarat efter varje träff.")
    assert swedish_summary([], QUESTIONS) == "Det finns inga utvärderingar att sammanfatta ännu."


def test_every_percentage_in_the_summary_comes_from_the_results() -> None:
    meetings = [meeting([5, 4, 3, 2, 1, 5, 4], number=1, invited=11, venue=3),
                meeting([5, 5, 4, 2], number=2, invited=9, venue=4)]
    results, trend = summarise_project(meetings, QUESTIONS)
    text = swedish_summary(results, QUESTIONS)
    stated = {int(p) for p in re.findall(r"(\d+) %", text)}
    computed = {p for q in trend.questions for _, p in q.points if p is not None}
    overall = (percent_half_up(11, 20), _pooled(results, "knowledge"), _pooled(results, "venue"))
    computed |= {p for p in overall if p is not None}
    assert stated <= computed


def _pooled(results: Sequence[MeetingResult], key: str) -> int | None:
    summaries = [s for r in results if (s := r.scale(key)) is not None and s.shown]
    return percent_half_up(sum(s.counts[3] + s.counts[4] for s in summaries), sum(s.answered for s in summaries))


@pytest.mark.parametrize(
    ("text", "phrase"),
    [("Träffen gav mig nya kunskaper", "nya kunskaper"),
     ("Träffen gav mig praktiskt stöd i mitt arbete", "praktiskt stöd i arbetet"),
     ("träffen gav mig nya kontakter.", "nya kontakter"),
     ("Träffen gav mig energi för mina projekt", None),
     ("Lokalen fungerade bra", None)],
)
def test_benefit_phrase(text: str, phrase: str | None) -> None:
    assert benefit_phrase(text) == phrase


def test_after_meeting_in_words() -> None:
    assert after_meeting(1, first_mention=True) == "efter första träffen"
    assert after_meeting(4, first_mention=False) == "efter den fjärde"
    assert after_meeting(11, first_mention=True) == "efter träff 11"
