"""The welcome card shown when the app is installed in a chat or a team."""

from __future__ import annotations

from bot.core.cards import Card, card, heading, paragraph, submit
from bot.core.i18n import t


def welcome_card(in_channel: bool) -> Card:
    body = [heading(t("welcome.title")), paragraph(t("welcome.body"))]
    if in_channel:
        body.append(paragraph(t("welcome.channel_hint"), isSubtle=True))
    body.append(paragraph(t("welcome.help_hint")))
    return card(body, [submit(t("welcome.action.help"), "help")])
