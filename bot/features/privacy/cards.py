"""Cards for `mina uppgifter`: what is stored, why and for how long, a download link, and erasure."""

from __future__ import annotations

from typing import Any

from bot.core.cards import Card, card, heading, paragraph, submit
from bot.core.i18n import t
from storage.privacy import PersonalData


def retention_period(days: int) -> str:
    """ "två år" for 730 days, "90 dagar" otherwise."""
    if days % 365 == 0:
        years = days // 365
        return t("privacy.period_years", years=_in_words(years)) if years > 1 else t("privacy.period_year")
    return t("privacy.period_days", days=days)


def privacy_card(data: PersonalData, download_url: str, retention_days: int) -> Card:
    open_answers = sum(1 for e in data.evaluations if e.own_answer is not None)
    facts = [
        (t("privacy.fact.person"), t("privacy.fact.person_value")),
        (t("privacy.fact.registrations"), str(len(data.registrations))),
        (t("privacy.fact.attendance"), str(len(data.attendance))),
        (t("privacy.fact.evaluations"), t("privacy.fact.evaluations_value", linked=open_answers)),
        (t("privacy.fact.submissions"), str(len(data.submissions))),
        (t("privacy.fact.examples"), str(len(data.examples))),
        (t("privacy.fact.conversations"), str(len(data.conversations))),
    ]
    body: list[dict[str, Any]] = [
        heading(t("privacy.title")),
        paragraph(t("privacy.why")),
        {"type": "FactSet", "facts": [{"title": title, "value": value} for title, value in facts]},
        paragraph(t("privacy.retention", period=retention_period(retention_days))),
        paragraph(t("privacy.download_hint"), isSubtle=True, size="Small"),
    ]
    actions = [
        {"type": "Action.OpenUrl", "title": t("privacy.download"), "url": download_url},
        submit(t("privacy.erase"), "privacy_erase_ask"),
    ]
    return card(body, actions)


def erase_confirmation() -> Card:
    body = [heading(t("privacy.confirm_title")), paragraph(t("privacy.confirm_text"))]
    actions = [
        {**submit(t("privacy.confirm_yes"), "privacy_erase_confirm"), "style": "destructive"},
        submit(t("privacy.confirm_no"), "privacy_erase_cancel"),
    ]
    return card(body, actions)


def notice(text: str) -> Card:
    return card([paragraph(text)])


def _in_words(number: int) -> str:
    words = t("privacy.numbers").split(",")
    return words[number] if number < len(words) else str(number)
