"""Short-lived, unguessable download links for exports, so personal data never sits at a guessable address.

The files are in the database (storage/downloads.py), so a link made by one replica is served by any
other behind the load balancer, and survives a restart until it expires. Only a hash of the token is
stored: the address is the secret.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage.downloads import DownloadRepository

DEFAULT_TTL = timedelta(minutes=15)
MAX_TOKEN_LENGTH = 100


@dataclass(frozen=True)
class Download:
    """A file waiting to be fetched once or more before it expires."""

    filename: str
    content_type: str
    data: bytes
    expires_at: datetime


class Downloads:
    """Files keyed by a random token, gone when they expire or when their owner's links are revoked."""

    def __init__(self, repository: DownloadRepository) -> None:
        self._repository = repository

    async def add(self, filename: str, content_type: str, data: bytes, now: datetime, *, owner: int | None,
                  ttl: timedelta = DEFAULT_TTL) -> str:
        """Store a file for ``owner`` (the person id of who asked; None for none) and return the token
        of its address."""
        token = secrets.token_urlsafe(32)
        await self._repository.add(_hash(token), owner, filename, content_type, data, now, now + ttl)
        return token

    async def get(self, token: str, now: datetime) -> Download | None:
        """The file behind ``token``, or None when the token is unknown or has expired."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        row = await self._repository.get(_hash(token), now)
        if row is None:
            return None
        return Download(row.filename, row.content_type, row.data, row.expires_at)

    async def revoke_person(self, person_id: int) -> int:
        """Every link made for this person stops working (erasure); returns how many there were."""
        return await self._repository.revoke_person(person_id)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
