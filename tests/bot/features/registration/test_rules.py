"""The registration rules as plain functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.input_rules import FormInvalid, clean_text
from bot.features.registration.rules import (
    Limits,
    Occupancy,
    Status,
    Waiting,
    WaitReason,
    next_to_promote,
    parse_form,
    place_for,
    registration_open,
    wait_reason,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("limits", "occupancy", "kind", "expected"),
    [
        (Limits(3, None), Occupancy(2, 40), "municipality", Status.REGISTERED),
        (Limits(3, None), Occupancy(3, 40), "municipality", Status.WAITLISTED),
        (Limits(3, 40), Occupancy(0, 40), "municipality", Status.WAITLISTED),
        (Limits(3, 41), Occupancy(0, 40), "municipality", Status.REGISTERED),
        (Limits(3, None), Occupancy(3, 3), "region", Status.WAITLISTED),
        (Limits(3, None), Occupancy(9, 9), "other", Status.REGISTERED),
        (Limits(3, 9), Occupancy(9, 9), "other", Status.WAITLISTED),
    ],
)
def test_place_for_quota_and_capacity(limits: Limits, occupancy: Occupancy, kind: str, expected: Status) -> None:
    assert place_for(limits, occupancy, kind) is expected


@pytest.mark.parametrize(
    ("limits", "occupancy", "kind", "expected"),
    [
        (Limits(3, None), Occupancy(2, 40), "municipality", None),
        (Limits(3, None), Occupancy(3, 40), "municipality", WaitReason.QUOTA),
        (Limits(3, 40), Occupancy(0, 40), "municipality", WaitReason.FULL),
        (Limits(3, 40), Occupancy(3, 40), "municipality", WaitReason.BOTH),
        (Limits(3, 9), Occupancy(9, 9), "other", WaitReason.FULL),  # no quota for "other"
        (Limits(3, None), Occupancy(9, 9), "other", None),
    ],
)
def test_the_waitlist_names_the_limit_that_applies(limits: Limits, occupancy: Occupancy, kind: str,
                                                   expected: WaitReason | None) -> None:
    assert wait_reason(limits, occupancy, kind) is expected
    assert (expected is None) is (place_for(limits, occupancy, kind) is Status.REGISTERED)


def test_deadline_is_an_instant_that_dst_cannot_move() -> None:
    # "Anmälan senast 14 april": open through that day in Stockholm (CEST, UTC+2).
    deadline = datetime(2027, 4, 15, 0, 0, tzinfo=STOCKHOLM).astimezone(UTC)
    assert deadline == datetime(2027, 4, 14, 22, 0, tzinfo=UTC)
    assert registration_open(deadline, datetime(2027, 4, 14, 21, 59, 59, tzinfo=UTC))
    assert not registration_open(deadline, datetime(2027, 4, 14, 22, 0, tzinfo=UTC))
    # Same rule in winter time (CET, UTC+1).
    winter = datetime(2027, 2, 1, 0, 0, tzinfo=STOCKHOLM).astimezone(UTC)
    assert winter == datetime(2027, 1, 31, 23, 0, tzinfo=UTC)
    assert registration_open(None, T0)


def waiting(rid: int, org: int, minutes: int, kind: str = "municipality") -> Waiting:
    return Waiting(rid, org, kind, T0 + timedelta(minutes=minutes))


def test_same_organisation_first_even_if_later_in_line() -> None:
    line = [waiting(1, 7, 0), waiting(2, 5, 10)]
    chosen = next_to_promote(line, freed_organisation_id=5, limits=Limits(3, None),
                             registered_per_organisation={5: 2, 7: 3}, registered_total=5)
    assert chosen is not None and chosen.registration_id == 2


def test_then_the_general_waitlist_in_order() -> None:
    line = [waiting(3, 8, 5), waiting(1, 7, 0), waiting(2, 9, 1)]
    chosen = next_to_promote(line, freed_organisation_id=5, limits=Limits(3, 10),
                             registered_per_organisation={5: 2, 7: 3, 8: 1, 9: 0}, registered_total=9)
    # 7 is full, so the first whose organisation has room: registration 2 (org 9) before 3.
    assert chosen is not None and chosen.registration_id == 2


def test_no_promotion_when_capacity_is_still_full() -> None:
    line = [waiting(1, 5, 0)]
    assert next_to_promote(line, 5, Limits(3, 10), {5: 2}, registered_total=10) is None


def test_no_one_waiting() -> None:
    assert next_to_promote([], 5, Limits(3, None), {}, 0) is None


KINDS = {"falun": "municipality", "mora": "municipality", "region": "region", "annan": "other"}
GOOD = {"name": "Anna Lindqvist", "organisation": "falun", "role_title": "Planarkitekt",
        "email": "Anna.Lindqvist@Falun.se", "meetings": "1,2,4", "dietary": "Vegetarisk", "consent_list": "true"}


def test_a_good_form() -> None:
    form = parse_form(GOOD, KINDS, [1, 2, 3, 4])
    assert form.meeting_numbers == frozenset({1, 2, 4})
    assert form.email == "anna.lindqvist@falun.se" and form.consent_list


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"name": "  "}, "form.name_missing"),
        ({"organisation": "stockholm"}, "form.organisation_unknown"),
        ({"organisation": "annan", "organisation_other": ""}, "form.organisation_other_missing"),
        ({"email": "anna@"}, "form.email_invalid"),
        ({"meetings": ""}, "form.meetings_missing"),
        ({"meetings": "1,9"}, "form.meetings_unknown"),
        ({"meetings": "ett"}, "form.meetings_unknown"),
        ({"consent_list": "kanske"}, "form.consent_invalid"),
        ({"name": "x" * 201}, "form.too_long"),
        ({"dietary": "x" * 501}, "form.too_long"),
    ],
)
def test_bad_forms_name_the_problem(change: dict[str, str], problem: str) -> None:
    with pytest.raises(FormInvalid) as raised:
        parse_form({**GOOD, **change}, KINDS, [1, 2, 3, 4])
    assert problem in [p.key for p in raised.value.problems]


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(FormInvalid) as raised:
        parse_form({"organisation": "x", "meetings": "7"}, KINDS, [1, 2])
    assert {p.key for p in raised.value.problems} == {"form.name_missing", "form.organisation_unknown",
                                                       "form.meetings_unknown"}


def test_other_organisation_text_kept_only_for_other() -> None:
    form = parse_form({**GOOD, "organisation": "annan", "organisation_other": "Trafikverket"}, KINDS, [1, 2, 4])
    assert form.organisation_other == "Trafikverket"
    form = parse_form({**GOOD, "organisation_other": "ignored"}, KINDS, [1, 2, 4])
    assert form.organisation_other == ""


def test_control_characters_and_emoji() -> None:
    assert clean_text("Åsa\x00 Öberg\u200b 🌲\r\n") == "Åsa Öberg 🌲"
    assert clean_text("a\x00b") == "a b"
