"""The project report as plain figures, the way the region reports a learning project: how many of
the municipalities took part (and which are missing), participants per meeting (min–max),
attendance per municipality, the evaluation per meeting and for the project, case examples and
the homework response rate.

Who took part in a meeting: the people marked present when anyone was (attendance is known), else
the people registered for it who did not say they cannot come. A colleague sent in someone's place
counts as that place. Only meetings that have started count as held.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.features.evaluation.rules import Question
from bot.features.results.rules import HIGH_STEPS, MeetingResult, percent_half_up

REGISTERED = "registered"
MUNICIPALITY = "municipality"


@dataclass(frozen=True)
class RegistrationFact:
    person_id: int
    organisation: str
    """Display name: the municipality, or what "Annan organisation" people wrote."""
    organisation_kind: str
    status: str
    meeting_ids: frozenset[int]


@dataclass(frozen=True)
class AssignmentFact:
    title: str
    meeting_id: int | None
    deadline: datetime
    submitted_by: frozenset[int]


@dataclass(frozen=True)
class MeetingFacts:
    meeting_id: int
    number: int
    title: str
    starts_at: datetime
    present: frozenset[int]
    """People marked present; empty when nobody checked in (attendance unknown)."""
    absent: frozenset[int] = frozenset()
    """People registered for the meeting who said they cannot come."""
    substitutes: Mapping[int, int] = field(default_factory=dict)
    """Colleague sent in someone's place -> the place holder (counted as the holder's municipality)."""


@dataclass(frozen=True)
class MeetingFigures:
    number: int
    title: str
    starts_at: datetime
    held: bool
    registered: int
    participants: int
    attendance_known: bool
    absent: int = 0
    """Said they cannot come."""
    substitutes: int = 0
    """Colleagues who came (or were to come) in someone's place."""


@dataclass(frozen=True)
class OrganisationFigures:
    name: str
    municipality: bool
    registered: int
    per_meeting: tuple[int, ...]
    """Participants per held meeting, in meeting order."""
    people: int
    """Different people who took part in at least one meeting."""


@dataclass(frozen=True)
class HomeworkFigures:
    title: str
    expected: int
    answered: int
    rate_percent: int | None


@dataclass(frozen=True)
class QuestionShare:
    question: str
    answered: int
    share_percent: int | None
    """Share "i stor eller mycket stor utsträckning" over every shown meeting; None when none shown."""


@dataclass(frozen=True)
class EvaluationFigures:
    meetings: list[MeetingResult]
    project: list[QuestionShare]
    summary: str


@dataclass(frozen=True)
class ProjectReport:
    project_name: str
    generated_at: datetime
    municipalities_total: int
    municipalities_participating: list[str]
    municipalities_missing: list[str]
    meetings: list[MeetingFigures]
    organisations: list[OrganisationFigures]
    examples_received: int
    homework: list[HomeworkFigures]
    evaluation: EvaluationFigures

    @property
    def held(self) -> list[MeetingFigures]:
        return [meeting for meeting in self.meetings if meeting.held]

    @property
    def participants_range(self) -> tuple[int, int] | None:
        counts = [meeting.participants for meeting in self.held]
        return (min(counts), max(counts)) if counts else None

    @property
    def homework_total(self) -> HomeworkFigures:
        expected = sum(h.expected for h in self.homework)
        answered = sum(h.answered for h in self.homework)
        return HomeworkFigures("", expected, answered, percent_half_up(answered, expected))


@dataclass(frozen=True)
class ReportInput:
    project_name: str
    now: datetime
    municipalities: Sequence[str]
    registrations: Sequence[RegistrationFact]
    meetings: Sequence[MeetingFacts]
    examples_received: int
    assignments: Sequence[AssignmentFact]
    evaluation: EvaluationFigures


def build_report(data: ReportInput) -> ProjectReport:
    participants = {m.meeting_id: participants_of(m, data.registrations) for m in data.meetings}
    held = [m for m in data.meetings if m.starts_at <= data.now]
    organisations = organisation_figures(data.registrations, [participants[m.meeting_id] for m in held],
                                         data.municipalities)
    taking_part = {o.name for o in organisations if o.municipality and o.people}
    return ProjectReport(
        project_name=data.project_name,
        generated_at=data.now,
        municipalities_total=len(data.municipalities),
        municipalities_participating=[name for name in data.municipalities if name in taking_part],
        municipalities_missing=[name for name in data.municipalities if name not in taking_part],
        meetings=[_meeting_figures(m, data, participants[m.meeting_id]) for m in data.meetings],
        organisations=organisations,
        examples_received=data.examples_received,
        homework=homework_figures(data.assignments, data.registrations),
        evaluation=data.evaluation,
    )


def registered_for(meeting_id: int, registrations: Sequence[RegistrationFact]) -> set[int]:
    return {r.person_id for r in registrations if r.status == REGISTERED and meeting_id in r.meeting_ids}


def participants_of(meeting: MeetingFacts, registrations: Sequence[RegistrationFact]) -> set[int]:
    """Those present when attendance is known, otherwise those registered for the meeting who did not
    say they cannot come, and the places a colleague took. A colleague counts as the place holder
    (so as the holder's municipality); a place counts once."""
    if meeting.present:
        return {meeting.substitutes.get(p, p) for p in meeting.present}
    registered = registered_for(meeting.meeting_id, registrations)
    return (registered - meeting.absent) | (set(meeting.substitutes.values()) & registered)


def _meeting_figures(meeting: MeetingFacts, data: ReportInput, participants: set[int]) -> MeetingFigures:
    held = meeting.starts_at <= data.now
    return MeetingFigures(meeting.number, meeting.title, meeting.starts_at, held,
                          len(registered_for(meeting.meeting_id, data.registrations)),
                          len(participants) if held else 0, bool(meeting.present), len(meeting.absent),
                          len(meeting.substitutes))


def organisation_figures(registrations: Sequence[RegistrationFact], held: Sequence[set[int]],
                         municipalities: Sequence[str]) -> list[OrganisationFigures]:
    """Every municipality (those with no one too: they are the ones missing), then other
    organisations that took part or registered."""
    organisation_of = {registration.person_id: registration for registration in registrations}
    names = list(municipalities) + sorted({r.organisation for r in registrations} - set(municipalities))
    figures = []
    for name in names:
        members = {p for p, r in organisation_of.items() if r.organisation == name}
        registered = sum(1 for r in registrations if r.organisation == name and r.status == REGISTERED)
        per_meeting = tuple(len(members & present) for present in held)
        people = len(members & set().union(*held)) if held else 0
        if name in municipalities or registered or people:
            figures.append(OrganisationFigures(name, name in municipalities, registered, per_meeting, people))
    return figures


def homework_figures(assignments: Sequence[AssignmentFact],
                     registrations: Sequence[RegistrationFact]) -> list[HomeworkFigures]:
    """Answered out of those expected: people registered for the assignment's meeting (or for the
    project, when the homework belongs to no meeting)."""
    figures = []
    for assignment in assignments:
        if assignment.meeting_id is None:
            expected = {r.person_id for r in registrations if r.status == REGISTERED}
        else:
            expected = registered_for(assignment.meeting_id, registrations)
        answered = len(expected & assignment.submitted_by)
        figures.append(HomeworkFigures(assignment.title, len(expected), answered,
                                       percent_half_up(answered, len(expected))))
    return figures


def project_shares(results: Sequence[MeetingResult], questions: Sequence[Question]) -> list[QuestionShare]:
    """Per scale question, every shown answer across the meetings pooled (each meeting is already
    above the anonymity threshold, so the pool is too)."""
    shares = []
    for question in (q for q in questions if q.kind == "scale"):
        summaries = [s for r in results if r.shown and (s := r.scale(question.key)) is not None and s.shown]
        answered = sum(s.answered for s in summaries)
        high = sum(s.counts[step - 1] for s in summaries for step in HIGH_STEPS)
        shares.append(QuestionShare(question.text, answered, percent_half_up(high, answered)))
    return shares
