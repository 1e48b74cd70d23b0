"""Download links: expiry with an injected clock, unknown tokens, bounded size."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.downloads import Download, Downloads

NOW = datetime(2027, 4, 2, 12, 0, tzinfo=UTC)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_a_stored_file_is_served_until_it_expires() -> None:
    downloads = Downloads()
    token = downloads.add("Anmälningar.xlsx", XLSX, b"data", NOW)
    expected = Download("Anmälningar.xlsx", XLSX, b"data", NOW + timedelta(minutes=15))
    assert downloads.get(token, NOW) == expected
    assert downloads.get(token, NOW + timedelta(minutes=14, seconds=59)) == expected
    assert downloads.get(token, NOW + timedelta(minutes=15)) is None
    # Expired entries are dropped, not merely hidden: turning the clock back does not revive them.
    assert downloads.get(token, NOW) is None
    assert len(downloads) == 0


def test_custom_lifetime() -> None:
    downloads = Downloads()
    token = downloads.add("a.csv", "text/csv", b"x", NOW, ttl=timedelta(minutes=1))
    assert downloads.get(token, NOW + timedelta(seconds=59)) is not None
    assert downloads.get(token, NOW + timedelta(minutes=1)) is None


def test_unknown_token() -> None:
    downloads = Downloads()
    downloads.add("a.csv", "text/csv", b"x", NOW)
    assert downloads.get("not-a-token", NOW) is None
    assert downloads.get("", NOW) is None


def test_tokens_are_long_random_and_url_safe() -> None:
    downloads = Downloads()
    tokens = {downloads.add("a.csv", "text/csv", b"x", NOW) for _ in range(50)}
    assert len(tokens) == 50
    for token in tokens:
        assert len(token) >= 43
        assert token.replace("-", "").replace("_", "").isalnum()


def test_oldest_entries_are_evicted_when_full() -> None:
    downloads = Downloads(max_entries=3)
    tokens = [downloads.add(f"{n}.csv", "text/csv", bytes([n]), NOW + timedelta(seconds=n)) for n in range(5)]
    assert len(downloads) == 3
    assert [downloads.get(token, NOW) for token in tokens[:2]] == [None, None]
    kept = [downloads.get(token, NOW + timedelta(seconds=5)) for token in tokens[2:]]
    assert [entry.filename for entry in kept if entry] == ["2.csv", "3.csv", "4.csv"]


def test_expired_entries_make_room_before_live_ones_are_evicted() -> None:
    downloads = Downloads(max_entries=2)
    downloads.add("old.csv", "text/csv", b"o", NOW, ttl=timedelta(minutes=1))
    live = downloads.add("live.csv", "text/csv", b"l", NOW)
    later = NOW + timedelta(minutes=2)
    new = downloads.add("new.csv", "text/csv", b"n", later)
    assert downloads.get(live, later) is not None
    assert downloads.get(new, later) is not None


def test_default_bound_is_200() -> None:
    downloads = Downloads()
    for n in range(250):
        downloads.add(f"{n}.csv", "text/csv", b"", NOW)
    assert len(downloads) == 200


def test_a_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        Downloads(max_entries=0)
