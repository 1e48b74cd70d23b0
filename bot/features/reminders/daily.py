"""How often a person hears from the bot about one meeting: never twice on the same day. Plain
rules over aware datetimes, applied when reminders are planned and again when anything about a
meeting is about to be sent (a `påminn`, a change notice or the evaluation can meet a reminder)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from bot.core.clock import Clock
from bot.core.quiet_hours import QuietHours
from bot.features.reminders.rules import next_allowed

T = TypeVar("T")
SKIPPED_ON_A_BUSY_DAY = frozenset({"reminder", "evaluation_nudge"})
"""Repeats of what the person has heard that day already: dropped."""
WAITS_FOR_THE_NEXT_DAY = frozenset({"evaluation"})
"""Worth sending, not urgent: goes the next morning instead."""
ALWAYS_SENT = frozenset({"meeting_update"})
"""News (the meeting moved): goes at once. Reminders later that day are then dropped."""
NEXT_MORNING = time(9, 0)


@dataclass(frozen=True)
class LocalDay:
    """What "today" is: the clock, the region's zone, and its quiet hours (a deferred message waits
    for them to end)."""

    clock: Clock
    zone: ZoneInfo
    quiet: QuietHours


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def one_a_day(planned: Sequence[tuple[T, datetime]], zone: ZoneInfo) -> list[tuple[T, datetime]]:
    """Of reminders due on the same local day (quiet hours can push "1d" into the meeting's
    morning), only the last one, the closest to the meeting, is kept; order is by due time."""
    by_day: dict[date, tuple[T, datetime]] = {}
    for item, due in sorted(planned, key=lambda pair: pair[1]):
        by_day[local_day(due, zone)] = (item, due)
    return sorted(by_day.values(), key=lambda pair: pair[1])


@dataclass(frozen=True)
class Send:
    pass


@dataclass(frozen=True)
class Skip:
    reason: str


@dataclass(frozen=True)
class Defer:
    until: datetime


def same_day_decision(kind: str, now: datetime, earlier: Iterable[datetime], zone: ZoneInfo,
                      quiet: QuietHours) -> Send | Skip | Defer:
    """Whether a message of ``kind`` about a meeting may go to a person at ``now``, given when the
    person got the earlier messages about the same meeting (``earlier``)."""
    today = local_day(now, zone)
    if kind in ALWAYS_SENT or all(local_day(sent, zone) != today for sent in earlier):
        return Send()
    if kind in WAITS_FOR_THE_NEXT_DAY:
        tomorrow = datetime.combine(today + timedelta(days=1), NEXT_MORNING, zone)
        return Defer(next_allowed(tomorrow, zone, quiet))
    return Skip("a message about the meeting went to this person today")


def day_start(now: datetime, zone: ZoneInfo) -> datetime:
    """Midnight of ``now``'s local day, in UTC (what "today" means when reading what was sent)."""
    return datetime.combine(local_day(now, zone), time(0, 0), zone).astimezone(ZoneInfo("UTC"))
