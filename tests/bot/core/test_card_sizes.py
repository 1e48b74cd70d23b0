"""Cards that grow with a project stay within Teams' message size: the largest realistic variants of
the results card, the alumni digest and the registrations overview are built and measured, and each
says what it left out and where it is (the Excel export)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from bot.core.actions import card_activity
from bot.core.cards import CARD_BUDGET, card_bytes, largest_that_fits
from bot.core.i18n import t
from bot.features.alumni.cards import digest_card, who_knows_card
from bot.features.evaluation.rules import DEFAULT_QUESTIONS
from bot.features.evaluation.service import ProjectResults
from bot.features.examples.cards import search_results
from bot.features.examples.who_knows import Found
from bot.features.homework.cards import compilation_card
from bot.features.homework.service import Answered, Compilation, Task
from bot.features.registration.coordinator_cards import overview_card
from bot.features.results.cards import TEXTS_SHOWN, results_card
from bot.features.results.rules import AnswerData, MeetingAnswers, summarise_project
from bot.teams.outgoing import DEFAULT_MAX_BYTES, activity_bytes
from storage.alumni import ReplyRow
from storage.examples import ExampleEntry
from storage.expertise import ListedPerson, SharedExample
from storage.registrations import OrganisationCount, ProjectOverview

MUNICIPALITIES = ["Avesta", "Borlänge", "Falun", "Gagnef", "Hedemora", "Leksand", "Ludvika", "Malung-Sälen",
                  "Mora", "Orsa", "Rättvik", "Smedjebacken", "Säter", "Vansbro", "Älvdalen"]


def free_text(n: int, length: int) -> str:
    words = f"Svar {n}: vi lärde oss mycket om samverkan mellan förvaltningarna och om hur vi når fler. "
    return (words * (length // len(words) + 1))[:length]


def results(meetings: int, texts: int, length: int) -> ProjectResults:
    keys = [q.key for q in DEFAULT_QUESTIONS]
    answered = [
        MeetingAnswers(number, f"Träff {number}: ett ganska långt tema om klimatanpassning", texts + 5, [
            AnswerData({key: (n % 5) + 1 if q.kind == "scale" else free_text(n, length)
                        for key, q in zip(keys, DEFAULT_QUESTIONS, strict=True)}, MUNICIPALITIES[n % 15])
            for n in range(texts)])
        for number in range(1, meetings + 1)]
    shown, trend = summarise_project(answered, DEFAULT_QUESTIONS, 3)
    return ProjectResults(shown, trend, "Sammanfattning. " * 20, DEFAULT_QUESTIONS, [],
                          {number: f"token-{number:0>20}" for number in range(1, meetings + 1)})


def fits(card: dict[str, Any]) -> bool:
    return card_bytes(card) <= CARD_BUDGET and activity_bytes(card_activity(card)) <= DEFAULT_MAX_BYTES


def texts_of(card: dict[str, Any]) -> str:
    return str(card)


def test_the_results_card_of_the_issue_fits_and_points_to_the_export() -> None:
    # 4 meetings x 3 text questions x 15 texts x 120 characters: 43 KB before (Teams refused it).
    card = results_card(1, "Klimatanpassning i Dalarna", results(4, 15, 120), "https://dalalab.example.se/charts")
    assert fits(card)
    assert "svar till finns i Excel-exporten" in texts_of(card)
    assert any(a["data"].get("format") == "xlsx" for a in card["actions"])


def test_the_largest_results_card_fits_with_the_latest_meetings() -> None:
    card = results_card(1, "P" * 200, results(10, 60, 500), "https://dalalab.example.se/charts")
    assert fits(card)
    assert "första träffarna finns i Excel-exporten" in texts_of(card) and "Träff 10:" in texts_of(card)


def test_a_small_results_card_shows_every_text_and_no_note() -> None:
    card = results_card(1, "Liten", results(2, 5, 60), "https://dalalab.example.se/charts")
    assert "svar till" not in texts_of(card) and texts_of(card).count("Svar 4:") == 2 * 3


def test_the_digest_of_many_long_replies_fits_and_says_how_many_are_left_out() -> None:
    replies = [ReplyRow(f"Person {n} Långnamnsson", MUNICIPALITIES[n % 15], free_text(n, 1000)) for n in range(300)]
    card = digest_card("Vad har du provat sedan sist?", replies)
    assert fits(card)
    assert "svar till" in texts_of(card)
    few = digest_card("Fråga", replies[:3])
    assert "svar till" not in texts_of(few) and texts_of(few).count("Långnamnsson") == 3


def test_a_long_waitlist_fits_and_points_to_the_export() -> None:
    queued = datetime(2027, 3, 1, 9, tzinfo=UTC)
    waitlist = [SimpleNamespace(name=f"Person {n} Långnamnsson-Efternamnsdotter", organisation_other="",
                                organisation=SimpleNamespace(name=MUNICIPALITIES[n % 15]),
                                queued_at=queued + timedelta(minutes=n)) for n in range(600)]
    counts = [OrganisationCount(name, 3, 40) for name in MUNICIPALITIES]
    project = SimpleNamespace(id=1, name="Klimatanpassning", capacity=45, registration_deadline=None,
                              quota_per_organisation=3)
    card = overview_card(project, ProjectOverview(counts, waitlist, 45))  # type: ignore[arg-type]
    assert fits(card)
    assert "på väntelistan" in texts_of(card) and "Excel" in texts_of(card)


def test_the_largest_that_fits_is_the_largest() -> None:
    def build(n: int) -> dict[str, Any]:
        return {"type": "AdaptiveCard", "body": [{"type": "TextBlock", "text": "x" * 100}] * n}

    card = largest_that_fits(build, 1000, budget=5000)
    assert card_bytes(card) <= 5000 < card_bytes(build(len(card["body"]) + 1))
    assert TEXTS_SHOWN == 15


def large_report(meetings: int) -> Any:
    from bot.features.evaluation.rules import DEFAULT_QUESTIONS as QUESTIONS
    from bot.features.report.rules import (
        AssignmentFact,
        EvaluationFigures,
        MeetingFacts,
        RegistrationFact,
        ReportInput,
        build_report,
        project_shares,
    )
    from bot.features.results.rules import summarise_meeting

    now = datetime(2027, 6, 1, 12, tzinfo=UTC)
    numbers = tuple(range(1, meetings + 1))
    organisations = [f"{name} kommun" for name in MUNICIPALITIES] + ["Region Dalarna", "Länsstyrelsen Dalarna"]
    registrations = [RegistrationFact(3 * i + k, name, "municipality", "registered", frozenset(numbers))
                     for i, name in enumerate(organisations) for k in range(3)]
    held = [MeetingFacts(n, n, f"Träff {n}: ett långt tema om klimatanpassning i kommunerna",
                         now - timedelta(days=200 - 10 * n), frozenset(range(40))) for n in numbers]
    answers = [AnswerData({"knowledge": k, "contacts": 4, "support": 3}, "Falu kommun") for k in (5, 4, 3, 4)]
    results = [summarise_meeting(MeetingAnswers(n, f"Träff {n}", 40, answers), QUESTIONS, 3) for n in numbers]
    evaluation = EvaluationFigures(results, project_shares(results, QUESTIONS), "Sammanfattning. " * 10)
    assignments = [AssignmentFact(f"Uppgift {i}", i, now, frozenset(range(30))) for i in numbers]
    return build_report(ReportInput("Klimatanpassning i Dalarna", now, [f"{n} kommun" for n in MUNICIPALITIES],
                                    registrations, held, 7, assignments, evaluation))


def test_the_report_of_a_long_project_fits_and_points_to_the_excel_report() -> None:
    from bot.features.report.cards import report_card

    card = report_card(1, large_report(12))  # 34.7 KB before
    assert fits(card)
    assert "finns i Excel-rapporten" in texts_of(card) and "Träff 12" in texts_of(card)


def test_a_short_projects_report_shows_every_meeting() -> None:
    from bot.features.report.cards import report_card

    card = report_card(1, large_report(4))
    assert "Excel-rapporten" not in texts_of(card) and "Träff 1'" in texts_of(card)


def test_who_knows_with_many_people_fits_and_says_how_many_more() -> None:
    people = [Found(ListedPerson(n, f"Person {n} " + "x" * 150, "Falu kommun", "Planarkitekt " + "y" * 150,
                                 f"p{n}@falun.se"),
                    [SharedExample("Exempel " + "z" * 200, "Planering", "text", "")] * 3, False)
              for n in range(200)]
    built = who_knows_card("planering", people)
    assert card_bytes(built) <= CARD_BUDGET
    assert "…och" in str(built) and "Sök på ett smalare ämne" in str(built)
    few = who_knows_card("planering", people[:3])
    assert "…och" not in str(few) and "Person 2" in str(few)


def test_many_long_examples_found_fit_and_count_the_rest() -> None:
    entries = [ExampleEntry(SimpleNamespace(id=n, title=f"Exempel {n} " + "t" * 200, theme="Planering " * 20,
                                            challenge="c" * 2000), "Falu kommun " * 10, "falun", "Projekt " * 20, "")
               for n in range(120)]
    built = search_results(entries, 300, "planering")  # type: ignore[arg-type]
    assert card_bytes(built) <= CARD_BUDGET
    assert "Och " in str(built) and "till: sök med fler ord" in str(built)


def test_a_compilation_of_thirty_long_answers_fits_and_points_to_the_export() -> None:
    task = Task(SimpleNamespace(id=1, title="Hemuppgift", instructions=""),  # type: ignore[arg-type]
                SimpleNamespace(name="Projekt"), None)  # type: ignore[arg-type]
    submission = SimpleNamespace(text="Återkoppling: " + "å" * 690, links="https://example.se/" + "l" * 200,
                                 updated_at=datetime(2027, 5, 1, tzinfo=UTC))
    answers = [Answered(SimpleNamespace(name=f"Person {n}", organisation_name="Älvdalens kommun"),  # type: ignore
                        submission)  # type: ignore[arg-type]
               for n in range(30)]
    built = compilation_card(Compilation(task, answers, []))
    assert card_bytes(built) <= CARD_BUDGET
    assert "Person 0" in str(built) and "Person 29" not in str(built)
    assert t("homework.more_in_export") in str(built)
