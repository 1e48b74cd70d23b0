"""Message catalogs and Swedish dates."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.i18n import CATALOGS, en, format_when, language_of, sv, t, use_language


def test_swedish_dates_the_regions_way() -> None:
    # 3 May 2022 was a Tuesday; 08:00 UTC is 10.00 in Stockholm (summer time).
    assert format_when(datetime(2022, 5, 3, 8, 0, tzinfo=UTC)) == "tisdag 3 maj kl. 10.00"
    # Winter time: 22 February 2022, 09:30 UTC is 10.30 in Stockholm.
    assert format_when(datetime(2022, 2, 22, 9, 30, tzinfo=UTC)) == "tisdag 22 februari kl. 10.30"


def test_english_dates_when_english() -> None:
    with use_language("en"):
        assert format_when(datetime(2022, 5, 3, 8, 0, tzinfo=UTC)) == "Tuesday 3 May at 10:00"


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
