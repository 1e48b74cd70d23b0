"""The rules of case examples as plain functions: what a valid example and request are, who a
request goes to, when the nudge is due, how a review changes an example, who may see it, and
how a search matches (case-insensitive, Swedish letters kept). No I/O here."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.input_rules import FormInvalid, Problem, TextLimit, clean_text, parse_deadline, parse_links, read_texts
from bot.core.text_search import Term, matches, prepare, terms


class Sharing(StrEnum):
    PROJECT = "project"
    """Only people registered in the example's project."""
    ALUMNI = "alumni"
    """Also everyone who takes or took part in a learning project (and the alumni channel)."""
    PUBLIC = "public"


class ExampleStatus(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"


class Decision(StrEnum):
    APPROVE = "approve"
    CHANGES = "changes"
    REJECT = "reject"


DECISION_STATUS = {
    Decision.APPROVE: ExampleStatus.APPROVED,
    Decision.CHANGES: ExampleStatus.CHANGES_REQUESTED,
    Decision.REJECT: ExampleStatus.REJECTED,
}
EDITABLE = (ExampleStatus.SUBMITTED, ExampleStatus.CHANGES_REQUESTED)
"""The sender may still change an example in these states (a change sends it back for review)."""

EXAMPLE_TEXTS = (
    TextLimit("title", 300, required=True),
    TextLimit("theme", 300),
    TextLimit("challenge", 4000, required=True, multiline=True),
    TextLimit("actions", 4000, required=True, multiline=True),
    TextLimit("result", 4000, multiline=True),
    TextLimit("lessons", 4000, multiline=True),
    TextLimit("contact", 500),
)
MAX_NOTE = 2000
NUDGE_LEAD = timedelta(days=2)
"""The nudge to municipalities that have not sent an example goes this long before the deadline."""
MIN_NUDGE_GAP = timedelta(hours=12)
"""...but never sooner than this after the request itself (a short deadline gets no nudge)."""


@dataclass(frozen=True)
class ExampleForm:
    title: str
    theme: str
    organisation_key: str
    challenge: str
    actions: str
    result: str
    lessons: str
    contact: str
    links: tuple[str, ...]
    sharing: Sharing


def parse_example(values: Mapping[str, Any], organisation_keys: Iterable[str]) -> ExampleForm:
    """Validate a submitted example (the client is not trusted); raises FormInvalid listing
    every problem."""
    problems: list[Problem] = []
    texts = read_texts(values, EXAMPLE_TEXTS, problems)
    organisation = clean_text(values.get("organisation")).lower()
    if organisation not in set(organisation_keys):
        problems.append(Problem("input.organisation_unknown", "organisation"))
    links = parse_links(values.get("links"), problems)
    sharing = clean_text(values.get("sharing")).lower()
    if sharing not in {level.value for level in Sharing}:
        problems.append(Problem("input.sharing_unknown", "sharing"))
    if problems:
        raise FormInvalid(problems)
    return ExampleForm(texts["title"], texts["theme"], organisation, texts["challenge"], texts["actions"],
                       texts["result"], texts["lessons"], texts["contact"], links, Sharing(sharing))


@dataclass(frozen=True)
class RequestForm:
    theme: str
    deadline: datetime
    organisation_keys: tuple[str, ...]
    """Chosen municipalities (sorted); empty means every participating municipality."""


def parse_request(values: Mapping[str, Any], allowed_keys: Iterable[str], zone: ZoneInfo,
                  now: datetime) -> RequestForm:
    problems: list[Problem] = []
    theme = read_texts(values, (TextLimit("theme", 300, required=True),), problems)["theme"]
    deadline = parse_deadline(values.get("deadline_date"), values.get("deadline_time"), zone, now, problems)
    chosen = _chosen_keys(values.get("organisations"))
    if not chosen <= set(allowed_keys):
        problems.append(Problem("input.organisation_unknown", "organisations"))
    if problems or deadline is None:
        raise FormInvalid(problems)
    return RequestForm(theme, deadline, tuple(sorted(chosen)))


def _chosen_keys(raw: Any) -> set[str]:
    parts = raw if isinstance(raw, list) else str(raw or "").split(",")
    return {clean_text(part).lower() for part in parts if clean_text(part)}


@dataclass(frozen=True)
class Member:
    """A registered participant as a request sees them."""

    person_id: int
    organisation_key: str
    organisation_kind: str


def request_audience(members: Sequence[Member], chosen_keys: Sequence[str]) -> list[Member]:
    """Who a request goes to: participants from the chosen municipalities, or from every
    municipality taking part when none was chosen (the region and other organisations give
    no municipal examples)."""
    if chosen_keys:
        return [m for m in members if m.organisation_key in chosen_keys]
    return [m for m in members if m.organisation_kind == "municipality"]


def nudge_time(requested_at: datetime, deadline: datetime) -> datetime | None:
    """When the nudge is due: NUDGE_LEAD before the deadline, at the earliest MIN_NUDGE_GAP after
    the request, and never at or after the deadline. None when there is no room for one."""
    due = max(deadline - NUDGE_LEAD, requested_at + MIN_NUDGE_GAP)
    return due if due < deadline else None


def review_status(current: str, decision: Decision) -> ExampleStatus | None:
    """The status a review leads to; None when the example is not waiting for a review."""
    return DECISION_STATUS[decision] if current == ExampleStatus.SUBMITTED else None


def parse_decision(raw: Any, note: Any) -> tuple[Decision, str]:
    """A coordinator's review from the card: asking for changes needs a note for the sender."""
    problems: list[Problem] = []
    text = read_texts({"note": note}, (TextLimit("note", MAX_NOTE, multiline=True),), problems)["note"]
    try:
        decision = Decision(clean_text(raw).lower())
    except ValueError:
        problems.append(Problem("input.decision_unknown", "decision"))
        raise FormInvalid(problems) from None
    if decision is Decision.CHANGES and not text:
        problems.append(Problem("input.note_missing", "note"))
    if problems:
        raise FormInvalid(problems)
    return decision, text


@dataclass(frozen=True)
class Viewer:
    """Who is looking: the projects they are registered in, and whether they coordinate."""

    project_ids: frozenset[int]
    coordinator: bool = False


def may_see(viewer: Viewer, status: str, sharing: str, project_id: int) -> bool:
    """Approved examples only; "project" ones only for people registered in that project,
    "alumni" ones for anyone who takes part in some project, "public" ones for everyone.
    Coordinators see every approved example."""
    if status != ExampleStatus.APPROVED:
        return False
    if viewer.coordinator or sharing == Sharing.PUBLIC:
        return True
    if sharing == Sharing.ALUMNI:
        return bool(viewer.project_ids)
    return project_id in viewer.project_ids


# --- search -------------------------------------------------------------------------------

MAX_TERMS = 8


@dataclass(frozen=True)
class Searchable:
    """The texts of one example a search looks in, by weight."""

    theme: str
    title: str
    organisation: str
    body: str
    """challenge, what was done, result and lessons"""


def search_terms(query: str) -> list[Term]:
    """Words of the query (``bot.core.text_search``: Snowball stems), at most MAX_TERMS."""
    return terms(query, MAX_TERMS)


def score(example: Searchable, query_terms: Sequence[Term]) -> int:
    """0 when a term is missing; otherwise higher the more terms hit the theme, title or
    municipality. Terms match word parts and inflections ("bostäder" finds "bostad"); a term typed
    without å, ä or ö also matches with them ("borlange" finds Borlänge); one typed with them must
    match as typed ("får" does not find "far")."""
    fields = ((example.theme, 3), (example.title, 3), (example.organisation, 2), (example.body, 1))
    prepared = [(prepare(text), weight) for text, weight in fields]
    total = 0
    for term in query_terms:
        hits = [weight for words, weight in prepared if matches(term, words)]
        if not hits:
            return 0
        total += max(hits)
    return total


def rank(items: Sequence[tuple[Searchable, datetime]], query_terms: Sequence[Term]) -> list[int]:
    """Indexes of the matching items, best first, newest first among equals; every item
    (newest first) when there are no terms."""
    scored = [(score(item, query_terms) if query_terms else 1, created, index)
              for index, (item, created) in enumerate(items)]
    return [index for points, _, index in sorted(scored, key=lambda s: (-s[0], -s[1].timestamp())) if points]


def request_covers(chosen_keys: Sequence[str], member: Member) -> bool:
    """Whether a request (to ``chosen_keys``, or to every municipality when empty) asks ``member``."""
    return bool(request_audience([member], chosen_keys))


def split_keys(stored: str) -> tuple[str, ...]:
    """A request's municipalities as stored ("falun,mora"; "" for all)."""
    return tuple(key for key in stored.split(",") if key)
