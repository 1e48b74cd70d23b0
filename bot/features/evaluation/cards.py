"""Evaluation cards: the 30-second questionnaire, the thank-you that replaces it, the list of
open evaluations, and the coordinator's results."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.core.cards import Card, card, heading, paragraph, submit
from bot.core.i18n import format_when, t
from bot.core.markdown import literal
from bot.features.evaluation.rules import MAX_FREE_TEXT, SCALE_STEPS, Question


def evaluation_card(evaluation_id: int, project_name: str, meeting_number: int, meeting_title: str,
                    questions: Sequence[Question], closes_at: datetime,
                    previous: Mapping[str, Any] | None = None, nudge: bool = False) -> Card:
    body: list[dict[str, Any]] = []
    if nudge:
        body.append(paragraph(t("evaluation.nudge"), weight="Bolder", color="Accent"))
    body += [
        heading(t("evaluation.title", number=meeting_number)),
        paragraph(literal(f"{project_name} · {meeting_title}"), isSubtle=True),
        paragraph(t("evaluation.intro", closes=format_when(closes_at)), size="Small"),
    ]
    for question in questions:
        body.append(_scale(question, previous) if question.kind == "scale" else _free_text(question, previous))
    label = "evaluation.submit_change" if previous else "evaluation.submit"
    return card(body, [submit(t(label), "evaluation_answer", evaluation_id=evaluation_id)])


def _scale(question: Question, previous: Mapping[str, Any] | None) -> dict[str, Any]:
    # A compact choice (one row each) rather than five radio buttons a question: the whole card then
    # fits one phone screen (about 340 px wide), where fifteen radio rows took two.
    element: dict[str, Any] = {
        "type": "Input.ChoiceSet", "id": question.key, "label": question.text, "style": "compact",
        "placeholder": t("evaluation.scale_placeholder", steps=SCALE_STEPS),
        "isRequired": question.required, "errorMessage": t("evaluation.scale_missing", question=question.text),
        "choices": [{"title": t("evaluation.scale_choice", step=step, text=t(f"scale.{step}")), "value": str(step)}
                    for step in range(1, SCALE_STEPS + 1)],
    }
    if previous and question.key in previous:
        element["value"] = str(previous[question.key])
    return element


def _free_text(question: Question, previous: Mapping[str, Any] | None) -> dict[str, Any]:
    # One line each (it still takes long answers): three multi-line boxes would push the card past a screen.
    return {"type": "Input.Text", "id": question.key, "label": question.text, "maxLength": MAX_FREE_TEXT,
            "placeholder": t("evaluation.free_text_placeholder"), "spacing": "Small",
            "value": str((previous or {}).get(question.key, ""))}


def thanks_card(evaluation_id: int, closes_at: datetime, first: bool) -> Card:
    text = t("evaluation.thanks" if first else "evaluation.thanks_changed")
    return card([paragraph(text, weight="Bolder", color="Good"),
                 paragraph(t("evaluation.can_change", closes=format_when(closes_at)), size="Small")],
                [submit(t("evaluation.change"), "evaluation_open", evaluation_id=evaluation_id)])


def open_list_card(items: Sequence[tuple[int, str, int, bool, datetime]]) -> Card:
    """(evaluation id, project name, meeting number, answered, closes at) per open evaluation."""
    if not items:
        return card([heading(t("evaluation.list_title")), paragraph(t("evaluation.none_open"))])
    # An answered evaluation offers changing the answer, not answering it.
    actions = [submit(t("evaluation.change_button" if answered else "evaluation.open_button", number=number,
                        project=project), "evaluation_open", evaluation_id=evaluation_id)
               for evaluation_id, project, number, answered, _ in items[:5]]
    lines = [paragraph(t("evaluation.list_line", number=number, project=literal(project),
                         state=t("evaluation.answered" if answered else "evaluation.not_answered"),
                         closes=format_when(closes)), spacing="Small")
             for _, project, number, answered, closes in items]
    return card([heading(t("evaluation.list_title")), *lines], actions)
