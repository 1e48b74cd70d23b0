"""Cards for free text: the friendly answer to "hej" and "tack", the offer to send a question to
the coordinators, the question as the coordinators get it (with an answer field) and the answer as
the participant gets it. People's text is escaped (``literal``)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.cards import Card, card, heading, paragraph, submit
from bot.core.commands import Role
from bot.core.help_card import main_actions
from bot.core.i18n import t
from bot.core.markdown import literal
from bot.features.questions.rules import MAX_ANSWER, SmallTalk, excerpt


def small_talk_card(kind: SmallTalk, name: str, role: Role, in_channel: bool) -> Card:
    first = name.split(" ")[0] if name else ""
    greeting = t(f"smalltalk.{kind.value}", name=literal(first)) if first else t(f"smalltalk.{kind.value}_plain")
    offer = t("smalltalk.offer_channel" if in_channel else "smalltalk.offer")
    return card([paragraph(greeting, weight="Bolder"), paragraph(offer)], main_actions(role))


def question_offer(question: str) -> Card:
    return card(
        [paragraph(t("question.offer"), weight="Bolder"), paragraph(literal(question), isSubtle=True),
         paragraph(t("question.offer_hint"), size="Small")],
        [submit(t("question.send"), "question_send", question=question),
         submit(t("question.not_now"), "question_drop")],
    )


def question_sent(question: str, reached: int) -> Card:
    key = "question.sent" if reached else "question.nobody"
    return card([paragraph(t(key), weight="Bolder"), paragraph(literal(question), isSubtle=True)])


def question_dropped() -> Card:
    return card([paragraph(t("question.dropped"))])


def question_for_coordinators(asker: str, organisation: str, projects: Sequence[str], question: str,
                              person_id: int) -> Card:
    who = literal(f"{asker}, {organisation}" if organisation else asker)
    body = [heading(t("question.title")), paragraph(t("question.from", who=who), weight="Bolder")]
    if projects:
        body.append(paragraph(t("question.projects", projects=literal(", ".join(projects))), isSubtle=True,
                              spacing="None"))
    body += [
        paragraph(literal(question)),
        {"type": "Input.Text", "id": "answer", "label": t("question.answer_label"), "isMultiline": True,
         "maxLength": MAX_ANSWER, "placeholder": t("question.answer_placeholder"), "isRequired": True,
         "errorMessage": t("question.answer_missing")},
    ]
    return card(body, [submit(t("question.answer"), "question_answer", person_id=person_id,
                              asker=asker, question=excerpt(question))])


def answer_for_participant(coordinator: str, question: str, answer: str) -> Card:
    return card([
        heading(t("question.answer_title")),
        paragraph(t("question.answer_from", name=literal(coordinator) or t("question.a_coordinator")),
                  isSubtle=True),
        paragraph(t("question.your_question", question=literal(question)), size="Small", isSubtle=True),
        paragraph(literal(answer)),
        paragraph(t("question.ask_more"), size="Small"),
    ])


def answered(asker: str, question: str, answer: str) -> Card:
    return card([
        paragraph(t("question.answered", name=literal(asker)), weight="Bolder"),
        paragraph(t("question.the_question", question=literal(question)), size="Small", isSubtle=True),
        paragraph(literal(answer)),
    ])
