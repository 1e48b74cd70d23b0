"""Short-lived, unguessable download links for exports, so personal data never sits at a guessable address.

Entries live in memory only: a restart forgets them, and the coordinator simply asks for a new export.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

DEFAULT_TTL = timedelta(minutes=15)
MAX_ENTRIES = 200


@dataclass(frozen=True)
class Download:
    """A file waiting to be fetched once or more before it expires."""

    filename: str
    content_type: str
    data: bytes
    expires_at: datetime


class Downloads:
    """Files keyed by a random token, dropped when they expire or when too many are waiting."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._max_entries = max_entries
        # dicts keep insertion order, so the first key is always the oldest entry.
        self._entries: dict[str, Download] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, filename: str, content_type: str, data: bytes, now: datetime, ttl: timedelta = DEFAULT_TTL) -> str:
        """Store a file and return the token of its address."""
        self._drop_expired(now)
        while len(self._entries) >= self._max_entries:
            # Bounded so that repeated exports cannot grow the process's memory without limit.
            del self._entries[next(iter(self._entries))]
        token = secrets.token_urlsafe(32)
        self._entries[token] = Download(filename, content_type, data, now + ttl)
        return token

    def get(self, token: str, now: datetime) -> Download | None:
        """The file behind ``token``, or None when the token is unknown or has expired."""
        self._drop_expired(now)
        return self._entries.get(token)

    def _drop_expired(self, now: datetime) -> None:
        for token in [token for token, entry in self._entries.items() if entry.expires_at <= now]:
            del self._entries[token]
