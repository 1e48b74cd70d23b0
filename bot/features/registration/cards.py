"""Cards for registration: the form, the confirmation, and a person's own registrations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.core.cards import Card, card, chooser, heading, paragraph, submit
from bot.core.i18n import format_deadline, format_span, format_when, t
from bot.core.input_rules import Problem
from bot.core.markdown import literal
from bot.features.registration.rules import MAX_LENGTHS, Status, WaitReason
from storage.models import Project, Registration


@dataclass(frozen=True)
class MeetingLine:
    number: int
    title: str
    starts_at: Any
    place: str
    ends_at: Any = None
    """Shown as "måndag 3 maj kl. 10.00–15.00"; None shows the start only."""


@dataclass(frozen=True)
class Prefill:
    name: str = ""
    organisation: str = ""
    organisation_other: str = ""
    role_title: str = ""
    email: str = ""
    meetings: tuple[int, ...] = ()
    dietary: str = ""
    consent_list: bool = False


def registration_form(
    project_id: int,
    project_name: str,
    meetings: Sequence[MeetingLine],
    organisations: Sequence[tuple[str, str]],
    prefill: Prefill,
    editing: bool,
    problems: Sequence[Problem] = (),
) -> Card:
    """The registration form; ``organisations`` are (key, name) pairs in display order."""
    body: list[dict[str, Any]] = [
        heading(t("register.title_edit" if editing else "register.title")),
        paragraph(literal(project_name), weight="Bolder"),
    ]
    if problems:
        body.append(paragraph(problem_text(problems), color="Attention"))
    body += [
        _text("name", t("register.field.name"), prefill.name, required=True),
        {
            "type": "Input.ChoiceSet",
            "id": "organisation",
            "label": t("register.field.organisation"),
            "isRequired": True,
            "errorMessage": t("form.organisation_unknown"),
            "value": prefill.organisation,
            "placeholder": t("register.field.organisation_placeholder"),
            "choices": [{"title": name, "value": key} for key, name in organisations],
        },
        _text("organisation_other", t("register.field.organisation_other"), prefill.organisation_other),
        _text("role_title", t("register.field.role_title"), prefill.role_title),
        _text(
            "email",
            t("register.field.email"),
            prefill.email,
            style="Email",
            regex=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$",
            error=t("form.email_invalid"),
        ),
        {
            "type": "Input.ChoiceSet",
            "id": "meetings",
            "label": t("register.field.meetings"),
            "isMultiSelect": True,
            "style": "expanded",
            "isRequired": True,
            "errorMessage": t("form.meetings_missing"),
            "value": ",".join(str(n) for n in (prefill.meetings or [m.number for m in meetings])),
            "choices": [{"title": _meeting_choice(m), "value": str(m.number)} for m in meetings],
        },
        _text("dietary", t("register.field.dietary"), prefill.dietary),
        {
            "type": "Input.Toggle",
            "id": "consent_list",
            "title": t("register.field.consent_list"),
            "value": "true" if prefill.consent_list else "false",
            "valueOn": "true",
            "valueOff": "false",
        },
        paragraph(t("register.privacy"), isSubtle=True, size="Small"),
    ]
    action = submit(t("register.submit_edit" if editing else "register.submit"), "register", project_id=project_id)
    return card(body, [action])


@dataclass(frozen=True)
class WaitlistNote:
    """Why a person waits (which limit applies) and the figures the explanation names."""

    reason: WaitReason
    organisation: str
    quota: int
    capacity: int | None


def waitlist_note(reason: WaitReason | None, registration: Registration, project: Project) -> WaitlistNote | None:
    if reason is None:
        return None
    organisation = registration.organisation_other or registration.organisation.name
    return WaitlistNote(reason, organisation, project.quota_per_organisation, project.capacity)


def waitlist_texts(note: WaitlistNote) -> list[str]:
    """Which limit applies, then what happens next (moving up, no calendar yet, taking over by code)."""
    reason = t(f"register.waitlist.{note.reason.value}", organisation=note.organisation, quota=note.quota,
               capacity=note.capacity or 0)
    return [reason, t("register.waitlist.next")]


def confirmation(
    project_name: str,
    status: Status,
    position: int | None,
    created: bool,
    meetings: Sequence[MeetingLine],
    calendar_url: str,
    waiting: WaitlistNote | None = None,
) -> Card:
    if status is Status.WAITLISTED:
        title = t("register.waitlisted", project=literal(project_name), position=position or 1)
    else:
        title = t("register.confirmed" if created else "register.updated", project=literal(project_name))
    body = [heading(title), *(_meeting_fact(m) for m in meetings)]
    actions = [submit(t("mine.title"), "my_registrations")]
    if status is Status.WAITLISTED:
        texts = waitlist_texts(waiting) if waiting else [t("register.waitlist_explained")]
        body += [paragraph(text) for text in texts]
    else:  # a calendar only with a place: the entries would promise a seat the person may not get
        actions.insert(0, {"type": "Action.OpenUrl", "title": t("calendar.add_series"), "url": calendar_url})
    return card(body, actions)


@dataclass(frozen=True)
class MyRegistration:
    registration_id: int
    project_name: str
    status: Status
    organisation: str
    meetings: Sequence[MeetingLine]


def my_registrations(registrations: Sequence[MyRegistration]) -> Card:
    if not registrations:
        return card(
            [heading(t("mine.title")), paragraph(t("mine.none"))], [submit(t("mine.open_form"), "register_start")]
        )
    body: list[dict[str, Any]] = [heading(t("mine.title"))]
    for item in registrations:
        body.append(
            {
                "type": "Container",
                "separator": True,
                "spacing": "Medium",
                "items": [
                    paragraph(literal(item.project_name), weight="Bolder"),
                    paragraph(f"{t('status.' + item.status.value)} · {literal(item.organisation)}", isSubtle=True),
                    *(_meeting_fact(m) for m in item.meetings),
                    {
                        "type": "ActionSet",
                        "actions": [
                            submit(t("mine.edit"), "edit_registration", registration_id=item.registration_id),
                            submit(t("mine.cancel"), "cancel_registration", registration_id=item.registration_id),
                            submit(t("mine.transfer"), "transfer", registration_id=item.registration_id),
                        ],
                    },
                ],
            }
        )
    return card(body)


def cancel_confirmation(registration_id: int, project_name: str) -> Card:
    return card(
        [heading(t("cancel.question", project=literal(project_name)))],
        [
            submit(t("cancel.yes"), "cancel_confirmed", registration_id=registration_id),
            submit(t("cancel.no"), "cancel_kept", registration_id=registration_id),
        ],
    )


def project_choice(projects: Sequence[tuple[int, str]], verb: str) -> Card:
    """However many projects there are: one list and one button. Teams shows at most 6 buttons on a
    card and drops the rest, so one button per project would hide project 7 and later."""
    choices = chooser("project_id", t("project.choose_label"), projects, t("project.choose_error"))
    return card([heading(t("project.choose")), choices], [submit(t("project.choose_button"), verb)])


def closed_text(project: Project, meanwhile: bool = False) -> str:
    """Why a registration was not taken: the project is closed, by its deadline or by the coordinator's hand
    (then its deadline, perhaps still ahead, is no reason). ``meanwhile``: it closed while the form was
    being filled in, so what was sent is not saved."""
    key = "register.closed_by_coordinator" if project.registration_closed else "register.closed"
    deadline = format_deadline(project.registration_deadline) if project.registration_deadline else ""
    return t(key + ("_meanwhile" if meanwhile else ""), project=literal(project.name), deadline=deadline,
             contact=project.contact or "")


def problem_text(problems: Sequence[Problem]) -> str:
    lines = [f"- {t(p.key, field=t('register.field.' + p.field), **dict(p.values))}" for p in problems]
    return t("form.problems") + "\n" + "\n".join(lines)


def _text(
    field: str,
    label: str,
    value: str,
    required: bool = False,
    style: str | None = None,
    regex: str | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "Input.Text",
        "id": field,
        "label": label,
        "value": value,
        "maxLength": MAX_LENGTHS[field],
        "isRequired": required,
    }
    if required:
        element["errorMessage"] = t("form.required", field=label)
    if style:
        element["style"] = style
    if regex:
        element["regex"] = regex
        element["errorMessage"] = error
    return element


def _meeting_when(meeting: MeetingLine) -> str:
    if meeting.ends_at is None:
        return format_when(meeting.starts_at)
    return format_span(meeting.starts_at, meeting.ends_at)


def _meeting_choice(meeting: MeetingLine) -> str:
    return t("meeting.choice", number=meeting.number, when=_meeting_when(meeting), title=meeting.title)


def _meeting_fact(meeting: MeetingLine) -> dict[str, Any]:
    place = f" · {literal(meeting.place)}" if meeting.place else ""
    return paragraph(
        t("meeting.line", number=meeting.number, when=_meeting_when(meeting), title=literal(meeting.title)) + place,
        spacing="Small",
    )
