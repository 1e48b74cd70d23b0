"""The project report's figures from known facts, and the workbook and PDF made from them (opened
with openpyxl and pypdf, as a coordinator's programs would)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from bot.features.evaluation.rules import DEFAULT_QUESTIONS
from bot.features.report.exports import report_xlsx
from bot.features.report.pdf import report_pdf
from bot.features.report.rules import (
    AssignmentFact,
    EvaluationFigures,
    MeetingFacts,
    ProjectReport,
    RegistrationFact,
    ReportInput,
    build_report,
    project_shares,
)
from bot.features.report.text import key_figures, municipality_sentence, participants_sentence
from bot.features.results.rules import AnswerData, MeetingAnswers, summarise_meeting

MUNICIPALITIES = ["Avesta kommun", "Borlänge kommun", "Falu kommun", "Gagnefs kommun", "Hedemora kommun",
                  "Leksands kommun", "Ludvika kommun", "Malung-Sälens kommun", "Mora kommun", "Orsa kommun",
                  "Rättviks kommun", "Smedjebackens kommun", "Säters kommun", "Vansbro kommun", "Älvdalens kommun"]
NOW = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
MEETINGS = (1, 2, 3, 4)


def registrations() -> list[RegistrationFact]:
    """Two people from each municipality but Orsa (28), one from the region, all at every meeting;
    one of Falun's is registered for meeting 1 only."""
    facts = []
    person = 0
    for name in MUNICIPALITIES:
        if name == "Orsa kommun":
            continue
        for _ in range(2):
            person += 1
            meetings = frozenset({1}) if person == 5 else frozenset(MEETINGS)
            facts.append(RegistrationFact(person, name, "municipality", "registered", meetings))
    facts.append(RegistrationFact(100, "Region Dalarna", "region", "registered", frozenset(MEETINGS)))
    facts.append(RegistrationFact(101, "Mora kommun", "municipality", "cancelled", frozenset(MEETINGS)))
    return facts


def meetings() -> list[MeetingFacts]:
    return [
        # Meeting 1: attendance known, 15 people present.
        MeetingFacts(1, 1, "Start", NOW - timedelta(days=90), frozenset(range(1, 16))),
        # Meeting 2: nobody checked in, so the 28 registered for it count (27 municipal + region).
        MeetingFacts(2, 2, "Tillstånd", NOW - timedelta(days=60), frozenset()),
        MeetingFacts(3, 3, "Energi", NOW - timedelta(days=30), frozenset({1, 2, 3, 100})),
        MeetingFacts(4, 4, "Avslutning", NOW + timedelta(days=10), frozenset()),  # not held yet
    ]


def evaluation() -> EvaluationFigures:
    answers = [AnswerData({"knowledge": k, "contacts": 4, "support": 3}, "Falu kommun") for k in (5, 4, 3, 4)]
    results = [summarise_meeting(MeetingAnswers(1, "Start", 15, answers), DEFAULT_QUESTIONS, 3),
               summarise_meeting(MeetingAnswers(2, "Tillstånd", 20, answers[:2]), DEFAULT_QUESTIONS, 3)]
    return EvaluationFigures(results, project_shares(results, DEFAULT_QUESTIONS), "Sammanfattning.")


@pytest.fixture
def report() -> ProjectReport:
    assignments = [AssignmentFact("Kartlägg er process", 1, NOW, frozenset({1, 2, 3, 999})),
                   AssignmentFact("Läs rapporten", None, NOW, frozenset(range(1, 11)))]
    return build_report(ReportInput("Stora etableringar", NOW, MUNICIPALITIES, registrations(), meetings(), 7,
                                    assignments, evaluation()))


def test_municipalities_participants_and_attendance(report: ProjectReport) -> None:
    assert len(report.municipalities_participating) == 14
    assert report.municipalities_missing == ["Orsa kommun"]
    assert [(m.number, m.participants, m.attendance_known, m.held) for m in report.meetings] == [
        (1, 15, True, True), (2, 28, False, True), (3, 4, True, True), (4, 0, False, False)]
    assert report.participants_range == (4, 28)
    falun = next(o for o in report.organisations if o.name == "Falu kommun")
    assert (falun.registered, falun.per_meeting, falun.people) == (2, (2, 1, 0), 2)
    orsa = next(o for o in report.organisations if o.name == "Orsa kommun")
    assert (orsa.registered, orsa.per_meeting, orsa.people) == (0, (0, 0, 0), 0)
    region = next(o for o in report.organisations if o.name == "Region Dalarna")
    assert not region.municipality and region.per_meeting == (0, 1, 1)


def test_homework_evaluation_and_examples(report: ProjectReport) -> None:
    # Meeting 1 had 29 registered (28 + region); the project 29 registered: 3 + 10 of 58.
    assert [(h.expected, h.answered, h.rate_percent) for h in report.homework] == [(29, 3, 10), (29, 10, 34)]
    assert report.homework_total.rate_percent == 22  # 13 / 58 = 22.4 %
    assert report.examples_received == 7
    knowledge = report.evaluation.project[0]
    assert (knowledge.answered, knowledge.share_percent) == (4, 75)  # meeting 2 is below the threshold


def test_sentences_in_the_regions_words(report: ProjectReport) -> None:
    assert municipality_sentence(report) == ("14 av 15 kommuner har deltagit i lärprojektet. Saknas: Orsa kommun.")
    assert participants_sentence(report) == "Vid de 3 träffarna har deltagarantalet legat mellan 4–28 personer."
    figures = dict(key_figures(report))
    assert figures["Deltagare per träff (min–max)"] == "4–28"
    assert figures["Hemuppgifter, svarsfrekvens"] == "22 % (13 av 58)"
    assert figures["Utvärderingar, svarsfrekvens"] == "17 % (6 av 35)"


def test_the_workbook_has_a_readable_sheet_per_part(report: ProjectReport) -> None:
    workbook = load_workbook(io.BytesIO(report_xlsx(report)))
    assert workbook.sheetnames == ["Sammanfattning", "Per träff", "Per kommun", "Utvärdering", "Hemuppgifter"]
    summary = [[c.value for c in row] for row in workbook["Sammanfattning"].iter_rows()]
    assert ["Kommuner som deltagit", "14 av 15"] in summary
    assert ["Kommuner som saknas", "Orsa kommun"] in summary
    per_org = {row[0].value: [c.value for c in row] for row in workbook["Per kommun"].iter_rows(min_row=2)}
    assert per_org["Falu kommun"] == ["Falu kommun", 2, 2, 1, 0, 2]
    assert per_org["Totalt"][2:5] == [15, 28, 4]
    per_meeting = [[c.value for c in row] for row in workbook["Per träff"].iter_rows(min_row=2)]
    assert per_meeting[0][:6] == [1, "Start", "2027-03-03", 29, 15, "Ja"]
    assert per_meeting[3][4] is None  # not held
    homework = [[c.value for c in row] for row in workbook["Hemuppgifter"].iter_rows(min_row=2)]
    assert homework[-1] == ["Totalt", 58, 13, 22]


def test_the_pdf_reads_as_text_with_swedish_letters(report: ProjectReport) -> None:
    data = report_pdf(report)
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "14 av 15 kommuner har deltagit i lärprojektet" in text
    assert "Saknas: Orsa kommun." in text
    assert "4–28" in text
    assert "Älvdalens kommun" in text and "Malung-Sälens kommun" in text
    assert "22 % (13 av 58)" in text
    assert reader.metadata is not None and reader.metadata.title == "Stora etableringar – projektrapport"


def _card_texts(card: dict) -> list[str]:  # type: ignore[type-arg]
    texts: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key in ("text", "title", "value"):
                if isinstance(node.get(key), str):
                    texts.append(node[key])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card["body"])
    return texts


def test_the_card_shows_each_figure_once_and_collapses_empty_rows(report: ProjectReport) -> None:
    from bot.features.report.cards import report_card

    card = report_card(1, report)
    text = "\n".join(_card_texts(card))
    assert text.count("Orsa kommun") == 1  # in "Saknas: Orsa kommun.", not again as a fact or a row of zeros
    assert text.count("4–28") == 1 and text.count("22 % (13 av 58)") == 1 and text.count("Sammanfattning.") == 1
    assert "Kommuner som saknas" not in text and "Utvärderingar, svarsfrekvens" not in text
    table = next(e for e in card["body"] if e["type"] == "Table")
    rows = [[c["items"][0]["text"] for c in row["cells"]] for row in table["rows"][1:]]
    assert ["Övriga (1 st, inga anmälda)", "0", "0", "0", "0"] in rows
    assert not [row for row in rows[:-1] if all(cell == "0" for cell in row[1:])]


def test_before_any_meeting_the_card_has_no_municipality_figures_to_contradict() -> None:
    from bot.features.report.cards import report_card

    ahead = [MeetingFacts(1, 1, "Start", NOW + timedelta(days=3), frozenset())]
    empty = build_report(ReportInput("Nytt", NOW, MUNICIPALITIES, [], ahead, 0, [],
                                     EvaluationFigures([], [], "")))
    text = "\n".join(_card_texts(report_card(1, empty)))
    assert "Ingen träff har hållits ännu." in text
    assert "0 av 15" not in text and "Kommuner som saknas" not in text and "–" not in text


def test_absences_and_substitutes_count_as_places_and_are_reported() -> None:
    """Two people (Avesta: 1 and 2) cannot come to meeting 2; person 1 sends colleague 500. Nobody
    checks in, so the meeting counts those expected: 28 - 2 + 1 (the colleague, as person 1's place).
    At meeting 3 the colleague of person 3 (501) is checked in and counts as Borlänge."""
    facts = meetings()
    facts[1] = MeetingFacts(2, 2, "Tillstånd", NOW - timedelta(days=60), frozenset(),
                            absent=frozenset({1, 2}), substitutes={500: 1})
    facts[2] = MeetingFacts(3, 3, "Energi", NOW - timedelta(days=30), frozenset({1, 2, 501, 100}),
                            absent=frozenset({3}), substitutes={501: 3})
    report = build_report(ReportInput("Prov", NOW, MUNICIPALITIES, registrations(), facts, 0, [], evaluation()))

    second, third = report.meetings[1], report.meetings[2]
    assert (second.participants, second.absent, second.substitutes) == (27, 2, 1)
    assert (third.participants, third.absent, third.substitutes) == (4, 1, 1)
    avesta = next(o for o in report.organisations if o.name == "Avesta kommun")
    borlange = next(o for o in report.organisations if o.name == "Borlänge kommun")
    assert avesta.per_meeting[1:] == (1, 2) and borlange.per_meeting[2] == 1
    workbook = load_workbook(io.BytesIO(report_xlsx(report)))
    rows = [[c.value for c in row] for row in workbook["Per träff"].iter_rows()]
    assert rows[0][-2:] == ["Meddelat förhinder", "Kollegor i någons ställe"]
    assert [row[-2:] for row in rows[1:]] == [[0, 0], [2, 1], [1, 1], [0, 0]]
