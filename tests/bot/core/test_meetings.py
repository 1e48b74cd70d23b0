"""MeetingView: the meeting cards are built from a plain value, no storage row needed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.core.i18n import use_language
from bot.features.reminders.cards import reminder_card, update_card
from bot.features.schedule.cards import schedule_card

CALENDAR = "https://bot.example/cal"


@dataclass(frozen=True)
class Shown:
    id: int = 7
    number: int = 2
    title: str = "Tillitsbaserad styrning"
    starts_at: datetime = datetime(2027, 5, 3, 8, 0, tzinfo=UTC)
    ends_at: datetime = datetime(2027, 5, 3, 13, 0, tzinfo=UTC)
    place: str = "Falun"
    online_link: str = ""
    programme: str = ""
    cancelled_at: datetime | None = None


def text(card: Any) -> str:
    return json.dumps(card, ensure_ascii=False)


def test_reminder_and_update_cards_need_no_database_row() -> None:
    with use_language("sv"):
        reminder = text(reminder_card("Planering 2027", Shown(), "1d", CALENDAR))
        cancelled = text(update_card("Planering 2027", Shown(cancelled_at=datetime(2027, 5, 1, tzinfo=UTC)), CALENDAR))
    assert "Tillitsbaserad styrning" in reminder and '"meeting_id": 7' in reminder and "Falun" in reminder
    assert "Tillitsbaserad styrning" in cancelled


def test_schedule_card_takes_plain_meetings() -> None:
    with use_language("sv"):
        card = text(schedule_card("Planering 2027", [Shown(), Shown(id=8, number=3, title="Uppföljning")], CALENDAR,
                                  "schedule.title"))
    assert "Tillitsbaserad styrning" in card and "Uppföljning" in card
