"""Card inputs shared by case examples and homework: texts, links and deadlines."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.core.input_rules import (
    MAX_LINKS,
    Problem,
    TextLimit,
    card_id,
    clean_multiline,
    is_web_address,
    links_from_text,
    links_to_text,
    parse_deadline,
    parse_links,
    read_texts,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def test_multiline_text_keeps_paragraphs_and_drops_control_characters() -> None:
    assert clean_multiline("  Rad ett\x00 \r\n\r\n\r\n  rad   två \n") == "Rad ett\n\nrad två"
    assert clean_multiline(None) == ""


def test_required_and_too_long_texts_become_problems() -> None:
    problems: list[Problem] = []
    texts = read_texts({"title": "  ", "theme": "x" * 11},
                       (TextLimit("title", 10, required=True), TextLimit("theme", 10)), problems)
    assert texts == {"title": "", "theme": "x" * 11}
    assert [(p.key, p.field) for p in problems] == [("input.missing", "title"), ("input.too_long", "theme")]
    assert dict(problems[1].values) == {"limit": 10}


def test_links_one_per_line_or_separated_with_commas() -> None:
    problems: list[Problem] = []
    links = parse_links("https://falun.se/a\nwww.mora.se/b, https://falun.se/a;http://x.se", problems)
    assert links == ("https://falun.se/a", "https://www.mora.se/b", "http://x.se")
    assert problems == []
    assert links_from_text(links_to_text(links)) == links


@pytest.mark.parametrize("text", ["javascript:alert(1)", "ftp://falun.se/x", "falun", "https://localhost",
                                  "file:///etc/passwd", "https://" + "a" * 1000 + ".se"])
def test_only_web_addresses_are_links(text: str) -> None:
    problems: list[Problem] = []
    assert parse_links(text, problems) == ()
    assert [p.key for p in problems] == ["input.link_invalid"]
    assert not is_web_address(text)


def test_too_many_links() -> None:
    problems: list[Problem] = []
    links = parse_links("\n".join(f"https://falun.se/{i}" for i in range(MAX_LINKS + 2)), problems)
    assert len(links) == MAX_LINKS
    assert [p.key for p in problems] == ["input.too_many_links"]


def test_deadline_is_local_time_stored_as_utc() -> None:
    problems: list[Problem] = []
    # 14 March 2027 is winter time (UTC+1); 28 June summer time (UTC+2).
    assert parse_deadline("2027-03-14", "12:00", STOCKHOLM, NOW, problems) == datetime(2027, 3, 14, 11, 0, tzinfo=UTC)
    assert parse_deadline("2027-06-28", "", STOCKHOLM, NOW, problems) == datetime(2027, 6, 28, 21, 59, tzinfo=UTC)
    assert problems == []


@pytest.mark.parametrize(("day", "clock", "key"), [
    ("", "12:00", "input.deadline_missing"),
    ("14/3", "", "input.deadline_invalid"),
    ("2027-03-14", "kl 12", "input.deadline_invalid"),
    ("2027-03-01", "10:00", "input.deadline_past"),  # 09.00 UTC is 10.00 in Stockholm: not after now
])
def test_unusable_deadlines(day: str, clock: str, key: str) -> None:
    problems: list[Problem] = []
    assert parse_deadline(day, clock, STOCKHOLM, NOW, problems) is None
    assert [p.key for p in problems] == [key]


@pytest.mark.parametrize(("raw", "expected"), [(5, 5), ("12", 12), ("0", None), (0, None), (True, None),
                                               ("-3", None), ("1e3", None), (None, None), ("9" * 12, None)])
def test_card_ids(raw: object, expected: int | None) -> None:
    assert card_id({"id": raw}, "id") == expected
