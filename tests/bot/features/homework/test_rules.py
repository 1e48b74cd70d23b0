"""The rules of homework: a valid task and answer, the reminder, the compilation and late answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.input_rules import FormInvalid
from bot.features.homework.rules import (
    MeetingChoice,
    answers_open,
    compilation_time,
    nudge_time,
    parse_answer,
    parse_task,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
PAST = MeetingChoice(1, NOW - timedelta(days=7))
NEXT = MeetingChoice(2, datetime(2027, 3, 20, 9, 0, tzinfo=UTC))
TASK = {"meeting_id": "2", "title": "Kartlägg er energiplanering", "instructions": "Två sidor räcker.",
        "deadline_date": "2027-03-18", "deadline_time": "12:00"}


def test_a_good_task() -> None:
    form = parse_task(TASK, [PAST, NEXT], STOCKHOLM, NOW)
    assert form.meeting_id == 2 and form.title == "Kartlägg er energiplanering"
    assert form.deadline == datetime(2027, 3, 18, 11, 0, tzinfo=UTC)


@pytest.mark.parametrize(("change", "keys"), [
    ({"meeting_id": "1"}, ["input.meeting_unknown"]),
    ({"meeting_id": "99"}, ["input.meeting_unknown"]),
    ({"meeting_id": True}, ["input.meeting_unknown"]),
    ({"title": ""}, ["input.missing"]),
    ({"deadline_date": "2027-03-21"}, ["input.deadline_after_meeting"]),
    ({"deadline_date": "2027-02-01"}, ["input.deadline_past"]),
    ({"instructions": "x" * 4001, "deadline_date": ""}, ["input.too_long", "input.deadline_missing"]),
])
def test_task_problems(change: dict[str, object], keys: list[str]) -> None:
    with pytest.raises(FormInvalid) as raised:
        parse_task({**TASK, **change}, [PAST, NEXT], STOCKHOLM, NOW)
    assert [p.key for p in raised.value.problems] == keys


def test_an_answer_needs_text_and_takes_links() -> None:
    answer = parse_answer({"answer": "Vi har en plan.\n\nMen ingen budget.", "links": "www.falun.se/plan"})
    assert answer.text == "Vi har en plan.\n\nMen ingen budget."
    assert answer.links == ("https://www.falun.se/plan",)
    with pytest.raises(FormInvalid) as raised:
        parse_answer({"answer": " ", "links": "inte en länk"})
    assert [p.key for p in raised.value.problems] == ["input.missing", "input.link_invalid"]


def test_the_reminder_comes_a_day_before_the_deadline() -> None:
    deadline = NOW + timedelta(days=5)
    assert nudge_time(NOW, deadline) == deadline - timedelta(days=1)
    assert nudge_time(NOW, NOW + timedelta(hours=20)) == NOW + timedelta(hours=6)
    assert nudge_time(NOW, NOW + timedelta(hours=5)) is None


def test_the_compilation_comes_before_the_meeting_and_not_before_the_deadline() -> None:
    meeting = NEXT.starts_at
    assert compilation_time(meeting - timedelta(days=5), meeting) == meeting - timedelta(days=1)
    assert compilation_time(meeting - timedelta(hours=3), meeting) == meeting - timedelta(hours=3)
    assert compilation_time(meeting + timedelta(hours=3), meeting) == meeting
    assert compilation_time(meeting, None) == meeting


def test_late_answers_count_until_the_meeting_starts() -> None:
    deadline, meeting = NOW, NOW + timedelta(days=2)
    assert answers_open(deadline, meeting, NOW + timedelta(days=1))
    assert not answers_open(deadline, meeting, meeting)
    assert answers_open(deadline, None, NOW - timedelta(seconds=1))
    assert not answers_open(deadline, None, NOW)
