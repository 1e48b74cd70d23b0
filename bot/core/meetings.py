"""What cards read of a meeting: a read-only shape that storage's Meeting row has and a test can
build without a database, so a card builder depends on no storage module."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class MeetingView(Protocol):
    """A meeting as cards show it (stored UTC, shown in the zone the i18n formatting uses)."""

    @property
    def id(self) -> int: ...

    @property
    def number(self) -> int: ...

    @property
    def title(self) -> str: ...

    @property
    def starts_at(self) -> datetime: ...

    @property
    def ends_at(self) -> datetime: ...

    @property
    def place(self) -> str: ...

    @property
    def online_link(self) -> str: ...

    @property
    def programme(self) -> str: ...

    @property
    def cancelled_at(self) -> datetime | None: ...
