"""Privacy use cases: a person's own copy of their data, erasure when they ask for it, and retention
(data of ended projects anonymised after RETENTION_DAYS). Plain Python over repositories and a clock.

```mermaid
flowchart LR
    A["mina uppgifter"] --> B[card: what is stored, why, how long<br/>+ download link to the JSON file]
    B -- "Radera mina uppgifter" --> C[confirm card]
    C -- "Ja, radera" --> D[erase_person: one transaction] --> E[card replaced: done]
    C -- "Avbryt" --> F[card replaced: nothing erased]
```
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.core.clock import Clock
from bot.core.i18n import t, use_language
from bot.features.privacy.exports import personal_data_json
from bot.teams.downloads import Downloads
from storage.erasure import ErasureReport, ErasureRepository
from storage.people import PeopleRepository
from storage.privacy import PersonalData, PrivacyRepository

log = logging.getLogger(__name__)

JSON_CONTENT_TYPE = "application/json; charset=utf-8"


def erased_name() -> str:
    """The name left on anonymised registrations; stored data, so in the region's language."""
    with use_language("sv"):
        return t("privacy.erased_name")


@dataclass(frozen=True)
class OwnCopy:
    data: PersonalData
    url: str
    """Short-lived, unguessable download address of the JSON file."""


class PrivacyService:
    def __init__(self, data: PrivacyRepository, erasure: ErasureRepository, people: PeopleRepository,
                 downloads: Downloads, clock: Clock, zone: ZoneInfo, public_url: str) -> None:
        self._data = data
        self._erasure = erasure
        self._people = people
        self._downloads = downloads
        self._clock = clock
        self._zone = zone
        self._public_url = public_url.rstrip("/")

    async def own_copy(self, person_id: int) -> OwnCopy | None:
        """Everything stored about the person, as a file behind a download link."""
        data = await self._data.collect(person_id)
        if data is None:
            return None
        now = self._clock()
        filename = t("privacy.file_name", date=f"{now.astimezone(self._zone):%Y-%m-%d}")
        token = await self._downloads.add(filename, JSON_CONTENT_TYPE, personal_data_json(data, now), now,
                                          owner=person_id)
        return OwnCopy(data, f"{self._public_url}/downloads/{token}")

    async def erase(self, person_id: int) -> ErasureReport | None:
        report = await self._erasure.erase_person(person_id, self._clock(), erased_name())
        # This process remembers who wrote from which conversation: their next message starts afresh.
        self._people.forget(person_id)
        # A link to their own data (or an export they made) issued just before must not outlive them.
        await self._downloads.revoke_person(person_id)
        if report is not None:
            log.info("person %s erased at their own request: %s", person_id, report)
        return report


class RetentionPlanner:
    """Runs with the other planners: ended projects older than the retention period lose what
    identifies their participants; people who were only in such projects are erased entirely."""

    def __init__(self, erasure: ErasureRepository, people: PeopleRepository, clock: Clock, retention: timedelta,
                 keep_aad: frozenset[str] = frozenset()) -> None:
        self._erasure = erasure
        self._people = people
        self._clock = clock
        self._retention = retention
        self._keep_aad = keep_aad
        """Coordinators from the configuration: never erased by retention."""

    async def run(self) -> int:
        """Returns how many rows (and people) were anonymised now; 0 when nothing was due."""
        now = self._clock()
        cutoff = now - self._retention
        expired = await self._erasure.expired_projects(cutoff)
        changed = await self._erasure.unlink_alumni_replies(cutoff)
        for project_id in expired:
            changed += await self._erasure.anonymise_project(project_id, erased_name())
        for person_id in await self._erasure.people_only_in(expired, self._keep_aad):
            if await self._erasure.erase_person(person_id, now, erased_name()) is not None:
                self._people.forget(person_id)
                changed += 1
        if changed:
            log.info("retention: %d rows anonymised (%d ended projects past %s)", changed, len(expired), cutoff)
        return changed
