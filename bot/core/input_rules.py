"""Checks shared by every form the bot reads (registration, case examples, homework, projects):
what a problem with a form is, text cleaned of control characters, free texts with limits, links
pasted as text (attachments are links only, never files), and deadlines typed as a date and a time.
Pure: imported by the features' rules modules, so it imports nothing of the project."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

MAX_LINKS = 10
MAX_LINK_LENGTH = 1000
DEFAULT_DEADLINE_TIME = time(23, 59)
"""A deadline given as a date only lasts the whole day."""
_LINK_SEPARATORS = re.compile(r"[\n,;]+")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a form: a catalog key and the values its text needs."""

    key: str
    field: str
    values: tuple[tuple[str, Any], ...] = ()


class FormInvalid(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(", ".join(problem.key for problem in problems))
        self.problems = problems


def clean_text(value: Any) -> str:
    """Text from a card or chat: control characters removed, whitespace folded."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value))
    text = "".join(ch if unicodedata.category(ch)[0] != "C" or ch in "\n\t" else " " for ch in text)
    return " ".join(text.split())


@dataclass(frozen=True)
class TextLimit:
    field: str
    limit: int
    required: bool = False
    multiline: bool = False


def clean_multiline(value: Any) -> str:
    """Text from a multiline input: each line cleaned, paragraphs kept, at most one blank line."""
    if value is None:
        return ""
    lines = [clean_text(line) for line in str(value).replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    kept: list[str] = []
    for line in lines:
        if line or (kept and kept[-1]):
            kept.append(line)
    return "\n".join(kept).strip()


def read_texts(values: Mapping[str, Any], limits: tuple[TextLimit, ...],
               problems: list[Problem]) -> dict[str, str]:
    """The cleaned texts of ``limits``; a missing required one or one too long becomes a problem
    whose key is ``input.missing`` or ``input.too_long`` (the field name is a catalog key)."""
    texts: dict[str, str] = {}
    for spec in limits:
        raw = values.get(spec.field)
        text = clean_multiline(raw) if spec.multiline else clean_text(raw)
        if spec.required and not text:
            problems.append(Problem("input.missing", spec.field))
        elif len(text) > spec.limit:
            problems.append(Problem("input.too_long", spec.field, (("limit", spec.limit),)))
        texts[spec.field] = text
    return texts


def parse_links(raw: Any, problems: list[Problem], field: str = "links") -> tuple[str, ...]:
    """Web addresses separated by new lines, spaces, commas or semicolons: http(s) only, each
    once, at most MAX_LINKS. "www.x.se" gets https:// in front."""
    links: list[str] = []
    for part in _LINK_SEPARATORS.split(clean_multiline(raw)):
        words = [_with_scheme(word) for word in part.split()]
        if not all(is_web_address(word) for word in words):
            # One problem per line or item, not per word ("klicka här" is one mistake).
            problems.append(Problem("input.link_invalid", field, (("link", part.strip()[:80]),)))
            continue
        links += [word for index, word in enumerate(words) if word not in links and word not in words[:index]]
    if len(links) > MAX_LINKS:
        problems.append(Problem("input.too_many_links", field, (("limit", MAX_LINKS),)))
    return tuple(links[:MAX_LINKS])


def _with_scheme(word: str) -> str:
    return "https://" + word if word.lower().startswith("www.") else word


def is_web_address(text: str) -> bool:
    if len(text) > MAX_LINK_LENGTH:
        return False
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and "." in parts.netloc and " " not in text


def links_to_text(links: tuple[str, ...]) -> str:
    """How links are stored: one per line."""
    return "\n".join(links)


def links_from_text(text: str) -> tuple[str, ...]:
    return tuple(line for line in (text or "").split("\n") if line.strip())


def parse_deadline(day: Any, clock: Any, zone: ZoneInfo, now: datetime, problems: list[Problem],
                   field: str = "deadline") -> datetime | None:
    """A deadline from a date input and an optional time input (local time, stored UTC); it must
    lie in the future. None (with a problem) when it cannot be used."""
    day_text, clock_text = clean_text(day), clean_text(clock)
    if not day_text:
        problems.append(Problem("input.deadline_missing", field))
        return None
    try:
        local_day = date.fromisoformat(day_text)
        local_time = time.fromisoformat(clock_text) if clock_text else DEFAULT_DEADLINE_TIME
    except ValueError:
        problems.append(Problem("input.deadline_invalid", field))
        return None
    moment = datetime.combine(local_day, local_time.replace(tzinfo=None), zone).astimezone(ZoneInfo("UTC"))
    if moment <= now:
        problems.append(Problem("input.deadline_past", field))
        return None
    return moment


def card_id(values: Mapping[str, Any], key: str) -> int | None:
    """An id from card data; None for anything that is not a plain positive integer."""
    raw = values.get(key)
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int) and raw > 0:
        return raw
    if isinstance(raw, str) and raw.isdigit() and len(raw) < 12 and int(raw) > 0:
        return int(raw)
    return None
