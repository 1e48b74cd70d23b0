"""Rules of the alumni phase as plain functions: when the exchange prompt is asked (the first
weekday of the month at 9.00, Stockholm time), when its digest is shared (a week later), and what
a valid reply is."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.input_rules import clean_text

MONTHLY, OFF = "monthly", "off"
PROMPT_SETTINGS = (MONTHLY, OFF)
PROMPT_TIME = time(9, 0)
PLAN_AHEAD = timedelta(days=1)
"""Prompts are planned a day ahead, so the dispatcher sends them at 9.00 sharp."""
LATE_LIMIT = timedelta(days=1)
"""A prompt missed (the bot was down) is still asked within a day; after that, next month."""
DIGEST_AFTER = timedelta(days=7)
MAX_REPLY = 1000
WEEKEND = (5, 6)


@dataclass(frozen=True)
class PromptSlot:
    period: str
    """"2027-05": one prompt per channel and period."""
    asked_at: datetime
    """UTC."""


def first_weekday(year: int, month: int) -> date:
    """The first Monday–Friday of the month (public holidays are not looked up)."""
    day = date(year, month, 1)
    while day.weekday() in WEEKEND:
        day += timedelta(days=1)
    return day


def prompt_slot(year: int, month: int, zone: ZoneInfo) -> PromptSlot:
    moment = datetime.combine(first_weekday(year, month), PROMPT_TIME, zone)
    return PromptSlot(f"{year:04d}-{month:02d}", moment.astimezone(ZoneInfo("UTC")))


def slots_to_plan(now: datetime, zone: ZoneInfo) -> list[PromptSlot]:
    """This month's and next month's slots that are close enough to plan now."""
    local = now.astimezone(zone)
    next_year, next_month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    slots = [prompt_slot(local.year, local.month, zone), prompt_slot(next_year, next_month, zone)]
    return [slot for slot in slots if slot.asked_at - PLAN_AHEAD <= now < slot.asked_at + LATE_LIMIT]


def channel_prompted(settings: Iterable[str]) -> bool:
    """A channel shared by several projects gets the prompt when any of them wants it."""
    return any(setting == MONTHLY for setting in settings)


def digest_due(asked_at: datetime) -> datetime:
    return asked_at + DIGEST_AFTER


def replies_open(asked_at: datetime, now: datetime) -> bool:
    return asked_at <= now < digest_due(asked_at)


def clean_reply(raw: object) -> str:
    """The reply as stored; raises ValueError (with a catalog key) when empty or too long."""
    text = clean_text(raw if isinstance(raw, str) else "")
    if not text:
        raise ValueError("alumni.reply_empty")
    if len(text) > MAX_REPLY:
        raise ValueError("alumni.reply_too_long")
    return text


AUDIENCE_PREFIX = "alumni:"
MAX_ANNOUNCEMENT = 2000


def alumni_audience(project_ids: Iterable[int]) -> str:
    """How an announcement to the alumni of several projects is stored on its broadcast row."""
    return AUDIENCE_PREFIX + ",".join(str(i) for i in sorted(set(project_ids)))


def audience_projects(audience: str) -> list[int]:
    """The project ids of an alumni announcement's audience; empty for any other audience."""
    if not audience.startswith(AUDIENCE_PREFIX):
        return []
    parts = audience[len(AUDIENCE_PREFIX):].split(",")
    return [int(part) for part in parts if part.isdigit()]
