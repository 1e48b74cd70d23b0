"""The rules of registration, as plain functions: quotas, capacity, deadline, waitlist order,
and what a valid registration form is. No I/O here; storage and the Teams edge call these."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.core.input_rules import FormInvalid, Problem, clean_text


class Status(StrEnum):
    REGISTERED = "registered"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Limits:
    quota_per_organisation: int
    capacity: int | None


@dataclass(frozen=True)
class Occupancy:
    """Registered (not waitlisted) people, in the person's organisation and in total."""

    organisation: int
    total: int


def quota_applies(organisation_kind: str) -> bool:
    """The quota is per municipality (and for the region); "Annan organisation" gathers many
    different organisations under one choice, so it is limited by capacity only."""
    return organisation_kind != "other"


def has_room(limits: Limits, occupancy: Occupancy, organisation_kind: str) -> bool:
    if limits.capacity is not None and occupancy.total >= limits.capacity:
        return False
    return not (quota_applies(organisation_kind) and occupancy.organisation >= limits.quota_per_organisation)


class WaitReason(StrEnum):
    """Which limit keeps a person on the waitlist."""

    QUOTA = "quota"
    """Their municipality (or the region) has filled its places."""
    FULL = "full"
    """The project has reached its capacity."""
    BOTH = "both"


def wait_reason(limits: Limits, occupancy: Occupancy, organisation_kind: str) -> WaitReason | None:
    """Why someone would wait now (``occupancy`` without them); None when they would get a place."""
    full = limits.capacity is not None and occupancy.total >= limits.capacity
    quota = quota_applies(organisation_kind) and occupancy.organisation >= limits.quota_per_organisation
    if full and quota:
        return WaitReason.BOTH
    if full:
        return WaitReason.FULL
    return WaitReason.QUOTA if quota else None


def place_for(limits: Limits, occupancy: Occupancy, organisation_kind: str) -> Status:
    """Registered while the organisation's quota and the project's capacity allow; else the waitlist."""
    return Status.REGISTERED if has_room(limits, occupancy, organisation_kind) else Status.WAITLISTED


def registration_open(deadline: datetime | None, now: datetime) -> bool:
    """Open until the deadline instant (stored UTC, so daylight saving cannot shift it)."""
    return deadline is None or now < deadline


@dataclass(frozen=True)
class Waiting:
    registration_id: int
    organisation_id: int
    organisation_kind: str
    queued_at: datetime


def next_to_promote(
    waiting: Sequence[Waiting],
    freed_organisation_id: int,
    limits: Limits,
    registered_per_organisation: Mapping[int, int],
    registered_total: int,
) -> Waiting | None:
    """Who gets a freed place: the first in the waitlist of the same organisation, then the first
    in the general waitlist whose organisation still has room. None when no one can move up."""
    ordered = sorted(waiting, key=lambda entry: (entry.queued_at, entry.registration_id))

    def fits(entry: Waiting) -> bool:
        occupancy = Occupancy(registered_per_organisation.get(entry.organisation_id, 0), registered_total)
        return has_room(limits, occupancy, entry.organisation_kind)

    for entry in ordered:
        if entry.organisation_id == freed_organisation_id and fits(entry):
            return entry
    return next((entry for entry in ordered if fits(entry)), None)


# --- the registration form ------------------------------------------------------------------

MAX_LENGTHS = {"name": 200, "organisation_other": 200, "role_title": 200, "email": 320, "dietary": 500}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class RegistrationForm:
    name: str
    organisation_key: str
    organisation_other: str
    role_title: str
    email: str
    meeting_numbers: frozenset[int]
    dietary: str
    consent_list: bool


def parse_form(
    values: Mapping[str, Any], organisation_keys: Mapping[str, str], meeting_numbers: Sequence[int]
) -> RegistrationForm:
    """Validate what a card (or the text dialog) submitted; the client is not trusted.
    ``organisation_keys`` maps key -> kind. Raises FormInvalid listing every problem."""
    problems: list[Problem] = []
    text = {field: clean_text(values.get(field)) for field in MAX_LENGTHS}
    for field, limit in MAX_LENGTHS.items():
        if len(text[field]) > limit:
            problems.append(Problem("form.too_long", field, (("limit", limit),)))
    if not text["name"]:
        problems.append(Problem("form.name_missing", "name"))
    organisation = clean_text(values.get("organisation")).lower()
    if organisation not in organisation_keys:
        problems.append(Problem("form.organisation_unknown", "organisation"))
    elif organisation_keys[organisation] == "other" and not text["organisation_other"]:
        problems.append(Problem("form.organisation_other_missing", "organisation_other"))
    if text["email"] and not EMAIL.match(text["email"]):
        problems.append(Problem("form.email_invalid", "email"))
    chosen = _meeting_numbers(values.get("meetings"), meeting_numbers, problems)
    consent = _boolean(values.get("consent_list"), problems)
    if problems:
        raise FormInvalid(problems)
    return RegistrationForm(
        name=text["name"],
        organisation_key=organisation,
        organisation_other=text["organisation_other"] if organisation_keys[organisation] == "other" else "",
        role_title=text["role_title"],
        email=text["email"].lower(),
        meeting_numbers=chosen,
        dietary=text["dietary"],
        consent_list=consent,
    )


def _meeting_numbers(raw: Any, allowed: Sequence[int], problems: list[Problem]) -> frozenset[int]:
    if raw is None or raw == "":
        if allowed:
            problems.append(Problem("form.meetings_missing", "meetings"))
        return frozenset()
    parts = raw if isinstance(raw, list) else str(raw).split(",")
    try:
        chosen = frozenset(int(str(part).strip()) for part in parts if str(part).strip())
    except ValueError:
        problems.append(Problem("form.meetings_unknown", "meetings"))
        return frozenset()
    if not chosen or not chosen <= set(allowed):
        problems.append(Problem("form.meetings_unknown", "meetings"))
    return chosen


def _boolean(raw: Any, problems: list[Problem]) -> bool:
    if isinstance(raw, bool):
        return raw
    value = clean_text(raw).lower()
    if value in ("true", "1", "ja", "yes"):
        return True
    if value in ("", "false", "0", "nej", "no"):
        return False
    problems.append(Problem("form.consent_invalid", "consent_list"))
    return False
