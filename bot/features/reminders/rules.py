"""When meeting reminders are due: offsets before the meeting, quiet hours, and daylight saving.
Plain functions over aware datetimes (stored UTC, reasoned about in Europe/Stockholm)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.quiet_hours import QuietHours

_DAYS = re.compile(r"^(\d{1,2})d$")
MORNING = time(7, 30)


@dataclass(frozen=True)
class Offset:
    label: str
    """"7d", "1d" or "morning": also part of the delivery's unique source key."""
    days: int | None


def parse_offsets(text: str) -> list[Offset]:
    """"7d,1d,morning" -> offsets; refuses anything else so a typo is not silently ignored."""
    offsets: list[Offset] = []
    for part in (p.strip().lower() for p in text.split(",") if p.strip()):
        if part == "morning":
            offsets.append(Offset("morning", None))
        elif match := _DAYS.match(part):
            offsets.append(Offset(part, int(match.group(1))))
        else:
            raise ValueError(f"reminder offset {part!r} is not like 7d, 1d or morning")
    return offsets


def due_time(meeting_start: datetime, offset: Offset, zone: ZoneInfo, quiet: QuietHours) -> datetime:
    """When a reminder is due, in UTC. "7d" is seven calendar days before at the meeting's local
    time of day (so a DST change in between does not shift it by an hour); "morning" is 07.30 on
    the day. A time inside quiet hours moves to the end of them."""
    local_start = meeting_start.astimezone(zone)
    if offset.days is None:
        local = datetime.combine(local_start.date(), MORNING, zone)
        local = min(local, local_start - timedelta(minutes=30))
    else:
        day = local_start.date() - timedelta(days=offset.days)
        local = datetime.combine(day, local_start.timetz().replace(tzinfo=None), zone)
    return _outside_quiet(local, quiet, zone).astimezone(ZoneInfo("UTC"))


def _outside_quiet(local: datetime, quiet: QuietHours, zone: ZoneInfo) -> datetime:
    if not quiet.contains(local.time()):
        return local
    day = local.date() if local.time() < quiet.end else local.date() + timedelta(days=1)
    return datetime.combine(day, quiet.end, zone)


def next_allowed(moment: datetime, zone: ZoneInfo, quiet: QuietHours) -> datetime:
    """``moment`` itself, or the end of the quiet hours it falls in (for messages sent "now")."""
    return _outside_quiet(moment.astimezone(zone), quiet, zone).astimezone(ZoneInfo("UTC"))
