"""A person's own copy of their data as a JSON file with Swedish keys.

JSON rather than Excel: the data is nested (a registration has meetings, an evaluation answer has
its questions), GDPR art. 20 asks for a structured, machine-readable format, and any text editor
shows it. The keys are a file format, fixed and the same whatever language the person reads the
bot in (so a program reading the file need not know it); the one explanatory text comes from the
catalog. Values the bot chose (a status, an answer to a reminder, a kind of chat) are Swedish words, fixed
like the keys; a value not listed (a future one) is kept as stored. Dates are ISO 8601 in UTC."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.core.i18n import t
from storage.models import CaseExample, Project, Registration
from storage.privacy import PersonalData, registration_meeting_numbers

SWEDISH_VALUES: dict[str, dict[str, str]] = {
    "registration": {"registered": "anmäld", "waitlisted": "reservlista", "cancelled": "avbokad"},
    "intent": {"coming": "kommer", "not_coming": "kan inte"},
    "conversation": {"personal": "personlig chatt", "groupChat": "gruppchatt", "channel": "kanal"},
    "sharing": {"project": "projektet", "alumni": "alla deltagare och alumner", "public": "alla"},
    "example": {"submitted": "inskickat", "approved": "godkänt", "changes_requested": "ändringar begärda",
                "rejected": "avböjt"},
}


def swedish(kind: str, value: str | None) -> str | None:
    """A stored value as the file shows it ("registered" -> "anmäld")."""
    return None if value is None else SWEDISH_VALUES[kind].get(value, value)


def personal_data_json(data: PersonalData, exported_at: datetime) -> bytes:
    document = {
        "om_filen": t("privacy.file_about"),
        "exporterad": _when(exported_at),
        "person": _person(data),
        "anmälningar": [_registration(registration, project) for registration, project in data.registrations],
        "närvaro": [
            {"projekt": project.name, "träff": meeting.number, "svar": swedish("intent", row.intent),
             "svarat": _when(row.answered_at), "incheckad": _when(row.checked_in_at)}
            for row, meeting, project in data.attendance
        ],
        "utvärderingar": [
            {"projekt": e.project, "träff": e.meeting_number, "har_svarat": e.answered, "öppen": e.open,
             "mitt_svar": e.own_answer}
            for e in data.evaluations
        ],
        "hemuppgifter": [
            {"projekt": project.name, "uppgift": assignment.title, "text": row.text, "länkar": row.links,
             "inskickad": _when(row.submitted_at), "ändrad": _when(row.updated_at)}
            for row, assignment, project in data.submissions
        ],
        "kommunexempel": [_example(row, project.name) for row, project in data.examples],
        "alumnsvar": [
            {"fråga": prompt.question, "svar": row.text, "skrivet": _when(row.created_at)}
            for row, prompt in data.alumni_replies
        ],
        "triader": [
            {"projekt": project.name, "träff": meeting.number, "grupp": row.group_number}
            for row, meeting, project in data.triads
        ],
        "samtal": [
            {"samtals_id": c.conversation_id, "typ": swedish("conversation", c.kind), "team_id": c.team_id,
             "kanal_id": c.channel_id, "uppdaterat": _when(c.updated_at)}
            for c in data.conversations
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def _person(data: PersonalData) -> dict[str, Any]:
    person = data.person
    return {"id": person.id, "teams_id": person.teams_id, "entra_id": person.aad_object_id,
            "organisation_tenant": person.tenant_id, "namn": person.name, "e_post": person.email,
            "språk": person.locale, "först_sedd": _when(person.created_at), "ändrad": _when(person.updated_at)}


def _registration(registration: Registration, project: Project) -> dict[str, Any]:
    return {
        "projekt": project.name,
        "kommun_eller_organisation": registration.organisation.name,
        "annan_organisation": registration.organisation_other,
        "namn": registration.name,
        "roll": registration.role_title,
        "e_post": registration.email,
        "specialkost": registration.dietary,
        "med_i_deltagarlistan": registration.consent_list,
        "vill_inte_ha_alumnmeddelanden": registration.alumni_opt_out,
        "status": swedish("registration", registration.status),
        "träffar": registration_meeting_numbers(registration, project),
        "anmäld": _when(registration.created_at),
        "ändrad": _when(registration.updated_at),
        "avbokad": _when(registration.cancelled_at),
    }


def _example(row: CaseExample, project: str) -> dict[str, Any]:
    return {"projekt": project, "rubrik": row.title, "tema": row.theme, "utmaning": row.challenge,
            "vad_vi_gjorde": row.actions, "resultat": row.result, "lärdomar": row.lessons,
            "kontakt": row.contact, "länkar": row.links, "delas_med": swedish("sharing", row.sharing),
            "status": swedish("example", row.status),
            "skapat": _when(row.created_at)}


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
