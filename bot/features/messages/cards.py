"""Cards for coordinators' messages: compose, preview with audience count, delivery status, the
preview of a `påminn`, and the message itself as the outbox sends it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from bot.core.cards import Card, card, heading, paragraph, submit
from bot.core.i18n import format_span, format_when, t
from bot.core.markdown import literal
from storage.models import Meeting, Organisation, Project
from storage.outbox import DeliveryStatus

MAX_MESSAGE = 2000


def compose_card(project: Project, organisations: Sequence[Organisation], next_meeting: Meeting | None) -> Card:
    choices = [
        {"title": t("audience.channel"), "value": "channel"},
        {"title": t("audience.registered"), "value": "registered"},
        *({"title": t("audience.organisation", name=o.name), "value": f"organisation:{o.key}"} for o in organisations),
    ]
    if next_meeting is not None:
        choices.append({"title": t("audience.no_reply", number=next_meeting.number),
                        "value": f"no_reply:{next_meeting.id}"})
    body: list[dict[str, Any]] = [
        heading(t("compose.title")),
        paragraph(literal(project.name), weight="Bolder"),
        {"type": "Input.ChoiceSet", "id": "audience", "label": t("compose.audience"), "choices": choices,
         "value": "registered", "isRequired": True, "errorMessage": t("compose.audience_missing")},
        {"type": "Input.Text", "id": "text", "label": t("compose.text"), "isMultiline": True,
         "maxLength": MAX_MESSAGE, "isRequired": True, "errorMessage": t("compose.text_missing")},
        {"type": "Input.Date", "id": "date", "label": t("compose.date"), "placeholder": t("input.date_placeholder")},
        {"type": "Input.Time", "id": "time", "label": t("compose.time"), "placeholder": t("input.time_placeholder")},
    ]
    return card(body, [submit(t("compose.preview"), "broadcast_preview", project_id=project.id)])


def preview_card(broadcast_id: int, text: str, audience_label: str, count: int, when: str) -> Card:
    body = [
        heading(t("preview.title")),
        paragraph(t("preview.audience", audience=audience_label, count=count)),
        paragraph(t("preview.when", when=when)),
        {"type": "Container", "style": "emphasis", "items": [paragraph(literal(text))]},
    ]
    actions = [submit(t("preview.send"), "broadcast_confirm", broadcast_id=broadcast_id),
               submit(t("preview.cancel"), "broadcast_cancel", broadcast_id=broadcast_id)]
    return card(body, actions)


def remind_preview_card(project: Project, meeting: Meeting, count: int) -> Card:
    body = [
        heading(t("remind.preview_title", number=meeting.number)),
        paragraph(project.name, weight="Bolder"),
        paragraph(t("attendance.meeting", number=meeting.number, title=meeting.title,
                    when=format_span(meeting.starts_at, meeting.ends_at))),
        paragraph(t("remind.audience", count=count)),
    ]
    if not count:
        return card(body + [paragraph(t("remind.nobody"))])
    return card(body, [submit(t("remind.send", count=count), "remind_confirm", project_id=project.id,
                              meeting_id=meeting.id),
                       submit(t("preview.cancel"), "remind_cancel")])


def status_card(statuses: Sequence[DeliveryStatus], names: dict[str, str]) -> Card:
    counts = Counter(s.state for s in statuses)
    summary = ", ".join(f"{t('delivery.' + state)}: {n}" for state, n in sorted(counts.items()))
    rows = [paragraph(f"{literal(names.get(s.recipient, s.recipient))}: {t('delivery.' + s.state)}"
                      + (f" ({format_when(s.sent_at)})" if s.sent_at else "")
                      + (f" – {s.last_error}" if s.state == "failed" and s.last_error else ""), spacing="Small")
            for s in statuses[:50]]
    return card([heading(t("delivery.title")), paragraph(summary or t("delivery.none")), *rows])


def broadcast_card(project_name: str, text: str) -> Card:
    return card([paragraph(t("broadcast.from", project=literal(project_name)), isSubtle=True, size="Small"),
                 paragraph(literal(text))])
