"""Alumni cards: finishing a project, the 1:1 notice with the opt-out button, the exchange prompt
with its reply box and the digest, `vem kan` answers, and coordinators' announcements."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.core.cards import Card, card, heading, largest_that_fits, paragraph, submit
from bot.core.i18n import format_when, t
from bot.core.markdown import literal
from bot.features.alumni.rules import MAX_ANNOUNCEMENT, MAX_REPLY, MONTHLY, OFF
from bot.features.examples.who_knows import Found
from storage.alumni import ReplyRow
from storage.models import Project


def finish_card(project: Project, participants: int) -> Card:
    channel = t("alumni.channel_linked") if project.alumni_channel_id else t("alumni.channel_missing")
    body = [
        heading(t("alumni.finish_title", project=literal(project.name))),
        paragraph(t("alumni.finish_body", count=participants)),
        paragraph(channel, isSubtle=True),
        prompt_choice(project.alumni_prompt),
    ]
    return card(body, [submit(t("alumni.finish_confirm"), "alumni_finish", project_id=project.id)])


def prompt_choice(current: str) -> dict[str, Any]:
    return {"type": "Input.ChoiceSet", "id": "prompt", "label": t("alumni.prompt_setting"), "style": "expanded",
            "value": current if current in (MONTHLY, OFF) else MONTHLY, "isRequired": True,
            "errorMessage": t("alumni.prompt_missing"),
            "choices": [{"title": t("alumni.prompt_monthly"), "value": MONTHLY},
                        {"title": t("alumni.prompt_off"), "value": OFF}]}


def welcome_card(project_name: str, project_id: int, channel_url: str | None) -> Card:
    body = [heading(t("alumni.welcome_title", project=literal(project_name))), paragraph(t("alumni.welcome_body")),
            paragraph(t("alumni.welcome_opt_out"), isSubtle=True, size="Small")]
    actions: list[dict[str, Any]] = []
    if channel_url:
        actions.append({"type": "Action.OpenUrl", "title": t("alumni.open_channel"), "url": channel_url})
    actions.append(submit(t("alumni.opt_out"), "alumni_opt_out", project_id=project_id))
    return card(body, actions)


def opt_out_card(project_name: str, project_id: int, opted_out: bool) -> Card:
    if opted_out:
        return card([paragraph(t("alumni.opted_out", project=literal(project_name)))],
                    [submit(t("alumni.opt_in"), "alumni_opt_in", project_id=project_id)])
    return card([paragraph(t("alumni.opted_in", project=literal(project_name)))],
                [submit(t("alumni.opt_out"), "alumni_opt_out", project_id=project_id)])


def prompt_card(prompt_id: int, question: str, digest_at: datetime) -> Card:
    body = [
        heading(t("alumni.prompt_title")),
        paragraph(literal(question)),
        {"type": "Input.Text", "id": "reply", "label": t("alumni.reply_label"), "isMultiline": True,
         "maxLength": MAX_REPLY, "isRequired": True, "errorMessage": t("alumni.reply_empty")},
        paragraph(t("alumni.prompt_digest", when=format_when(digest_at)), isSubtle=True, size="Small"),
    ]
    return card(body, [submit(t("alumni.reply_submit"), "alumni_reply", prompt_id=prompt_id)])


def digest_card(question: str, replies: Sequence[ReplyRow]) -> Card:
    """The replies, as many as keep the card within Teams' message size (it says how many are left out)."""
    return largest_that_fits(lambda shown: _digest_card(question, replies, shown), len(replies))


def _digest_card(question: str, replies: Sequence[ReplyRow], shown: int) -> Card:
    body = [heading(t("alumni.digest_title")), paragraph(literal(question), isSubtle=True),
            paragraph(t("alumni.digest_count", count=len(replies)))]
    for reply in replies[:shown]:
        who = literal(f"{reply.name}, {reply.organisation}" if reply.organisation else reply.name)
        body.append({"type": "Container", "separator": True, "items": [
            paragraph(who, weight="Bolder"), paragraph(literal(reply.text), spacing="None")]})
    if shown < len(replies):
        body.append(paragraph(t("alumni.digest_more", count=len(replies) - shown), isSubtle=True))
    return card(body)


def who_knows_card(topic: str, found: Sequence[Found]) -> Card:
    if not found:
        return card([paragraph(t("whoknows.none", topic=literal(topic))), paragraph(t("whoknows.hint"), isSubtle=True)])
    return largest_that_fits(lambda shown: _who_knows_card(topic, found, shown), len(found))


def _who_knows_card(topic: str, found: Sequence[Found], shown: int) -> Card:
    body: list[dict[str, Any]] = [heading(t("whoknows.title", topic=literal(topic)))]
    for item in found[:shown]:
        person = item.person
        lines = [paragraph(literal(f"{person.name}, {person.organisation}"), weight="Bolder")]
        if person.role_title:
            lines.append(paragraph(literal(person.role_title), spacing="None", isSubtle=True))
        lines += [paragraph(t("whoknows.example", title=literal(e.title), theme=literal(e.theme or "–")),
                            spacing="None") for e in item.examples[:3]]
        contact = next((e.contact for e in item.examples if e.contact), "") or person.email
        if contact:
            lines.append(paragraph(t("whoknows.contact", contact=literal(contact)), spacing="None", size="Small"))
        body.append({"type": "Container", "separator": True, "items": lines})
    if shown < len(found):
        body.append(paragraph(t("whoknows.more", count=len(found) - shown), isSubtle=True, size="Small"))
    body.append(paragraph(t("whoknows.consent_note"), isSubtle=True, size="Small"))
    return card(body)


def announce_card(projects: Sequence[Project]) -> Card:
    body = [
        heading(t("announce.title")),
        {"type": "Input.ChoiceSet", "id": "projects", "label": t("announce.projects"), "isMultiSelect": True,
         "style": "expanded", "isRequired": True, "errorMessage": t("announce.projects_missing"),
         "value": ",".join(str(p.id) for p in projects) if len(projects) == 1 else "",
         "choices": [{"title": p.name, "value": str(p.id)} for p in projects]},
        {"type": "Input.Text", "id": "text", "label": t("announce.text"), "isMultiline": True,
         "maxLength": MAX_ANNOUNCEMENT, "isRequired": True, "errorMessage": t("compose.text_missing")},
    ]
    return card(body, [submit(t("compose.preview"), "alumni_announce_preview")])


def announce_preview_card(broadcast_id: int, text: str, project_names: Sequence[str], count: int) -> Card:
    body = [
        heading(t("preview.title")),
        paragraph(t("announce.audience", projects=literal(", ".join(project_names)), count=count)),
        {"type": "Container", "style": "emphasis", "items": [paragraph(literal(text))]},
    ]
    return card(body, [submit(t("preview.send"), "alumni_announce_confirm", broadcast_id=broadcast_id),
                       submit(t("preview.cancel"), "alumni_announce_cancel", broadcast_id=broadcast_id)])


def announcement_card(project_names: Sequence[str], text: str) -> Card:
    return card([paragraph(t("announce.from", projects=literal(", ".join(project_names))), isSubtle=True, size="Small"),
                 paragraph(literal(text))])


def finished_card(project_id: int, project_name: str, prompt: str, told_key: str, participants: int) -> Card:
    """What replaces the finish card: the project is in its alumni phase, who was told, and the switch for
    the monthly exchange prompt."""
    body = [paragraph(t("alumni.finished", project=literal(project_name))), paragraph(t(told_key, count=participants))]
    return card(body, [_prompt_toggle(project_id, prompt)])


def prompt_saved_card(project_id: int, project_name: str, prompt: str) -> Card:
    return card([paragraph(t(f"alumni.prompt_saved.{prompt}", project=literal(project_name)))],
                [_prompt_toggle(project_id, prompt)])


def _prompt_toggle(project_id: int, current: str) -> dict[str, Any]:
    other = "off" if current == "monthly" else "monthly"
    return submit(t(f"alumni.prompt_switch.{other}"), "alumni_prompt_setting", project_id=project_id, prompt=other)
