"""Every card builder that shows people's text escapes it (issue 13): a name, free text, title or
organisation written as Markdown (a link, emphasis, a heading, a list, a tag) shows as typed, never as
the bot's own link or formatting. Each builder gets the hostile string in every text field it shows."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import bot.features.alumni.cards as alumni
import bot.features.attendance.cards as attendance
import bot.features.coordinators.cards as coordinators
import bot.features.evaluation.cards as evaluation
import bot.features.examples.cards as examples
import bot.features.homework.cards as homework
import bot.features.messages.cards as messages
import bot.features.projects.cards as projects
import bot.features.registration.cards as registration
import bot.features.registration.coordinator_cards as coordinator
import bot.features.reminders.cards as reminder
import bot.features.results.cards as results
import bot.features.schedule.cards as schedule
import bot.features.triads.cards as triads
from bot.core.markdown import link_to, literal
from bot.features.attendance.service import AttendanceSheet, ListedParticipant
from bot.features.evaluation.rules import DEFAULT_QUESTIONS
from bot.features.evaluation.service import ProjectResults
from bot.features.examples.who_knows import Found
from bot.features.homework.service import Answered, Compilation, Task
from bot.features.registration.rules import Status
from bot.features.results.rules import AnswerData, MeetingAnswers, summarise_project
from bot.features.triads.service import Announcement, Group, Proposal
from bot.outbox.addresses import person_address
from storage.alumni import ReplyRow
from storage.examples import ExampleEntry
from storage.expertise import ListedPerson, SharedExample
from storage.models import Assignment, CaseExample, Meeting, Organisation, Project, Registration, Submission
from storage.outbox import DeliveryStatus
from storage.participants import Participant
from storage.registrations import OrganisationCount, ProjectOverview
from storage.triads import Member

HOSTILE = ("[Bekräfta din plats här](https://evil.example/x) **fet** _kursiv_ `kod` <b>tagg</b>"
           " www.evil.example\n# Rubrik\n- punkt\n1. nummer")
"""What a hostile participant types as a name, a free text or an organisation."""
RENDERED_AS_MARKDOWN = (
    re.compile(r"(?<!\\)\[Bekräfta"), re.compile(r"(?<!\\)\]\(https://evil"), re.compile(r"(?<!\\)\*\*fet"),
    re.compile(r"(?<!\\)_kursiv"), re.compile(r"(?<!\\)`kod"), re.compile(r"(?<!\\)<b>"),
    re.compile(r"https?://evil"), re.compile(r"evil\.example"), re.compile(r"(?m)^\s*# Rubrik"),
    re.compile(r"(?m)^\s*- punkt"), re.compile(r"(?m)^\s*1\. nummer"),
)
WHEN = datetime(2027, 5, 3, 8, 0, tzinfo=UTC)


def rendered_texts(node: Any) -> list[str]:
    """What Teams renders as Markdown: TextBlock texts and FactSet titles and values."""
    found: list[str] = []
    if isinstance(node, dict):
        if node.get("type") == "TextBlock":
            found.append(str(node.get("text", "")))
        if node.get("type") == "FactSet":
            found += [str(fact.get(part, "")) for fact in node.get("facts", []) for part in ("title", "value")]
        for value in node.values():
            found += rendered_texts(value)
    elif isinstance(node, list):
        for item in node:
            found += rendered_texts(item)
    return found


def assert_literal(built: dict[str, Any] | str) -> None:
    texts = rendered_texts(built) if isinstance(built, dict) else [built]
    shown = [text for text in texts if "Bekräfta din plats här" in text]
    assert shown, "the hostile text is not shown at all: the test would prove nothing"
    for text in texts:
        hits = [pattern.pattern for pattern in RENDERED_AS_MARKDOWN if pattern.search(text)]
        assert not hits, (hits, text)


def meeting() -> Meeting:
    return Meeting(id=7, number=1, title=HOSTILE, starts_at=WHEN, ends_at=WHEN + timedelta(hours=3), place=HOSTILE,
                   online_link="", programme=HOSTILE, uid="u-1", sequence=0)


def project() -> Project:
    return Project(id=3, slug="p", name=HOSTILE, quota_per_organisation=3, capacity=None, registration_deadline=None,
                   alumni_prompt="monthly", alumni_channel_id=None, contact="", calendar_token="t")


def example_entry() -> ExampleEntry:
    example = CaseExample(id=5, project_id=3, organisation_id=1, title=HOSTILE, theme=HOSTILE, challenge=HOSTILE,
                          actions=HOSTILE, result=HOSTILE, lessons=HOSTILE, contact=HOSTILE,
                          links="https://ok.example/a", sharing="project", status="submitted", review_note=HOSTILE)
    return ExampleEntry(example, HOSTILE, "annan", HOSTILE, HOSTILE)


def test_literal_escapes_every_markdown_construct() -> None:
    escaped = literal(HOSTILE)
    assert not [pattern.pattern for pattern in RENDERED_AS_MARKDOWN if pattern.search(escaped)]
    assert literal("Anna-Karin Öberg, Falu kommun") == "Anna-Karin Öberg, Falu kommun"
    assert literal("tisdag 3 maj kl. 10") == "tisdag 3 maj kl. 10"


def test_links_the_bot_makes_show_the_address_and_cannot_break_out() -> None:
    assert link_to("https://a.se/x_(y)") == r"[https\:\/\/a\.se/x\_(y)](https://a.se/x_%28y%29)"


BUILDERS: dict[str, Any] = {
    "registration form": lambda: registration.registration_form(3, HOSTILE, [], [], registration.Prefill(), False),
    "registration confirmation": lambda: registration.confirmation(
        HOSTILE, Status.WAITLISTED, 2, True, [registration.MeetingLine(1, HOSTILE, WHEN, HOSTILE)], "https://x/c"),
    "my registrations": lambda: registration.my_registrations([registration.MyRegistration(
        1, HOSTILE, Status.REGISTERED, HOSTILE, [registration.MeetingLine(1, HOSTILE, WHEN, HOSTILE)])]),
    "cancel confirmation": lambda: registration.cancel_confirmation(1, HOSTILE),
    "registration closed": lambda: registration.closed_text(project()),
    "registration closed meanwhile": lambda: registration.closed_text(project(), meanwhile=True),
    "alumni finish": lambda: alumni.finish_card(project(), 4),
    "alumni welcome": lambda: alumni.welcome_card(HOSTILE, 3, None),
    "alumni opt out": lambda: alumni.opt_out_card(HOSTILE, 3, True),
    "alumni prompt": lambda: alumni.prompt_card(1, HOSTILE, WHEN),
    "alumni digest": lambda: alumni.digest_card(HOSTILE, [ReplyRow(HOSTILE, HOSTILE, HOSTILE)]),
    "who knows": lambda: alumni.who_knows_card(HOSTILE, [Found(
        ListedPerson(1, HOSTILE, HOSTILE, HOSTILE, "", [SharedExample(HOSTILE, HOSTILE, HOSTILE, HOSTILE)]),
        [SharedExample(HOSTILE, HOSTILE, HOSTILE, HOSTILE)], False)]),
    "who knows, nobody": lambda: alumni.who_knows_card(HOSTILE, []),
    "alumni announcement preview": lambda: alumni.announce_preview_card(1, HOSTILE, [HOSTILE], 3),
    "alumni announcement": lambda: alumni.announcement_card([HOSTILE], HOSTILE),
    "alumni finished": lambda: alumni.finished_card(3, HOSTILE, "monthly", "alumni.finished_told", 4),
    "alumni prompt saved": lambda: alumni.prompt_saved_card(3, HOSTILE, "off"),
    "coordinators": lambda: coordinators.coordinators_card(1, [(2, HOSTILE)], [(5, "Erik")]),
    "registration preview": lambda: projects.registration_preview(
        3, HOSTILE, [registration.MeetingLine(1, HOSTILE, WHEN, HOSTILE)], [("falun", HOSTILE)]),
    "check-in": lambda: attendance.checkin_card(HOSTILE, meeting()),
    "checked in": lambda: attendance.checked_in_card(HOSTILE, meeting(), WHEN, True),
    "checked in (text)": lambda: attendance.checked_in_text(HOSTILE, meeting(), WHEN, True),
    "attendance list": lambda: attendance.attendance_card(
        AttendanceSheet(project(), meeting(), [ListedParticipant(1, HOSTILE, HOSTILE, True)]), [meeting()]),
    "registrations overview": lambda: coordinator.overview_card(project(), ProjectOverview(
        [OrganisationCount(HOSTILE, 1, 1)], [_waiting()], 1)),
    "settings saved": lambda: coordinator.settings_summary(project()),
    "evaluation": lambda: evaluation.evaluation_card(1, HOSTILE, 1, HOSTILE, DEFAULT_QUESTIONS, WHEN),
    "open evaluations": lambda: evaluation.open_list_card([(1, HOSTILE, 1, False, WHEN)]),
    "example request preview": lambda: examples.request_preview(3, {}, HOSTILE, WHEN, 4, ["Falu kommun"]),
    "example request": lambda: examples.request_message(1, HOSTILE, HOSTILE, WHEN, False),
    "example form": lambda: examples.example_form(3, HOSTILE, [], {}, None, None),
    "example submitted": lambda: examples.example_submitted(HOSTILE, True),
    "example": lambda: examples.example_card(example_entry()),
    "example in channel": lambda: examples.channel_post(example_entry()),
    "example review": lambda: examples.review_card(example_entry()),
    "example reviewed": lambda: examples.reviewed_card(example_entry(), examples.Decision.APPROVE, True),
    "example feedback": lambda: examples.feedback_card(example_entry(), "changes_requested"),
    "example search": lambda: examples.search_results([example_entry()], 1, HOSTILE),
    "homework form": lambda: homework.task_form(3, HOSTILE, [], WHEN.date()),
    "homework created": lambda: homework.task_created(HOSTILE, 3, None, WHEN, True),
    "homework task": lambda: homework.task_card(_task()),
    "homework list": lambda: homework.tasks_card(HOSTILE, [(_task(), 1, 2)]),
    "homework compilation": lambda: homework.compilation_card(Compilation(
        _task(), [Answered(_participant(), Submission(id=1, assignment_id=1, person_id=1, text=HOSTILE,
                                                      links="https://ok.example/a", updated_at=WHEN))],
        [_participant()])),
    "message compose": lambda: messages.compose_card(project(), [Organisation(key="falun", name="Falu kommun")], None),
    "message preview": lambda: messages.preview_card(1, HOSTILE, "alla", 3, "nu"),
    "message status": lambda: messages.status_card([DeliveryStatus(person_address(1), "sent", 1, "", WHEN)],
                                                   {person_address(1): HOSTILE}),
    "reminder": lambda: reminder.reminder_card(HOSTILE, meeting(), "1d", "https://x/c"),
    "meeting changed": lambda: reminder.update_card(HOSTILE, meeting(), "https://x/c"),
    "coordinator message": lambda: messages.broadcast_card(HOSTILE, HOSTILE),
    "results": lambda: results.results_card(3, HOSTILE, _results(), "https://x/charts"),
    "schedule": lambda: schedule.schedule_card(HOSTILE, [meeting()], "https://x/c", "schedule.title"),
    "triad proposal": lambda: triads.proposal_card(_proposal()),
    "triads confirmed": lambda: triads.confirmed_card(_proposal()),
    "triad announcement": lambda: triads.announcement_card(
        Announcement(HOSTILE, meeting(), 1, [Member(2, 1, HOSTILE, HOSTILE)], HOSTILE)),
}


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_card_shows_peoples_text_literally(name: str) -> None:
    assert_literal(BUILDERS[name]())


def _waiting() -> Registration:
    registration_row = Registration(id=1, name=HOSTILE, organisation_other=HOSTILE, queued_at=WHEN, status="waitlisted")
    registration_row.organisation = Organisation(key="annan", name="Annan organisation")
    return registration_row


def _task() -> Task:
    assignment = Assignment(id=1, project_id=3, title=HOSTILE, instructions=HOSTILE, deadline=WHEN)
    return Task(assignment, project(), meeting())


def _participant() -> Participant:
    return Participant(1, 3, HOSTILE, "", 1, "annan", HOSTILE, "other")


def _results() -> ProjectResults:
    answers = [AnswerData({"knowledge": 4, "contacts": 4, "support": 4, "valuable": HOSTILE}, "") for _ in range(3)]
    shown, trend = summarise_project([MeetingAnswers(1, HOSTILE, 3, answers)], DEFAULT_QUESTIONS, 3)
    return ProjectResults(shown, trend, "", DEFAULT_QUESTIONS, [], {})


def _proposal() -> Proposal:
    members = [Member(n, 1, HOSTILE, HOSTILE) for n in range(1, 4)]
    return Proposal(1, HOSTILE, meeting(), HOSTILE, False, [Group(1, members, False, False)])
