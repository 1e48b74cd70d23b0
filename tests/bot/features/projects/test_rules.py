"""The project and meeting cards' rules: every mistake gives a Swedish message naming the field, and
what is valid becomes the spec an import would make."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.core.i18n import use_language
from bot.features.evaluation.rules import Question
from bot.features.projects.cards import problem_text
from bot.features.projects.rules import (
    ProjectFormInvalid,
    deadline_parts,
    parse_meeting,
    parse_project_fields,
    parse_questions,
    slug_for,
)
from bot.features.projects.spec import MeetingSpec

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NOW = datetime(2027, 1, 10, 9, tzinfo=UTC)
PROJECT = {"name": "Service på landsbygden", "description": "Rad ett\nRad två", "quota": "3", "capacity": "",
           "deadline": "2027-04-14", "deadline_time": "", "contact": "Linnea Hassis, 023-77 70 04"}
MEETING = {"number": "2", "title": "Uppföljning", "date": "2027-05-03", "start": "10:00", "end": "12.30",
           "place": "Vansbro", "online_link": "https://teams.example/m", "programme": "Fika"}


def messages(error: ProjectFormInvalid) -> str:
    with use_language("sv"):
        return problem_text(error.problems)


def project_problem(**changes: Any) -> str:
    with pytest.raises(ProjectFormInvalid) as caught:
        parse_project_fields({**PROJECT, **changes}, STOCKHOLM, NOW)
    return messages(caught.value)


def meeting_problem(taken: tuple[int, ...] = (), **changes: Any) -> str:
    with pytest.raises(ProjectFormInvalid) as caught:
        parse_meeting({**MEETING, **changes}, STOCKHOLM, NOW, taken)
    return messages(caught.value)


def test_a_valid_project_card() -> None:
    fields = parse_project_fields(PROJECT, STOCKHOLM, NOW)
    assert (fields.name, fields.quota_per_organisation, fields.capacity) == ("Service på landsbygden", 3, None)
    assert fields.registration_deadline == datetime(2027, 4, 14, 22, tzinfo=UTC)  # midnight after, summer time
    assert fields.description == "Rad ett\nRad två"
    with_time = parse_project_fields({**PROJECT, "deadline_time": "16.00", "capacity": "45.0"}, STOCKHOLM, NOW)
    assert with_time.registration_deadline == datetime(2027, 4, 14, 14, tzinfo=UTC) and with_time.capacity == 45


def test_places_per_municipality_default_to_three() -> None:
    assert parse_project_fields({**PROJECT, "quota": ""}, STOCKHOLM, NOW).quota_per_organisation == 3


@pytest.mark.parametrize(("changes", "expected"), [
    ({"name": ""}, "Namn måste fyllas i."),
    ({"name": "x" * 201}, "Namn får vara högst 200 tecken."),
    ({"description": "x" * 4001}, "Kort beskrivning får vara högst 4000 tecken."),
    ({"contact": " "}, "Kontaktperson måste fyllas i."),
    ({"contact": "x" * 301}, "Kontaktperson får vara högst 300 tecken."),
    ({"quota": "0"}, "Platser per kommun ska vara ett heltal från 1 till 50."),
    ({"quota": "tre"}, "Platser per kommun ska vara ett heltal från 1 till 50."),
    ({"capacity": "-5"}, "Max antal deltagare totalt (tomt = ingen gräns) ska vara ett heltal från 1 till 10000."),
    ({"deadline": "14 april"}, "Sista anmälningsdag ska vara ett datum som 2027-05-03."),
    ({"deadline": "2026-12-24"}, "Sista anmälningsdag har redan passerat. Välj en senare tid."),
    ({"deadline": "", "deadline_time": "16:00"}, "Sista anmälningsdag måste fyllas i."),
    ({"deadline_time": "25:00"}, "Anmälan stänger kl. (tomt = vid dagens slut) ska vara ett klockslag som 10.00."),
    ({"deadline": "2027-03-28", "deadline_time": "02:30"},
     "Anmälan stänger kl. (tomt = vid dagens slut): det klockslaget finns inte den dagen"),
])
def test_each_project_field_is_named_in_its_message(changes: dict[str, str], expected: str) -> None:
    text = project_problem(**changes)
    assert text.startswith("Inget är sparat.") and expected in text


def test_several_problems_are_shown_together() -> None:
    text = project_problem(name="", quota="99")
    assert "Namn måste fyllas i." in text and "Platser per kommun ska vara" in text


def test_the_stored_deadline_may_have_passed_when_editing_other_fields() -> None:
    stored = datetime(2027, 1, 5, 23, tzinfo=UTC)  # midnight after 5 January, Stockholm winter time
    fields = parse_project_fields({**PROJECT, "deadline": "2027-01-05"}, STOCKHOLM, NOW, stored)
    assert fields.registration_deadline == stored


def test_a_valid_meeting_card() -> None:
    meeting = parse_meeting(MEETING, STOCKHOLM, NOW, (1,))
    assert meeting == MeetingSpec(2, "Uppföljning", datetime(2027, 5, 3, 8, tzinfo=UTC),
                                  datetime(2027, 5, 3, 10, 30, tzinfo=UTC), "Vansbro", "https://teams.example/m",
                                  "Fika")


@pytest.mark.parametrize(("changes", "taken", "expected"), [
    ({"number": ""}, (), "Träffens nummer måste fyllas i."),
    ({"number": "0"}, (), "Träffens nummer ska vara ett heltal från 1 till 999."),
    ({"number": "2"}, (1, 2), "Träffens nummer: träff 2 finns redan i projektet."),
    ({"title": ""}, (), "Rubrik måste fyllas i."),
    ({"title": "x" * 301}, (), "Rubrik får vara högst 300 tecken."),
    ({"date": ""}, (), "Datum måste fyllas i."),
    ({"date": "3 maj"}, (), "Datum ska vara ett datum som 2027-05-03."),
    ({"date": "2027-01-02"}, (), "Datum har redan passerat. Välj en senare tid."),
    ({"start": ""}, (), "Starttid måste fyllas i."),
    ({"start": "kl tio"}, (), "Starttid ska vara ett klockslag som 10.00."),
    ({"end": "24:00"}, (), "Sluttid ska vara ett klockslag som 10.00."),
    ({"end": "09:00"}, (), "Sluttid måste vara senare än starttiden."),
    ({"date": "2027-03-28", "start": "02:15"}, (), "Starttid: det klockslaget finns inte den dagen"),
    ({"place": "x" * 301}, (), "Plats får vara högst 300 tecken."),
    ({"online_link": "teams"}, (), "Länk för att delta digitalt ska vara en hel webbadress som börjar med https://."),
    ({"programme": "x" * 4001}, (), "Program får vara högst 4000 tecken."),
])
def test_each_meeting_field_is_named_in_its_message(changes: dict[str, str], taken: tuple[int, ...],
                                                    expected: str) -> None:
    assert expected in meeting_problem(taken, **changes)


def test_a_past_meeting_may_keep_its_time_when_its_place_changes() -> None:
    current = parse_meeting({**MEETING, "date": "2027-01-05"}, STOCKHOLM, datetime(2027, 1, 1, tzinfo=UTC), ())
    kept = parse_meeting({**MEETING, "date": "2027-01-05", "place": "Mora"}, STOCKHOLM, NOW, (), current)
    assert kept.place == "Mora" and kept.starts_at == current.starts_at


def test_questions_card_keeps_keys_adds_new_ones_and_drops_empty_rows() -> None:
    values = {"q0_text": "Nya kunskaper?", "q0_kind": "scale", "q0_required": "true",
              "q1_text": "", "q1_kind": "text",
              "q2_text": "Något mer?", "q2_kind": "text", "q2_required": "false"}
    questions = parse_questions(values, ["knowledge", "contacts"], 3)
    assert questions == (Question("knowledge", "Nya kunskaper?", "scale", True),
                         Question("q1", "Något mer?", "text", False))


@pytest.mark.parametrize(("values", "expected"), [
    ({"q0_text": "", "q1_text": ""}, "Fråga 1: utvärderingen behöver minst en fråga."),
    ({"q0_text": "Fråga", "q0_kind": "ja/nej"}, "Typ av svar, fråga 1: välj skala eller fritext."),
    ({"q0_text": "x" * 301, "q0_kind": "text"}, "Fråga 1 får vara högst 300 tecken."),
])
def test_each_question_problem_names_the_row(values: dict[str, str], expected: str) -> None:
    with pytest.raises(ProjectFormInvalid) as caught:
        parse_questions(values, [], 2)
    assert expected in messages(caught.value)


def test_slugs_and_deadline_parts() -> None:
    assert slug_for("Service på landsbygden", 2027) == "service-pa-landsbygden-2027"
    assert slug_for("Planering 2027", 2027) == "planering-2027"
    assert slug_for("!!!", 2027) == "projekt-2027"
    assert deadline_parts(datetime(2027, 4, 14, 22, tzinfo=UTC), STOCKHOLM) == ("2027-04-14", "")
    assert deadline_parts(datetime(2027, 4, 14, 14, tzinfo=UTC), STOCKHOLM) == ("2027-04-14", "16:00")
    assert deadline_parts(None, STOCKHOLM) == ("", "")
