"""Message catalogs and Swedish dates."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.core.i18n import (
    CATALOGS,
    count_phrase,
    en,
    format_day,
    format_deadline,
    format_span,
    format_when,
    language_of,
    sv,
    t,
    use_language,
    use_now,
    use_zone,
)

IN_2022 = datetime(2022, 1, 10, 12, 0, tzinfo=UTC)


def test_swedish_dates_the_regions_way() -> None:
    with use_now(IN_2022):
        # 3 May 2022 was a Tuesday; 08:00 UTC is 10.00 in Stockholm (summer time).
        assert format_when(datetime(2022, 5, 3, 8, 0, tzinfo=UTC)) == "tisdag 3 maj kl. 10.00"
        # Winter time: 22 February 2022, 09:30 UTC is 10.30 in Stockholm.
        assert format_when(datetime(2022, 2, 22, 9, 30, tzinfo=UTC)) == "tisdag 22 februari kl. 10.30"


def test_dates_follow_the_zone_of_the_turn() -> None:
    with use_now(IN_2022), use_zone(ZoneInfo("America/New_York")):
        assert format_when(datetime(2022, 5, 3, 8, 0, tzinfo=UTC)) == "tisdag 3 maj kl. 04.00"
        assert format_span(datetime(2022, 5, 3, 8, 0, tzinfo=UTC),
                           datetime(2022, 5, 3, 13, 0, tzinfo=UTC)) == "tisdag 3 maj kl. 04.00–09.00"
        assert format_deadline(datetime(2022, 5, 4, 4, 0, tzinfo=UTC)) == "tisdag 3 maj"  # midnight there
    assert format_when(datetime(2022, 5, 3, 8, 0, tzinfo=UTC)).endswith("kl. 10.00")  # Stockholm again after


def test_english_dates_when_english() -> None:
    with use_language("en"), use_now(IN_2022):
        assert format_when(datetime(2022, 5, 3, 8, 0, tzinfo=UTC)) == "Tuesday 3 May at 10:00"
        assert format_when(datetime(2023, 5, 3, 8, 0, tzinfo=UTC)) == "Wednesday 3 May 2023 at 10:00"


def test_the_year_shows_when_it_is_not_the_clocks() -> None:
    meeting = datetime(2028, 2, 22, 9, 0, tzinfo=UTC)
    with use_now(datetime(2027, 9, 1, tzinfo=UTC)):
        assert format_when(meeting) == "tisdag 22 februari 2028 kl. 10.00"
        assert format_day(meeting) == "tisdag 22 februari 2028"
    with use_now(datetime(2028, 1, 1, tzinfo=UTC)):
        assert format_when(meeting) == "tisdag 22 februari kl. 10.00"
    # New Year's Eve 23.30 UTC is already the next year in Stockholm.
    with use_now(datetime(2027, 12, 31, 23, 30, tzinfo=UTC)):
        assert format_day(meeting) == "tisdag 22 februari"


def test_a_meeting_shows_its_start_and_end() -> None:
    with use_now(IN_2022):
        assert format_span(datetime(2022, 5, 3, 8, 0, tzinfo=UTC),
                           datetime(2022, 5, 3, 13, 0, tzinfo=UTC)) == "tisdag 3 maj kl. 10.00–15.00"
        assert format_span(datetime(2022, 5, 3, 8, 0, tzinfo=UTC), datetime(2022, 5, 4, 13, 0, tzinfo=UTC)) == (
            "tisdag 3 maj kl. 10.00 – onsdag 4 maj kl. 15.00")


def test_a_deadline_at_midnight_shows_as_its_last_day() -> None:
    with use_now(datetime(2027, 1, 1, tzinfo=UTC)):
        # Stored as 15 April 00.00 in Stockholm (22.00 UTC): the last day is Wednesday 14 April.
        assert format_deadline(datetime(2027, 4, 14, 22, 0, tzinfo=UTC)) == "onsdag 14 april"
        # Winter time midnight (23.00 UTC).
        assert format_deadline(datetime(2027, 1, 31, 23, 0, tzinfo=UTC)) == "söndag 31 januari"
        # A deadline at a time of day keeps it.
        assert format_deadline(datetime(2027, 4, 14, 10, 0, tzinfo=UTC)) == "onsdag 14 april kl. 12.00"


def test_locale_to_language() -> None:
    assert language_of(None) == "sv"
    assert language_of("sv-SE") == "sv"
    assert language_of("fi-FI") == "sv"
    assert language_of("en-US") == "en"
    assert language_of("en-US", policy="sv") == "sv"
    assert language_of("sv-SE", policy="en") == "en"


def test_every_english_key_exists_in_swedish() -> None:
    assert set(en.MESSAGES) <= set(sv.MESSAGES)


def test_missing_translation_falls_back_to_swedish() -> None:
    key = next(k for k in sv.MESSAGES if k not in en.MESSAGES)
    with use_language("en"):
        assert t(key) == sv.MESSAGES[key]


def test_unknown_language_means_swedish() -> None:
    with use_language("fi"):
        assert t("welcome.title") == CATALOGS["sv"]["welcome.title"]


def test_one_and_many_take_their_own_forms() -> None:
    assert [count_phrase("count.registered", n) for n in (0, 1, 3)] == ["0 anmälda", "1 anmäld", "3 anmälda"]
    assert count_phrase("count.people", 1) == "1 person" and count_phrase("count.meetings", 1) == "1 träff"
    assert count_phrase("count.organisations", 2) == "2 kommuner/organisationer"
    assert [count_phrase("count.registrations", n) for n in (1, 2)] == ["1 anmälan", "2 anmälningar"]
    assert t("download.ready", registrations=count_phrase("count.registrations", 1), filename="a.xlsx") == (
        "Exporten är klar: 1 anmälan i a.xlsx. Länken gäller i 15 minuter.")
    with use_language("en"):
        assert count_phrase("count.registered", 1) == "1 registered"  # English has no singular form here
        assert count_phrase("count.people", 1) == "1 person" and count_phrase("count.people", 4) == "4 people"
        assert count_phrase("count.registrations", 1) == "1 registration"
