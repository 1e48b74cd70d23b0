"""The evaluation after every meeting, as plain rules: the region's default questions, the
five-step scale, and what a valid answer is (validated again on the server: cards can be tampered)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from bot.core.input_rules import clean_text

SCALE_STEPS = 5
MAX_FREE_TEXT = 2000
DEFAULT_DELAY = timedelta(minutes=30)
DEFAULT_OPEN_FOR = timedelta(days=7)
DEFAULT_NUDGE_AFTER = timedelta(days=2)
DEFAULT_THRESHOLD = 3
"""Results are shown only when at least this many have answered (and per municipality likewise)."""


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    kind: Literal["scale", "text"]
    required: bool = False


DEFAULT_QUESTIONS: tuple[Question, ...] = (
    Question("knowledge", "Träffen gav mig nya kunskaper", "scale", True),
    Question("contacts", "Träffen gav mig nya eller fördjupade kontakter", "scale", True),
    Question("support", "Träffen gav mig praktiskt stöd i mitt arbete", "scale", True),
    Question("valuable", "Vad var mest värdefullt?", "text"),
    Question("improve", "Vad kan förbättras?", "text"),
    Question("wishes", "Teman eller önskemål inför kommande träffar", "text"),
)


def questions_to_json(questions: Sequence[Question]) -> str:
    return json.dumps([asdict(q) for q in questions], ensure_ascii=False)


def questions_from_json(text: str | None) -> tuple[Question, ...]:
    if not text:
        return DEFAULT_QUESTIONS
    return validate_questions(tuple(Question(**item) for item in json.loads(text)))


def validate_questions(questions: tuple[Question, ...]) -> tuple[Question, ...]:
    keys = [q.key for q in questions]
    if not questions or len(set(keys)) != len(keys):
        raise ValueError("the evaluation needs questions with unique keys")
    for question in questions:
        if question.kind not in ("scale", "text") or not question.text.strip() or not question.key.isidentifier():
            raise ValueError(f"question {question.key!r} is not a scale or text question with a text")
    return questions


@dataclass(frozen=True)
class AnswerProblem:
    key: str
    """Catalog key of the message."""
    question: str


class AnswerInvalid(ValueError):
    def __init__(self, problems: list[AnswerProblem]) -> None:
        super().__init__(", ".join(f"{p.key}:{p.question}" for p in problems))
        self.problems = problems


def parse_answer(values: Mapping[str, Any], questions: Sequence[Question]) -> dict[str, int | str]:
    """Scale answers as 1..5 and free texts cleaned; anything out of range or missing is refused
    as a whole (nothing is stored from a tampered submit)."""
    answer: dict[str, int | str] = {}
    problems: list[AnswerProblem] = []
    for question in questions:
        raw = values.get(question.key)
        if question.kind == "scale":
            step = _step(raw)
            if step is None and (question.required or raw not in (None, "")):
                problems.append(AnswerProblem("evaluation.scale_invalid" if raw not in (None, "")
                                              else "evaluation.scale_missing", question.text))
            elif step is not None:
                answer[question.key] = step
        else:
            text = clean_text(raw)
            if len(text) > MAX_FREE_TEXT:
                problems.append(AnswerProblem("evaluation.text_too_long", question.text))
            elif text:
                answer[question.key] = text
    if problems:
        raise AnswerInvalid(problems)
    return answer


def _step(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    text = str(raw).strip() if raw is not None else ""
    if text.isdigit() and 1 <= int(text) <= SCALE_STEPS and len(text) == 1:
        return int(text)
    return None


def evaluation_window(ends_at: datetime, delay: timedelta = DEFAULT_DELAY,
                      open_for: timedelta = DEFAULT_OPEN_FOR) -> tuple[datetime, datetime]:
    """(opens, closes): the card goes out ``delay`` after the meeting ends and can be answered
    (and changed) until it closes."""
    opens = ends_at + delay
    return opens, opens + open_for
