"""Hand-over codes (``Byt till kollega`` / ``ta över <kod>``): 80 random bits, typeable, single use.

Crockford's base32 (digits and letters without I, L, O and U), 16 symbols shown in four groups
("7K2M-QX9D-4HNB-R3TF"); people may type them in any case, with or without dashes or spaces, and
O, I, L as the digits they look like. 80 bits against at most 5 wrong attempts per person per hour
(``WrongAttempts``): guessing a live code is hopeless. The code is cleared when used."""

from __future__ import annotations

import secrets
from collections import OrderedDict, deque
from datetime import datetime, timedelta

from bot.core.clock import Clock

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
SYMBOLS = 16
"""16 symbols of 5 bits: 80 bits."""
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
MAX_WRONG = 5
WINDOW = timedelta(hours=1)
MAX_PEOPLE = 10_000
"""People whose wrong attempts are remembered; the oldest are forgotten first (bounded memory)."""


def new_code() -> str:
    """A fresh code as stored: 16 symbols, no separators."""
    return "".join(secrets.choice(ALPHABET) for _ in range(SYMBOLS))


def shown(code: str) -> str:
    """ "7K2M-QX9D-4HNB-R3TF": how the code is shown to people."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def normalised(typed: str) -> str | None:
    """The stored form of what someone typed, or None when it cannot be a code."""
    cleaned = "".join(ch for ch in typed.upper() if ch not in " -\t").translate(_LOOKALIKES)
    if len(cleaned) != SYMBOLS or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


class WrongAttempts:
    """At most ``limit`` wrong codes per person in a sliding ``window``, for at most ``max_people``
    people at once (least recently seen forgotten first). In memory: with several replicas each
    counts its own, which still leaves 80 bits against a handful of guesses."""

    def __init__(self, clock: Clock, limit: int = MAX_WRONG, window: timedelta = WINDOW,
                 max_people: int = MAX_PEOPLE) -> None:
        self._clock = clock
        self._limit = limit
        self._window = window
        self._max_people = max_people
        self._attempts: OrderedDict[int, deque[datetime]] = OrderedDict()

    def blocked(self, person_id: int) -> bool:
        return len(self._recent(person_id)) >= self._limit

    def record(self, person_id: int) -> None:
        recent = self._recent(person_id)
        recent.append(self._clock())
        self._attempts[person_id] = recent
        self._attempts.move_to_end(person_id)
        while len(self._attempts) > self._max_people:
            self._attempts.popitem(last=False)

    def __len__(self) -> int:
        return len(self._attempts)

    def _recent(self, person_id: int) -> deque[datetime]:
        since = self._clock() - self._window
        recent = self._attempts.get(person_id, deque())
        while recent and recent[0] <= since:
            recent.popleft()
        return recent
