"""Message catalogs (Swedish first, English second) and Swedish-style date formatting.

The locale of the current turn lives in a ContextVar set once per turn by the handler,
so use cases and card builders call ``t(...)`` without threading a locale through.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime as babel_format_datetime

from bot.i18n import en, sv

DEFAULT_LOCALE = "sv"
CATALOGS: dict[str, dict[str, str]] = {"sv": sv.MESSAGES, "en": en.MESSAGES}
STOCKHOLM = ZoneInfo("Europe/Stockholm")

_locale: ContextVar[str] = ContextVar("locale", default=DEFAULT_LOCALE)


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


_DATETIME_PATTERNS = {
    "sv": "EEEE d MMMM 'kl.' HH.mm",
    "en": "EEEE d MMMM 'at' HH:mm",
}
_TIME_PATTERNS = {"sv": "HH.mm", "en": "HH:mm"}
_BABEL_LOCALES = {"sv": "sv_SE", "en": "en_GB"}


def format_when(moment: datetime, zone: ZoneInfo = STOCKHOLM) -> str:
    """ "tisdag 3 maj kl. 10.00" in Swedish; ``moment`` must be timezone-aware (stored UTC)."""
    language = _locale.get()
    return babel_format_datetime(moment, _DATETIME_PATTERNS[language], tzinfo=zone, locale=_BABEL_LOCALES[language])


def format_time(moment: datetime, zone: ZoneInfo = STOCKHOLM) -> str:
    language = _locale.get()
    return babel_format_datetime(moment, _TIME_PATTERNS[language], tzinfo=zone, locale=_BABEL_LOCALES[language])
