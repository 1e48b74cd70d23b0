"""Registration exports: CSV and XLSX read back, Swedish texts and times, formulas neutralised."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from bot.core.i18n import use_language
from bot.features.registration.exports import RegistrationRow, neutralise_formula, registrations_csv, registrations_xlsx

HEADERS = [
    "Kommun/organisation",
    "Namn",
    "Roll/titel",
    "E-post",
    "Status",
    "Träffar",
    "Specialkost",
    "Med i deltagarlistan",
    "Anmäld",
]
ASA = RegistrationRow(
    organisation="Älvdalens kommun",
    name="Åsa Öberg",
    role_title="Miljöstrateg",
    email="asa.oberg@alvdalen.example",
    status="registered",
    meetings="1, 2, 4",
    dietary="Vegetarisk, ingen gluten",
    consent_list=True,
    # 12:05 UTC in April is 14:05 in Stockholm (summer time).
    registered_at=datetime(2027, 4, 2, 12, 5, tzinfo=UTC),
)
PER = RegistrationRow(
    organisation="Falu kommun",
    name="Per Persson",
    role_title="",
    email="per@falun.example",
    status="waitlisted",
    meetings="1",
    dietary="",
    consent_list=False,
    # 10:30 UTC in January is 11:30 in Stockholm (winter time).
    registered_at=datetime(2027, 1, 20, 10, 30, tzinfo=UTC),
)
MALLORY = RegistrationRow(
    organisation="Annan",
    name='=HYPERLINK("https://evil.example","Klicka")',
    role_title="+46 70 123",
    email="@SUM(1+1)",
    status="cancelled",
    meetings="2",
    dietary="-1+2",
    consent_list=False,
    registered_at=datetime(2027, 2, 1, 8, 0, tzinfo=UTC),
)
SUMMARY = [("Älvdalens kommun", 3, 1), ("Falu kommun", 2, 0), ("Smedjebackens kommun", 0, 2)]


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def test_csv_reads_back_as_the_rows_in_swedish() -> None:
    assert read_csv(registrations_csv([ASA, PER])) == [
        HEADERS,
        [
            "Älvdalens kommun",
            "Åsa Öberg",
            "Miljöstrateg",
            "asa.oberg@alvdalen.example",
            "Anmäld",
            "1, 2, 4",
            "Vegetarisk, ingen gluten",
            "Ja",
            "2027-04-02 14:05",
        ],
        ["Falu kommun", "Per Persson", "", "per@falun.example", "Reservlista", "1", "", "Nej", "2027-01-20 11:30"],
    ]


def test_csv_neutralises_formulas() -> None:
    _, row = read_csv(registrations_csv([MALLORY]))
    assert row[:4] == ["Annan", '\'=HYPERLINK("https://evil.example","Klicka")', "'+46 70 123", "'@SUM(1+1)"]
    assert row[4] == "Avbokad"
    assert row[6] == "'-1+2"


def test_csv_keeps_semicolons_and_line_breaks_inside_cells() -> None:
    tricky = RegistrationRow("Mora; Orsa", "Ann\nAnnsdotter", "", "", "registered", "", "", True, ASA.registered_at)
    _, row = read_csv(registrations_csv([tricky]))
    assert row[:2] == ["Mora; Orsa", "Ann\nAnnsdotter"]


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1"])
def test_formula_prefixes_get_an_apostrophe(text: str) -> None:
    assert neutralise_formula(text) == "'" + text


def test_ordinary_text_is_untouched() -> None:
    assert neutralise_formula("Anna-Karin") == "Anna-Karin"
    assert neutralise_formula("") == ""


def test_xlsx_registrations_sheet() -> None:
    workbook = load_workbook(io.BytesIO(registrations_xlsx([ASA, PER], "Hållbar upphandling", SUMMARY)))
    assert workbook.sheetnames == ["Anmälningar", "Per kommun"]
    assert workbook.properties.title == "Hållbar upphandling – anmälningar"
    sheet = workbook["Anmälningar"]
    assert [cell.value for cell in sheet[1]] == HEADERS
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:I3"
    assert [cell.value for cell in sheet[2]] == [
        "Älvdalens kommun",
        "Åsa Öberg",
        "Miljöstrateg",
        "asa.oberg@alvdalen.example",
        "Anmäld",
        "1, 2, 4",
        "Vegetarisk, ingen gluten",
        "Ja",
        datetime(2027, 4, 2, 14, 5),
    ]
    assert sheet["E3"].value == "Reservlista"
    assert sheet["I3"].value == datetime(2027, 1, 20, 11, 30)
    assert sheet["I2"].number_format == "yyyy-mm-dd hh:mm"
    assert sheet["I2"].is_date
    assert 10 <= sheet.column_dimensions["A"].width <= 50


def test_xlsx_summary_sheet_with_totals() -> None:
    workbook = load_workbook(io.BytesIO(registrations_xlsx([ASA], "P", SUMMARY)))
    sheet = workbook["Per kommun"]
    assert [[cell.value for cell in row] for row in sheet.iter_rows()] == [
        ["Kommun/organisation", "Anmälda", "Reservlista"],
        ["Älvdalens kommun", 3, 1],
        ["Falu kommun", 2, 0],
        ["Smedjebackens kommun", 0, 2],
        ["Totalt", 5, 3],
    ]
    assert all(cell.font.bold for cell in sheet[5])


def test_xlsx_writes_formulas_as_text() -> None:
    workbook = load_workbook(io.BytesIO(registrations_xlsx([MALLORY], "P", [("=cmd|'/c calc'!A0", 1, 0)])))
    row = workbook["Anmälningar"][2]
    assert row[1].value == '=HYPERLINK("https://evil.example","Klicka")'
    assert row[1].data_type == "s" and row[1].quotePrefix
    assert [row[2].value, row[3].value, row[6].value] == ["+46 70 123", "@SUM(1+1)", "-1+2"]
    assert all(cell.data_type != "f" for cells in workbook["Anmälningar"].iter_rows() for cell in cells)
    organisation = workbook["Per kommun"]["A2"]
    assert organisation.value == "=cmd|'/c calc'!A0" and organisation.data_type == "s"


def test_xlsx_survives_control_characters_and_error_like_text() -> None:
    odd = RegistrationRow("Leksand", "Bo\x07 Ek", "#N/A", "", "registered", "", "", False, ASA.registered_at)
    sheet = load_workbook(io.BytesIO(registrations_xlsx([odd], "P", [])))["Anmälningar"]
    assert sheet["B2"].value == "Bo Ek"
    assert sheet["C2"].value == "#N/A" and sheet["C2"].data_type == "s"


def test_xlsx_checks_for_formulas_after_removing_control_characters() -> None:
    odd = RegistrationRow("Leksand", "\x07=1+1", "", "", "registered", "", "", False, ASA.registered_at)
    cell = load_workbook(io.BytesIO(registrations_xlsx([odd], "P", [])))["Anmälningar"]["B2"]
    assert cell.value == "=1+1" and cell.data_type == "s" and cell.quotePrefix


def test_empty_export_has_headers_and_zero_totals() -> None:
    workbook = load_workbook(io.BytesIO(registrations_xlsx([], "P", [])))
    assert [cell.value for cell in workbook["Anmälningar"][1]] == HEADERS
    assert [cell.value for cell in workbook["Per kommun"][2]] == ["Totalt", 0, 0]
    assert read_csv(registrations_csv([])) == [HEADERS]


def test_english_export_when_english() -> None:
    with use_language("en"):
        workbook = load_workbook(io.BytesIO(registrations_xlsx([PER], "P", [])))
        rows = read_csv(registrations_csv([PER]))
    assert workbook.sheetnames == ["Registrations", "By organisation"]
    assert rows[0][0] == "Municipality/organisation" and rows[1][4] == "Waiting list"


def test_rows_refuse_unknown_status_and_naive_times() -> None:
    with pytest.raises(ValueError, match="status"):
        RegistrationRow("A", "B", "", "", "maybe", "", "", False, ASA.registered_at)
    with pytest.raises(ValueError, match="timezone-aware"):
        RegistrationRow("A", "B", "", "", "registered", "", "", False, datetime(2027, 1, 1))
