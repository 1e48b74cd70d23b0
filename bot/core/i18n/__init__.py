"""Message catalogs (Swedish first, English second) and Swedish-style date formatting.

The locale and time zone (TZ_NAME) of the current turn live in ContextVars set once per turn by
the handler, and per send by the outbox, so use cases and card builders call ``t(...)`` and
``format_when(...)`` without threading a locale or zone through.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_datetime as babel_format_datetime
from babel.numbers import format_decimal

from bot.core.i18n import en, sv

DEFAULT_LOCALE = "sv"
CATALOGS: dict[str, dict[str, str]] = {"sv": sv.MESSAGES, "en": en.MESSAGES}
STOCKHOLM = ZoneInfo("Europe/Stockholm")

_locale: ContextVar[str] = ContextVar("locale", default=DEFAULT_LOCALE)
_now: ContextVar[datetime | None] = ContextVar("now", default=None)
_zone: ContextVar[ZoneInfo] = ContextVar("zone", default=STOCKHOLM)


def language_of(teams_locale: str | None, policy: str = "auto") -> str:
    """Map a Teams locale ("en-US", "sv-SE", None) to a catalog; Swedish unless it says English.
    ``policy`` "sv" or "en" fixes the language whatever the client says."""
    if policy in CATALOGS:
        return policy
    if teams_locale and teams_locale.lower().startswith("en"):
        return "en"
    return DEFAULT_LOCALE


def current_language() -> str:
    return _locale.get()


@contextmanager
def use_language(language: str) -> Iterator[None]:
    token = _locale.set(language if language in CATALOGS else DEFAULT_LOCALE)
    try:
        yield
    finally:
        _locale.reset(token)


def t(key: str, /, **values: object) -> str:
    """The text for ``key`` in the current language, Swedish when the translation is missing."""
    catalog = CATALOGS[_locale.get()]
    template = catalog.get(key) or sv.MESSAGES[key]
    return template.format(**values) if values else template


def count_phrase(key: str, count: int) -> str:
    """A number with its noun in the right form: ``key.one`` for 1 when the language has one ("1 anmäld",
    "3 anmälda"; English "1 registered" has none)."""
    singular = f"{key}.one"
    return t(singular if count == 1 and singular in CATALOGS[current_language()] else key, count=count)


@contextmanager
def use_now(now: datetime) -> Iterator[None]:
    """The bot's clock for this turn or dispatch: dates in another year than ``now`` show their year."""
    token = _now.set(now)
    try:
        yield
    finally:
        _now.reset(token)


def current_zone() -> ZoneInfo:
    """The zone dates are shown in: the settings' TZ_NAME in a turn or send (Stockholm otherwise)."""
    return _zone.get()


@contextmanager
def use_zone(zone: ZoneInfo) -> Iterator[None]:
    token = _zone.set(zone)
    try:
        yield
    finally:
        _zone.reset(token)


def _this_year(zone: ZoneInfo) -> int:
    now = _now.get() or datetime.now(zone)
    return now.astimezone(zone).year


_DAY_PATTERNS = {"sv": ("EEEE d MMMM", "EEEE d MMMM y"), "en": ("EEEE d MMMM", "EEEE d MMMM y")}
_DATETIME_PATTERNS = {
    "sv": ("EEEE d MMMM 'kl.' HH.mm", "EEEE d MMMM y 'kl.' HH.mm"),
    "en": ("EEEE d MMMM 'at' HH:mm", "EEEE d MMMM y 'at' HH:mm"),
}
_TIME_PATTERNS = {"sv": "HH.mm", "en": "HH:mm"}
_BABEL_LOCALES = {"sv": "sv_SE", "en": "en_GB"}


@lru_cache(maxsize=4096)
def _formatted(moment: datetime, pattern: str, zone: ZoneInfo, babel_locale: str) -> str:
    """Babel's rendering, remembered: a card lists the same few meeting times turn after turn, and each
    costs Babel tens of microseconds. The key is all the rendering reads (an aware ``moment`` hashes by
    its instant, which is all that is shown, in ``zone``)."""
    return babel_format_datetime(moment, pattern, tzinfo=zone, locale=babel_locale)


def _pattern(patterns: dict[str, tuple[str, str]], moment: datetime, zone: ZoneInfo) -> str:
    this_year, other_year = patterns[_locale.get()]
    return this_year if moment.astimezone(zone).year == _this_year(zone) else other_year


def format_when(moment: datetime, zone: ZoneInfo | None = None) -> str:
    """ "tisdag 3 maj kl. 10.00" in Swedish ("tisdag 22 februari 2028 kl. 10.00" in another year than
    the clock's); ``moment`` must be timezone-aware (stored UTC). ``zone``: the current one by default,
    as are all the functions below."""
    zone = zone or _zone.get()
    language = _locale.get()
    return _formatted(moment, _pattern(_DATETIME_PATTERNS, moment, zone), zone, _BABEL_LOCALES[language])


def format_day(moment: datetime, zone: ZoneInfo | None = None) -> str:
    """ "onsdag 14 april" (with the year when it is not this year)."""
    zone = zone or _zone.get()
    language = _locale.get()
    return _formatted(moment, _pattern(_DAY_PATTERNS, moment, zone), zone, _BABEL_LOCALES[language])


def format_time(moment: datetime, zone: ZoneInfo | None = None) -> str:
    zone = zone or _zone.get()
    language = _locale.get()
    return _formatted(moment, _TIME_PATTERNS[language], zone, _BABEL_LOCALES[language])


def format_span(start: datetime, end: datetime, zone: ZoneInfo | None = None) -> str:
    """ "måndag 3 maj kl. 10.00–15.00"; an end on another day is written in full."""
    zone = zone or _zone.get()
    if start.astimezone(zone).date() == end.astimezone(zone).date():
        return f"{format_when(start, zone)}–{format_time(end, zone)}"
    return f"{format_when(start, zone)} – {format_when(end, zone)}"


def format_deadline(deadline: datetime, zone: ZoneInfo | None = None) -> str:
    """A deadline as people read it: "onsdag 14 april" for one stored as midnight after 14 April
    (the last day, not "torsdag 15 april kl. 00.00"); one at another time keeps its time."""
    zone = zone or _zone.get()
    local = deadline.astimezone(zone)
    if (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0):
        return format_day(local - timedelta(hours=12), zone)
    return format_when(deadline, zone)


def format_number(value: int) -> str:
    """A whole number as the current language writes it (Swedish: "1 234", a no-break space)."""
    return format_decimal(value, locale=_BABEL_LOCALES[current_language()])
