"""Triad cards: the coordinator's proposal (move people, set the question, confirm), the
confirmed groups, and the 1:1 announcement each person gets."""

from __future__ import annotations

from typing import Any

from bot.core.cards import Card, card, heading, paragraph, submit
from bot.core.i18n import format_span, t
from bot.core.markdown import literal
from bot.features.reminders.cards import meeting_details
from bot.features.triads.service import QUESTION_MAX, Announcement, Group, Proposal
from storage.triads import Member


def proposal_card(proposal: Proposal, notice: str | None = None) -> Card:
    """The proposed groups with a question field, a move control and the Confirm button. Nothing
    is required client-side: Confirm must not demand a person to move (the server validates)."""
    body: list[dict[str, Any]] = []
    if notice:
        body.append(paragraph(notice, color="Good", weight="Bolder"))
    body += [
        heading(t("triads.proposal_title", number=proposal.meeting.number)),
        _meeting_line(proposal),
        paragraph(t("triads.summary", count=proposal.people, groups=len(proposal.groups)), isSubtle=True),
        *(_group(group) for group in proposal.groups),
        {"type": "Input.Text", "id": "question", "label": t("triads.question_label"), "value": proposal.question,
         "isMultiline": True, "maxLength": QUESTION_MAX},
        *_move_inputs(proposal),
    ]
    actions = [submit(t("triads.move"), "triads_move", round_id=proposal.round_id),
               submit(t("triads.confirm"), "triads_confirm", round_id=proposal.round_id)]
    return card(body, actions)


def confirmed_card(proposal: Proposal) -> Card:
    """Replaces the proposal once confirmed, so its buttons cannot be pressed again."""
    return card([
        heading(t("triads.confirmed_title", number=proposal.meeting.number)),
        _meeting_line(proposal),
        paragraph(t("triads.confirmed_text", count=proposal.people), color="Good"),
        *(_group(group, warnings=False) for group in proposal.groups),
        paragraph(t("triads.question_heading"), weight="Bolder"),
        paragraph(literal(proposal.question)),
    ])


def announcement_card(announcement: Announcement) -> Card:
    return card([
        heading(t("triads.announcement_title", number=announcement.meeting.number)),
        paragraph(literal(announcement.project_name), isSubtle=True),
        *meeting_details(announcement.meeting),
        paragraph(t("triads.announcement_group", group=announcement.group), weight="Bolder"),
        *(paragraph(_member_line(m), spacing="Small") for m in announcement.others),
        paragraph(t("triads.question_heading"), weight="Bolder"),
        paragraph(literal(announcement.question)),
    ])


def _meeting_line(proposal: Proposal) -> dict[str, Any]:
    meeting = proposal.meeting
    return paragraph(t("triads.meeting_line", project=literal(proposal.project_name), title=literal(meeting.title),
                       when=format_span(meeting.starts_at, meeting.ends_at)))


def _group(group: Group, warnings: bool = True) -> dict[str, Any]:
    items = [paragraph(t("triads.group_title", number=group.number), weight="Bolder")]
    items += [paragraph(_member_line(m), spacing="Small") for m in group.members]
    if warnings and group.same_organisation:
        items.append(paragraph(t("triads.same_organisation"), color="Warning", size="Small"))
    if warnings and group.repeats:
        items.append(paragraph(t("triads.repeats"), color="Warning", size="Small"))
    return {"type": "Container", "style": "emphasis", "items": items}


def _member_line(member: Member) -> str:
    if not member.organisation:
        return literal(member.name)
    return t("triads.member_line", name=literal(member.name), organisation=literal(member.organisation))


def _move_inputs(proposal: Proposal) -> list[dict[str, Any]]:
    people = [{"title": t("triads.move_person_choice", name=m.name, group=g.number), "value": str(m.person_id)}
              for g in proposal.groups for m in g.members]
    groups = [{"title": t("triads.group_title", number=g.number), "value": str(g.number)} for g in proposal.groups]
    return [
        paragraph(t("triads.move_heading"), weight="Bolder"),
        {"type": "ColumnSet", "columns": [
            {"type": "Column", "width": "stretch", "items": [
                {"type": "Input.ChoiceSet", "id": "person", "label": t("triads.move_person"), "choices": people,
                 "placeholder": t("triads.move_person_placeholder")}]},
            {"type": "Column", "width": "stretch", "items": [
                {"type": "Input.ChoiceSet", "id": "group", "label": t("triads.move_group"), "choices": groups,
                 "placeholder": t("triads.move_group_placeholder")}]},
        ]},
    ]
