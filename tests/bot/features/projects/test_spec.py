"""Project files are parsed into UTC specs, and every mistake is named in Swedish."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.admin import demo_project_spec
from bot.features.projects.spec import MeetingSpec, ProjectFileError, ProjectSpec, parse_project_yaml, validate_spec

STOCKHOLM = ZoneInfo("Europe/Stockholm")

GOOD = """\
slug: planering-2027
name: Planering för hållbarhet och utvecklingskraft
description: Strategisk översiktsplanering.
quota_per_organisation: 3
capacity: 45
registration_deadline: 2027-04-14
contact: linnea.hassis@regiondalarna.se, 023-77 70 04
meetings:
  - number: 4
    title: Planera för tillgänglighet
    date: 2028-02-22
    start: "10:00"
    end: "15:00"
    place: Falun
  - number: 1
    title: Hållbar utveckling i ett rumsligt perspektiv
    date: 2027-05-03
    start: "10:00"
    end: "15:00"
    place: Falun
    online_link: https://teams.example/1
    programme: |
      Fika från 9.30.
      Medverkar gör bland annat Boverket.
"""


def parse(text: str) -> ProjectSpec:
    return parse_project_yaml(text, STOCKHOLM)


def error_of(text: str) -> str:
    with pytest.raises(ProjectFileError) as caught:
        parse(text)
    return str(caught.value)


def with_meeting(**fields: str) -> str:
    """A minimal valid file with one meeting, fields replaced (value "DROP" removes the line)."""
    meeting = {"number": "2", "title": "Träff", "date": "2027-09-21", "start": '"10:00"', "end": '"15:00"'}
    meeting.update(fields)
    lines = [f"    {key}: {value}" for key, value in meeting.items() if value != "DROP"]
    lines[0] = "  - " + lines[0].lstrip()
    return "slug: p\nname: P\nmeetings:\n" + "\n".join(lines) + "\n"


def test_good_file() -> None:
    spec = parse(GOOD)
    assert spec.slug == "planering-2027"
    assert spec.name == "Planering för hållbarhet och utvecklingskraft"
    assert (spec.quota_per_organisation, spec.capacity, spec.state) == (3, 45, "open")
    assert spec.contact == "linnea.hassis@regiondalarna.se, 023-77 70 04"
    assert [meeting.number for meeting in spec.meetings] == [1, 4]
    first = spec.meetings[0]
    assert first == MeetingSpec(
        number=1,
        title="Hållbar utveckling i ett rumsligt perspektiv",
        starts_at=datetime(2027, 5, 3, 8, 0, tzinfo=UTC),
        ends_at=datetime(2027, 5, 3, 13, 0, tzinfo=UTC),
        place="Falun",
        online_link="https://teams.example/1",
        programme="Fika från 9.30.\nMedverkar gör bland annat Boverket.",
    )


def test_times_are_local_across_summer_and_winter_time() -> None:
    spec = parse(GOOD)
    may, february = spec.meetings
    assert may.starts_at == datetime(2027, 5, 3, 8, 0, tzinfo=UTC)  # CEST, UTC+2
    assert february.starts_at == datetime(2028, 2, 22, 9, 0, tzinfo=UTC)  # CET, UTC+1
    assert february.ends_at == datetime(2028, 2, 22, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("deadline", "closes"),
    [
        ("2027-04-14", datetime(2027, 4, 14, 22, 0, tzinfo=UTC)),  # midnight after the day, summer time
        ("'2027-04-14'", datetime(2027, 4, 14, 22, 0, tzinfo=UTC)),
        ("2027-01-14", datetime(2027, 1, 14, 23, 0, tzinfo=UTC)),  # winter time
        ("2027-03-27", datetime(2027, 3, 27, 23, 0, tzinfo=UTC)),  # the night summer time starts
        ("2027-10-30", datetime(2027, 10, 30, 22, 0, tzinfo=UTC)),  # the night summer time ends
        ('"2027-04-14 16:00"', datetime(2027, 4, 14, 14, 0, tzinfo=UTC)),
        ("2027-04-14 16:00:00", datetime(2027, 4, 14, 14, 0, tzinfo=UTC)),
        ("2027-04-14T16:00:00+01:00", datetime(2027, 4, 14, 15, 0, tzinfo=UTC)),
    ],
)
def test_registration_deadline(deadline: str, closes: datetime) -> None:
    spec = parse(f"slug: p\nname: P\nregistration_deadline: {deadline}\n")
    assert spec.registration_deadline == closes


def test_optional_fields_have_defaults() -> None:
    spec = parse("slug: p\nname: P\n")
    assert spec == ProjectSpec(slug="p", name="P")


def test_numbers_in_text_fields_become_text() -> None:
    assert parse(with_meeting(title="2030")).meetings[0].title == "2030"


def test_the_demo_project_is_valid_and_in_the_next_cycle() -> None:
    spec = demo_project_spec(STOCKHOLM)
    assert spec.slug == "planering-2027" and spec.quota_per_organisation == 3
    assert spec.registration_deadline == datetime(2027, 4, 14, 22, 0, tzinfo=UTC)
    assert [meeting.starts_at.date().isoformat() for meeting in spec.meetings] == [
        "2027-05-03",
        "2027-09-21",
        "2027-11-29",
        "2028-02-22",
    ]
    assert spec.meetings[0].starts_at == datetime(2027, 5, 3, 8, 0, tzinfo=UTC)
    assert spec.meetings[3].starts_at == datetime(2028, 2, 22, 9, 0, tzinfo=UTC)
    assert "Boverket" in spec.meetings[0].programme and "9.30" in spec.meetings[0].programme
    assert "linnea.hassis@regiondalarna.se" in spec.contact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "Filen är tom"),
        ("- a\n- b\n", "inte en lista"),
        ("slug: [unclosed\n", "inte giltig YAML på rad"),
        ("name: P\n", "'slug' saknas"),
        ("slug: p\n", "'name' saknas"),
        ("slug: p\nname: '  '\n", "'name' saknas eller är tomt"),
        ("slug: Planering 2027\nname: P\n", "'slug'"),
        ("slug: planering_2027\nname: P\n", "små bokstäver"),
        ("slug: p\nname: P\nquota_per_organisation: 0\n", "'quota_per_organisation' måste vara minst 1"),
        ("slug: p\nname: P\nquota_per_organisation: tre\n", "'quota_per_organisation' ska vara ett heltal"),
        ("slug: p\nname: P\nquota_per_organisation:\n", "'quota_per_organisation' saknar värde"),
        ("slug: p\nname: P\ncapacity: 0\n", "'capacity' måste vara minst 1"),
        ("slug: p\nname: P\ncapacity: -5\n", "'capacity' måste vara minst 1"),
        ("slug: p\nname: P\nstate: paused\n", "'state'"),
        ("slug: p\nname: P\nquota_per_organization: 3\n", "Okänt fält 'quota_per_organization'"),
        ("slug: p\nname: P\nquota_per_organization: 3\n", "Menade du 'quota_per_organisation'?"),
        ("slug: p\nname: P\nname: Q\n", "'name' står två gånger"),
        ("slug: p\nname: P\nregistration_deadline: 14 april\n", "'registration_deadline'"),
        ("slug: p\nname: P\nregistration_deadline: 2027-02-30\n", "'registration_deadline' på rad 3"),
        ("slug: p\nname: P\nregistration_deadline: '2027-04-14 25:00'\n", "'registration_deadline'"),
        ("slug: p\nname: P\nmeetings: träff 1\n", "'meetings' ska vara en lista"),
        ("slug: p\nname: P\nmeetings:\n  - Träff 1\n", "Träff på plats 1"),
        ("slug: p\nname: P\ndescription: [a, b]\n", "'description' ska vara text"),
        ("slug: p\nname: P\ndescription: &a [*a]\n", "'description' ska vara text"),
    ],
)
def test_project_errors(text: str, expected: str) -> None:
    assert expected in error_of(text)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"number": "DROP"}, "Träff på plats 1 i listan 'meetings': fältet 'number' saknas"),
        ({"number": "två"}, "fältet 'number' saknas eller är inget heltal"),
        ({"number": "0"}, "Träff 0: fältet 'number' måste vara ett heltal från 1"),
        ({"title": "DROP"}, "Träff 2: fältet 'title' saknas"),
        ({"date": "DROP"}, "Träff 2: fältet 'date' saknas"),
        ({"date": "21 september"}, "Träff 2: fältet 'date' ('21 september') är inget giltigt datum"),
        ({"date": "2027-09-31"}, "Träff 2: fältet 'date' på rad 6: 2027-09-31 är inget giltigt datum"),
        ({"date": "'2027-09-31'"}, "Träff 2: fältet 'date' ('2027-09-31') är inget giltigt datum"),
        ({"date": "2027-09-21 10:00:00"}, "Träff 2: fältet 'date' ska vara bara ett datum"),
        ({"start": "DROP"}, "Träff 2: fältet 'start' saknas"),
        ({"start": "10:00"}, "Träff 2: fältet 'start' måste skrivas inom citattecken"),
        ({"end": '"25:00"'}, "Träff 2: fältet 'end' ('25:00') är ingen giltig tid"),
        ({"end": '"kväll"'}, "Träff 2: fältet 'end' ('kväll') är ingen giltig tid"),
        ({"end": '"10:00"'}, "Träff 2: sluttiden ('end') måste vara senare än starttiden ('start')"),
        ({"end": '"09:00"'}, "Träff 2: sluttiden ('end') måste vara senare"),
        ({"plats": "Falun"}, "Träff 2: okänt fält 'plats'"),
        ({"programe": "x"}, "Träff 2: okänt fält 'programe'. Menade du 'programme'?"),
        ({"title": "x" * 301}, "Träff 2: fältet 'title' är för långt"),
        ({"date": "2027-03-28", "start": '"02:30"'}, "Träff 2: fältet 'start': 2027-03-28 kl. 02:30 finns inte"),
    ],
)
def test_meeting_errors(fields: dict[str, str], expected: str) -> None:
    assert expected in error_of(with_meeting(**fields))


def test_a_key_written_twice_in_a_meeting_is_named() -> None:
    text = with_meeting() + '    start: "11:00"\n'
    assert "Träff 2: fältet 'start' står två gånger" in error_of(text)


def test_duplicate_meeting_numbers() -> None:
    text = (
        with_meeting() + '  - number: 2\n    title: Igen\n    date: 2027-10-01\n    start: "10:00"\n    end: "12:00"\n'
    )
    assert "Träff 2 finns två gånger" in error_of(text)


def test_the_message_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="'slug' saknas"):
        parse("name: P\n")


def test_unsafe_tags_are_refused() -> None:
    assert "inte giltig YAML" in error_of("slug: !!python/object/apply:os.system ['true']\nname: P\n")


def test_validate_spec_checks_specs_made_in_code() -> None:
    meeting = MeetingSpec(1, "T", datetime(2027, 5, 3, 8, tzinfo=UTC), datetime(2027, 5, 3, 9, tzinfo=UTC))
    spec = ProjectSpec(slug="p", name="P", meetings=(meeting,))
    assert validate_spec(spec) is spec
    with pytest.raises(ProjectFileError, match="saknar tidszon"):
        validate_spec(replace(spec, registration_deadline=datetime(2027, 4, 14)))
    with pytest.raises(ProjectFileError, match="Träff 1 finns två gånger"):
        validate_spec(replace(spec, meetings=(meeting, meeting)))


def test_the_demo_project_holds_only_what_participants_read() -> None:
    """Programmes are shown in the schedule, reminders and triad messages: no planning notes."""
    spec = demo_project_spec(STOCKHOLM)
    texts = [spec.description, *(m.title for m in spec.meetings), *(m.programme for m in spec.meetings)]
    for text in texts:
        lowered = text.lower()
        assert "preliminärt" not in lowered and "antagande" not in lowered and "inbjudan anger" not in lowered
