"""Evaluation exports: XLSX and CSV read back, right numbers, no identities, formulas neutralised."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import Workbook, load_workbook

from bot.core.i18n import use_language
from bot.features.evaluation.rules import DEFAULT_QUESTIONS, Question
from bot.features.results.exports import question_headers, results_csv, results_xlsx
from bot.features.results.rules import (
    AnswerData,
    MeetingAnswers,
    MeetingResult,
    ProjectTrend,
    summarise_project,
    swedish_summary,
)

SCALE_KEYS = ("knowledge", "contacts", "support")
EVIL_TITLE = '=HYPERLINK("https://evil.example","Klicka")'
QUESTIONS = (*DEFAULT_QUESTIONS, Question("extra", "+ Hur var fikat?", "scale"))


def answers(steps: list[int], organisation: str, **texts: str) -> list[AnswerData]:
    return [AnswerData({**dict.fromkeys(SCALE_KEYS, step), "extra": step, **texts}, organisation) for step in steps]


@pytest.fixture
def project() -> tuple[list[MeetingResult], ProjectTrend]:
    first = answers([5, 5, 4, 4], "Falu kommun", valuable="Exemplen från Mora")
    first += answers([3], "Orsa kommun", valuable="-1 för lokalen", improve="@SUM(1+1)")
    meetings = [
        MeetingAnswers(1, "Kickoff", 7, first),
        MeetingAnswers(2, EVIL_TITLE, 6, answers([5, 1], "Mora kommun")),
        MeetingAnswers(3, "Avslutning", 5, answers([4, 4, 4, 5], "Säters kommun", wishes="Mer om tillstånd")),
    ]
    return summarise_project(meetings, QUESTIONS)


def workbook_of(project: tuple[list[MeetingResult], ProjectTrend]) -> Workbook:
    results, trend = project
    data = results_xlsx("Stora etableringar", results, trend, QUESTIONS, swedish_summary(results, QUESTIONS))
    return load_workbook(io.BytesIO(data))


def test_xlsx_sheets(project: tuple[list[MeetingResult], ProjectTrend]) -> None:
    workbook = workbook_of(project)
    assert workbook.sheetnames == ["Sammanfattning", "Per fråga", "Fritext", "Trend"]
    assert workbook.properties.title == "Stora etableringar – utvärdering"


def test_xlsx_summary_sheet(project: tuple[list[MeetingResult], ProjectTrend]) -> None:
    sheet = workbook_of(project)["Sammanfattning"]
    summary = "Utvärderingarna efter de 3 träffarna fick totalt 11 svar av 18 möjliga (61 %). "
    assert sheet["A1"].value == "Stora etableringar – utvärdering"
    assert sheet["A2"].value.startswith(summary)
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    assert rows[0] == ("Träff", "Rubrik", "Inbjudna", "Svarande", "Svarsfrekvens (%)", "Resultat visas")
    assert rows[1] == (1, "Kickoff", 7, 5, 71, "Ja")
    assert rows[2] == (2, EVIL_TITLE, 6, 2, 33, "Nej, färre än 3 svar")
    assert sheet["B6"].data_type == "s" and sheet["B6"].quotePrefix  # stays text in Excel


def test_xlsx_per_question_sheet(project: tuple[list[MeetingResult], ProjectTrend]) -> None:
    sheet = workbook_of(project)["Per fråga"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == question_headers()
    # Meeting 1, "new knowledge": steps 5, 5, 4, 4, 3 -> mean 4.2, 4 of 5 high.
    assert rows[1] == (1, "Kickoff", 7, 5, 71, "Träffen gav mig nya kunskaper", 0, 0, 1, 2, 2, 5, 4.2, 80)
    assert sheet.cell(row=2, column=13).number_format == "0.0"
    assert rows[4][5] == "+ Hur var fikat?" and sheet["F5"].quotePrefix
    # Meeting 2 had two answers: the rows are there, the figures are not.
    assert rows[5] == (2, EVIL_TITLE, 6, 2, 33, "Träffen gav mig nya kunskaper", *([None] * 8))
    assert len(rows) == 1 + 3 * 4


def test_xlsx_free_texts_without_names_or_organisations(project: tuple[list[MeetingResult], ProjectTrend]) -> None:
    workbook = workbook_of(project)
    rows = list(workbook["Fritext"].iter_rows(values_only=True))
    assert rows == [
        ("Fråga", "Träff", "Text"),
        ("Vad var mest värdefullt?", 1, "-1 för lokalen"),
        *[("Vad var mest värdefullt?", 1, "Exemplen från Mora")] * 4,
        ("Vad kan förbättras?", 1, "@SUM(1+1)"),
        *[("Teman eller önskemål inför kommande träffar", 3, "Mer om tillstånd")] * 4,
    ]
    assert workbook["Fritext"]["C2"].quotePrefix and workbook["Fritext"]["C2"].data_type == "s"
    everything = {cell.value for sheet in workbook for row in sheet.iter_rows() for cell in row}
    assert not everything & {"Falu kommun", "Orsa kommun", "Mora kommun", "Säters kommun"}


def test_xlsx_trend_sheet(project: tuple[list[MeetingResult], ProjectTrend]) -> None:
    rows = list(workbook_of(project)["Trend"].iter_rows(values_only=True))
    assert rows[0] == ("Fråga", "Träff 1", "Träff 2", "Träff 3")
    assert rows[1] == ("Träffen gav mig nya kunskaper", 80, None, 100)
    assert len(rows) == 1 + 4


def test_csv_reads_back(project: tuple[list[MeetingResult], ProjectTrend]) -> None:
    results, _ = project
    data = results_csv(results, QUESTIONS)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == question_headers()
    assert rows[1] == ["1", "Kickoff", "7", "5", "71", "Träffen gav mig nya kunskaper",
                       "0", "0", "1", "2", "2", "5", "4,2", "80"]
    assert rows[4][5] == "'+ Hur var fikat?"
    assert rows[5][:6] == ["2", "'" + EVIL_TITLE, "6", "2", "33", "Träffen gav mig nya kunskaper"]
    assert rows[5][6:] == [""] * 8
    assert len(rows) == 1 + 3 * 4


def test_csv_headers_in_english(project: tuple[list[MeetingResult], ProjectTrend]) -> None:
    results, _ = project
    with use_language("en"):
        header = results_csv(results, QUESTIONS).decode("utf-8-sig").splitlines()[0]
    assert header.startswith("Meeting;Title;Invited;Answered;Response rate (%);Question;Not at all;")
