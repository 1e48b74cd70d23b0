"""Case-example cards: the coordinator's request (form, preview, confirmation), the request a
participant receives, the example form, the review card, the feedback to the sender, the
channel post and search results. Pure functions returning card dicts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from bot.core.cards import Card, card, heading, largest_that_fits, paragraph, submit
from bot.core.i18n import format_when, t
from bot.core.input_rules import Problem, links_from_text
from bot.core.markdown import link_to, literal
from bot.features.examples.rules import EXAMPLE_TEXTS, MAX_NOTE, Decision, ExampleStatus, Sharing
from storage.examples import ExampleEntry

SUMMARY_LENGTH = 220
REQUEST_INPUTS = ("theme", "deadline_date", "deadline_time", "organisations")
"""The request card's inputs, carried from the preview to the confirmation."""


def problems_text(header_key: str, problems: Sequence[Problem]) -> str:
    """What is wrong, one line per problem; field names come from the ``input.field.*`` keys."""
    lines = [f"- {t(p.key, field=t('input.field.' + p.field), **dict(p.values))}" for p in problems]
    return t(header_key) + "\n" + "\n".join(lines)


# --- the coordinator's request ----------------------------------------------------------------


def request_form(project_id: int, project_name: str, municipalities: Sequence[tuple[str, str]],
                 default_day: date) -> Card:
    body: list[dict[str, Any]] = [
        heading(t("example_request.title")),
        paragraph(literal(project_name), weight="Bolder"),
        paragraph(t("example_request.intro"), size="Small"),
        _input("theme", t("input.field.theme"), required=True, limit=300,
               placeholder=t("example_request.theme_placeholder")),
        {"type": "Input.Date", "id": "deadline_date", "label": t("input.field.deadline_date"),
         "placeholder": t("input.date_placeholder"),
         "value": default_day.isoformat(), "isRequired": True, "errorMessage": t("input.deadline_missing")},
        {"type": "Input.Time", "id": "deadline_time", "label": t("input.field.deadline_time"),
         "placeholder": t("input.time_placeholder"), "value": "23:59"},
    ]
    if municipalities:
        body.append({"type": "Input.ChoiceSet", "id": "organisations", "isMultiSelect": True,
                     "label": t("example_request.organisations"),
                     "choices": [{"title": name, "value": key} for key, name in municipalities]})
    else:
        body.append(paragraph(t("example_request.no_municipalities"), color="Attention"))
    return card(body, [submit(t("example_request.preview"), "example_request_preview", project_id=project_id)])


def request_preview(project_id: int, values: Mapping[str, Any], theme: str, deadline: datetime, people: int,
                    municipalities: Sequence[str]) -> Card:
    carried = {key: values.get(key, "") for key in REQUEST_INPUTS}
    body = [
        heading(t("example_request.preview_title")),
        paragraph(t("example_request.preview_theme", theme=literal(theme))),
        paragraph(t("example_request.preview_deadline", deadline=format_when(deadline))),
        paragraph(t("example_request.preview_audience", count=people,
                    municipalities=", ".join(municipalities) or "–")),
    ]
    actions = [submit(t("example_request.send"), "example_request_confirm", project_id=project_id, **carried),
               submit(t("preview.cancel"), "example_request_cancel", project_id=project_id)]
    return card(body, actions)


def request_sent(people: int, nudge_at: datetime | None, created: bool) -> Card:
    lines = [paragraph(t("example_request.sent" if created else "example_request.already_sent", count=people),
                       weight="Bolder", color="Good")]
    if nudge_at is not None:
        lines.append(paragraph(t("example_request.nudge_planned", when=format_when(nudge_at))))
    return card(lines)


def request_message(request_id: int, project_name: str, theme: str, deadline: datetime, nudge: bool) -> Card:
    """What a participant receives: the theme, the deadline and a button to the example card."""
    body: list[dict[str, Any]] = []
    if nudge:
        body.append(paragraph(t("example_request.nudge", deadline=format_when(deadline)), weight="Bolder",
                              color="Accent"))
    body += [
        heading(t("example_request.message_title")),
        paragraph(literal(project_name), isSubtle=True),
        paragraph(t("example_request.message_theme", theme=literal(theme))),
        paragraph(t("example_request.message_body", deadline=format_when(deadline))),
    ]
    return card(body, [submit(t("example.send_button"), "example_open", request_id=request_id)])


# --- the participant's example ------------------------------------------------------------------


def example_form(project_id: int, project_name: str, organisations: Sequence[tuple[str, str]],
                 prefill: Mapping[str, str], request_id: int | None, example_id: int | None) -> Card:
    """``prefill`` holds the inputs' values by id (title, theme, organisation, ..., sharing)."""
    body: list[dict[str, Any]] = [heading(t("example.form_title" if example_id is None else "example.edit_title")),
                                  paragraph(literal(project_name), weight="Bolder"),
                                  paragraph(t("example.form_intro"), size="Small")]
    limits = {spec.field: spec for spec in EXAMPLE_TEXTS}
    for field in ("title", "theme"):
        body.append(_input(field, t(f"input.field.{field}"), prefill.get(field, ""), limits[field].required,
                           limits[field].limit))
    body.append({"type": "Input.ChoiceSet", "id": "organisation", "label": t("input.field.organisation"),
                 "isRequired": True, "errorMessage": t("input.organisation_unknown"),
                 "value": prefill.get("organisation", ""),
                 "choices": [{"title": name, "value": key} for key, name in organisations]})
    for field in ("challenge", "actions", "result", "lessons"):
        body.append(_input(field, t(f"input.field.{field}"), prefill.get(field, ""), limits[field].required,
                           limits[field].limit, multiline=True))
    body.append(_input("contact", t("input.field.contact"), prefill.get("contact", ""), False, 500))
    body.append(_input("links", t("input.field.links"), prefill.get("links", ""), False, 11000, multiline=True,
                       placeholder=t("input.links_placeholder")))
    body.append({"type": "Input.ChoiceSet", "id": "sharing", "label": t("input.field.sharing"), "style": "expanded",
                 "isRequired": True, "errorMessage": t("input.sharing_unknown"),
                 "value": prefill.get("sharing", Sharing.PROJECT),
                 "choices": [{"title": t(f"sharing.{level}"), "value": str(level)} for level in Sharing]})
    ids = {"project_id": project_id, **({"request_id": request_id} if request_id else {}),
           **({"example_id": example_id} if example_id else {})}
    return card(body, [submit(t("example.submit"), "example_submit", **ids)])


def example_submitted(title: str, created: bool) -> Card:
    return card([paragraph(t("example.submitted" if created else "example.resubmitted", title=literal(title)),
                           weight="Bolder", color="Good"), paragraph(t("example.review_explained"))])


def example_details(entry: ExampleEntry) -> list[dict[str, Any]]:
    example = entry.example
    body = [heading(literal(example.title)),
            paragraph(literal(" · ".join(part for part in (entry.organisation_name, example.theme) if part)),
                      isSubtle=True)]
    for field in ("challenge", "actions", "result", "lessons"):
        text = getattr(example, field)
        if text:
            body += [paragraph(t(f"example.section.{field}"), weight="Bolder", spacing="Medium"),
                     paragraph(literal(text))]
    if example.contact:
        body.append(paragraph(t("example.contact", contact=literal(example.contact)), spacing="Medium"))
    links = links_from_text(example.links)
    if links:
        body.append(paragraph(t("example.links") + "\n" + "\n".join(f"- {link_to(link)}" for link in links)))
    return body


def example_card(entry: ExampleEntry, can_post: bool = False) -> Card:
    """One example in full; coordinators get a button to post it to the project channel."""
    body = [*example_details(entry), paragraph(t(f"sharing.{entry.example.sharing}"), size="Small", isSubtle=True)]
    actions = [submit(t("example.post"), "example_post", example_id=entry.example.id)] if can_post else []
    return card(body, actions)


def channel_post(entry: ExampleEntry) -> Card:
    return card([paragraph(t("example.channel_intro", organisation=literal(entry.organisation_name)), size="Small",
                           isSubtle=True), *example_details(entry)])


# --- review ------------------------------------------------------------------------------------


def review_card(entry: ExampleEntry) -> Card:
    example = entry.example
    body = [paragraph(t("review.from", name=literal(entry.sender_name or "–"), project=literal(entry.project_name),
                        sharing=t(f"sharing.{example.sharing}")), size="Small", isSubtle=True),
            *example_details(entry),
            _input("note", t("input.field.note"), "", False, MAX_NOTE, multiline=True,
                   placeholder=t("review.note_placeholder"))]
    actions = [submit(t(f"review.{decision}"), "example_review", example_id=example.id, decision=str(decision))
               for decision in Decision]
    return card(body, actions)


def review_list_intro(shown: int, total: int) -> str:
    if total == 0:
        return t("review.none")
    return t("review.waiting", count=total) + (" " + t("review.showing", shown=shown) if shown < total else "")


def reviewed_card(entry: ExampleEntry, decision: Decision, channel_linked: bool) -> Card:
    body = [paragraph(t(f"review.done.{decision}", title=literal(entry.example.title)), weight="Bolder", color="Good")]
    actions = []
    if decision is Decision.APPROVE:
        if channel_linked:
            actions.append(submit(t("example.post"), "example_post", example_id=entry.example.id))
        else:
            body.append(paragraph(t("example.no_channel")))
    return card(body, actions)


def feedback_card(entry: ExampleEntry, status: str) -> Card:
    """What the sender is told after a review."""
    example = entry.example
    body = [heading(t(f"feedback.{status}.title")),
            paragraph(t(f"feedback.{status}.body", title=literal(example.title),
                        sharing=t(f"sharing.{example.sharing}")))]
    if example.review_note:
        body += [paragraph(t("feedback.note"), weight="Bolder"), paragraph(literal(example.review_note))]
    actions = []
    if status == ExampleStatus.CHANGES_REQUESTED:
        actions.append(submit(t("feedback.edit"), "example_edit", example_id=example.id))
    return card(body, actions)


# --- browsing ----------------------------------------------------------------------------------


def search_results(entries: Sequence[ExampleEntry], total: int, query: str) -> Card:
    """The examples found, as many as keep the card within Teams' message size (the rest counted)."""
    if not entries:
        return card([paragraph(t("examples.none_found", query=literal(query)) if query else t("examples.none_yet"))])
    return largest_that_fits(lambda shown: _search_results(entries[:shown], total, query), len(entries))


def _search_results(entries: Sequence[ExampleEntry], total: int, query: str) -> Card:
    title = t("examples.found", count=total, query=literal(query)) if query else t("examples.latest")
    body: list[dict[str, Any]] = [heading(title)]
    for entry in entries:
        example = entry.example
        items = [paragraph(literal(example.title), weight="Bolder"),
                 paragraph(literal(" · ".join(p for p in (entry.organisation_name, example.theme, entry.project_name)
                                              if p)),
                           isSubtle=True, spacing="None"),
                 paragraph(literal(_shorten(example.challenge)), size="Small")]
        body.append({"type": "Container", "separator": True, "spacing": "Medium", "items": items,
                     "selectAction": submit(t("examples.show"), "example_show", example_id=example.id)})
    actions = [submit(t("examples.show_one", title=_shorten(e.example.title, 40)), "example_show",
                      example_id=e.example.id) for e in entries[:5]]
    if total > len(entries):
        body.append(paragraph(t("examples.more", count=total - len(entries)), size="Small", isSubtle=True))
    return card(body, actions)


def _shorten(text: str, limit: int = SUMMARY_LENGTH) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _input(field: str, label: str, value: str = "", required: bool = False, limit: int = 300,
           multiline: bool = False, placeholder: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "Input.Text", "id": field, "label": label, "value": value,
                               "maxLength": limit, "isMultiline": multiline}
    if required:
        element.update(isRequired=True, errorMessage=t("input.missing", field=label))
    if placeholder:
        element["placeholder"] = placeholder
    return element
