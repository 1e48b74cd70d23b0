"""Registration as a text conversation, for Teams clients that cannot show Adaptive Cards.

The answers become the same values the card submits, and ``RegistrationService.submit`` stays
the one judge of what is valid; the prompts here only catch typos early. Writing **avbryt**
at any step cancels.

```mermaid
flowchart TD
    start([anmäl via text]) --> projects{open projects?}
    projects -- none --> no_projects([no projects: end])
    projects -- one --> form
    projects -- several --> choose[ChoicePrompt: project] --> form
    form{form for the person} -- closed / gone --> refused([closed message: end])
    form -- open --> name[TextPrompt: name, ok keeps the Teams name]
    name --> organisation[ChoicePrompt: municipality, region or Annan organisation]
    organisation -- Annan organisation --> other[TextPrompt: which organisation]
    organisation -- otherwise --> role
    other --> role[TextPrompt: role or title, - = none]
    role --> email[TextPrompt: e-mail, - = none]
    email --> meetings[TextPrompt: alla or 1, 3]
    meetings --> dietary[TextPrompt: dietary, - = none]
    dietary --> consent[ConfirmPrompt: participant list]
    consent --> summary[summary + ConfirmPrompt]
    summary -- nej --> not_sent([not sent: end])
    summary -- ja --> submit[RegistrationService.submit]
    submit --> done([confirmation, problems or closed: end with the result])
    any[avbryt at any prompt] -.-> cancelled([cancelled: end])
```
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from botbuilder.core import MessageFactory
from botbuilder.dialogs import (
    ComponentDialog,
    DialogContext,
    DialogTurnResult,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.dialogs.choices import Choice, FoundChoice, ListStyle
from botbuilder.dialogs.prompts import (
    ChoicePrompt,
    ConfirmPrompt,
    PromptOptions,
    PromptValidatorContext,
    TextPrompt,
)
from botbuilder.schema import ActivityTypes

from bot.core.cards import Card
from bot.core.commands import normalise
from bot.core.i18n import format_span, t
from bot.core.input_rules import clean_text
from bot.features.registration.cards import MeetingLine, closed_text, confirmation, problem_text, waitlist_note
from bot.features.registration.rules import EMAIL, MAX_LENGTHS, Status
from bot.features.registration.service import Closed, FormView, Invalid, RegistrationService, chosen_meetings
from storage.models import Project, Registration
from storage.registrations import RegistrationResult

Outcome = RegistrationResult | Invalid | Closed | None

# Answers people type; Swedish first, English accepted because the prompts follow the Teams language.
CANCEL_WORDS = frozenset({"avbryt", "cancel"})
KEEP_WORDS = frozenset({"ok", "okej", "ja", "yes"})
YES_WORDS = frozenset({"ja", "j", "jo", "japp", "yes", "y"})
NO_WORDS = frozenset({"nej", "n", "nä", "no"})
ALL_WORDS = frozenset({"alla", "all"})
NOTHING = "-"
_MEETING_SEPARATORS = re.compile(r"\s*(?:,|;|\s|\boch\b|\band\b)\s*")

# Prompt ids, scoped to this component's own DialogSet.
CHOICE, TEXT, MEETINGS, YES_NO = "choice", "text", "meetings", "yes_no"
# Waterfall values (kept JSON-like: they are stored with the conversation's dialog state).
PROJECT_IDS, PROJECT_ID, ORGANISATIONS, MEETING_LINES, FORM = "project_ids", "project_id", "orgs", "meetings", "form"


@dataclass(frozen=True)
class TextRegistrationStart:
    """What the dialog is started with: who is registering, and the name Teams knows them by."""

    person_id: int
    teams_name: str


@dataclass(frozen=True)
class TextRule:
    """How a free-text answer is read; carried in the prompt's ``validations``."""

    field: str
    """The form field (a key of MAX_LENGTHS)."""
    required: bool = False
    """Required answers cannot be "-" (or empty); optional ones use "-" for nothing."""
    default: str = ""
    """What "ok" / "ja" keeps (the Teams name)."""


# --- reading answers: plain functions ---------------------------------------------------------


def text_answer(text: str, rule: TextRule) -> str | None:
    """The value of a free-text answer, or None when it cannot be accepted."""
    value = clean_text(text)
    if rule.default and normalise(value) in KEEP_WORDS:
        value = rule.default
    elif value == NOTHING and not rule.required:
        value = ""
    # A required answer is never the skip mark or a bare "ok" (there was nothing to keep).
    unanswered = not value or value == NOTHING or normalise(value) in KEEP_WORDS
    if len(value) > MAX_LENGTHS[rule.field] or (rule.required and unanswered):
        return None
    if rule.field == "email" and value and not EMAIL.match(value):
        return None
    return value


def choice_index(text: str, choices: Sequence[Choice]) -> int | None:
    """The chosen entry by its number or by its name (or a synonym), ignoring case, accents and
    "kommun": "3", "falu kommun", "Falun", "Älvdalen", "alvdalen". None unless exactly one fits."""
    answer = _folded(text)
    if answer.isdecimal():
        number = int(answer)
        return number - 1 if 1 <= number <= len(choices) else None
    found = {index for index, choice in enumerate(choices) if answer in _names_of(choice)}
    return found.pop() if len(found) == 1 else None


def meeting_numbers(text: str, allowed: Sequence[int]) -> list[int] | None:
    """ "alla" or meeting numbers ("1, 3", "1 och 3"); None for anything else."""
    answer = normalise(text)
    if answer in ALL_WORDS:
        return sorted(allowed)
    parts = [part for part in _MEETING_SEPARATORS.split(answer) if part]
    if not parts or not all(part.isdecimal() and len(part) < 4 for part in parts):
        return None
    chosen = sorted({int(part) for part in parts})
    return chosen if set(chosen) <= set(allowed) else None


def yes_or_no(text: str) -> bool | None:
    answer = normalise(text)
    return True if answer in YES_WORDS else False if answer in NO_WORDS else None


def _folded(text: str) -> str:
    """Lower case without accents, so "Älvdalen" and "alvdalen" compare equal."""
    decomposed = unicodedata.normalize("NFD", normalise(text))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _names_of(choice: Choice) -> set[str]:
    names = {_folded(choice.value), *(_folded(synonym) for synonym in choice.synonyms or ())}
    for name in list(names):
        place = name.removesuffix(" kommun")
        names.add(place)
        # Genitive in municipality names: "Älvdalens kommun" is chosen as "Älvdalen".
        if place != name and place.endswith("s"):
            names.add(place[:-1])
    return names


# --- validators: read the answer, hand the value to the next step ------------------------------


def _reply(prompt_context: PromptValidatorContext) -> str:
    return str(prompt_context.context.activity.text or "")


def _accept(prompt_context: PromptValidatorContext, value: Any) -> bool:
    if value is None:
        return False
    prompt_context.recognized.value = value
    return True


async def _validate_choice(prompt_context: PromptValidatorContext) -> bool:
    # botbuilder's choice recognizer has no Swedish model (and matches loosely): read the answer here.
    choices = prompt_context.options.choices or []
    index = choice_index(_reply(prompt_context), choices)
    found = None if index is None else FoundChoice(choices[index].value, index, 1.0)
    return _accept(prompt_context, found)


async def _validate_text(prompt_context: PromptValidatorContext) -> bool:
    return _accept(prompt_context, text_answer(_reply(prompt_context), prompt_context.options.validations))


async def _validate_meetings(prompt_context: PromptValidatorContext) -> bool:
    return _accept(prompt_context, meeting_numbers(_reply(prompt_context), prompt_context.options.validations))


async def _validate_yes_no(prompt_context: PromptValidatorContext) -> bool:
    # ConfirmPrompt knows no Swedish either, so "ja"/"nej" are read here.
    return _accept(prompt_context, yes_or_no(_reply(prompt_context)))


def _options(text: str, retry: str, validations: object = None, choices: list[Choice] | None = None) -> PromptOptions:
    return PromptOptions(
        prompt=MessageFactory.text(text),
        retry_prompt=MessageFactory.text(retry),
        choices=choices,
        style=ListStyle.list_style if choices else ListStyle.none,
        validations=validations,
    )


def _text_options(question: str, rule: TextRule, retry: str | None = None) -> PromptOptions:
    field = t(f"register.field.{rule.field}")
    retry = retry or t("form.too_long", field=field, limit=MAX_LENGTHS[rule.field])
    return _options(question, f"{retry}\n\n{question}", rule)


# --- the dialog ---------------------------------------------------------------------------------


class TextRegistrationDialog(ComponentDialog):
    """Asks the registration form's questions one at a time; ends with the service's outcome
    (``RegistrationResult``, ``Invalid``, ``Closed`` or None when nothing was sent)."""

    def __init__(self, service: RegistrationService, calendar_url: Callable[[Project, Registration], str]) -> None:
        super().__init__(TextRegistrationDialog.__name__)
        self._service = service
        self._calendar_url = calendar_url
        yes_no = ConfirmPrompt(YES_NO, _validate_yes_no)
        yes_no.style = ListStyle.none  # the question itself says "ja eller nej"
        for prompt in (
            ChoicePrompt(CHOICE, _validate_choice),
            TextPrompt(TEXT, _validate_text),
            TextPrompt(MEETINGS, _validate_meetings),
            yes_no,
        ):
            self.add_dialog(prompt)
        steps = [
            self._choose_project,
            self._ask_name,
            self._ask_organisation,
            self._ask_other_organisation,
            self._ask_role,
            self._ask_email,
            self._ask_meetings,
            self._ask_dietary,
            self._ask_consent,
            self._ask_confirmation,
            self._submit,
        ]
        self.add_dialog(WaterfallDialog("steps", steps))
        self.initial_dialog_id = "steps"

    async def on_continue_dialog(self, inner_dc: DialogContext) -> DialogTurnResult:
        activity = inner_dc.context.activity
        if activity.type == ActivityTypes.message and normalise(activity.text or "") in CANCEL_WORDS:
            await inner_dc.context.send_activity(t("textreg.cancelled"))
            return await inner_dc.cancel_all_dialogs()
        return await super().on_continue_dialog(inner_dc)

    async def _choose_project(self, step: WaterfallStepContext) -> DialogTurnResult:
        projects = await self._service.open_projects()
        if not projects:
            await step.context.send_activity(t("register.no_projects"))
            return await step.end_dialog(None)
        step.values[PROJECT_IDS] = [project.id for project in projects]
        if len(projects) == 1:
            return await step.next(FoundChoice(projects[0].name, 0, 1.0))
        choices = [Choice(project.name) for project in projects]
        options = _options(t("textreg.choose_project"), t("textreg.choice_retry"), None, choices)
        return await step.prompt(CHOICE, options)

    async def _ask_name(self, step: WaterfallStepContext) -> DialogTurnResult:
        project_id = step.values[PROJECT_IDS][step.result.index]
        view = await self._service.form(project_id, _start(step).person_id)
        if not isinstance(view, FormView):
            await step.context.send_activity(_refusal(view))
            return await step.end_dialog(view)
        _remember_form(step, view)
        intro = [t("textreg.intro", project=view.project.name), t("register.privacy")]
        if view.existing is not None:
            intro.insert(0, t("register.title_edit"))
        await step.context.send_activity("\n\n".join(intro))
        known = view.existing.name if view.existing is not None else _start(step).teams_name
        default = clean_text(known)[: MAX_LENGTHS["name"]]
        question = t("textreg.name", name=default) if default else t("textreg.name_empty")
        retry = t("textreg.name_retry", limit=MAX_LENGTHS["name"])
        return await step.prompt(TEXT, _text_options(question, TextRule("name", True, default), retry))

    async def _ask_organisation(self, step: WaterfallStepContext) -> DialogTurnResult:
        _form(step)["name"] = step.result
        choices = [Choice(name, synonyms=[key]) for key, name, _kind in step.values[ORGANISATIONS]]
        options = _options(t("textreg.organisation"), t("textreg.choice_retry"), None, choices)
        return await step.prompt(CHOICE, options)

    async def _ask_other_organisation(self, step: WaterfallStepContext) -> DialogTurnResult:
        key, _name, kind = step.values[ORGANISATIONS][step.result.index]
        _form(step)["organisation"] = key
        if kind != "other":
            return await step.next("")
        retry = t("textreg.organisation_other_retry", limit=MAX_LENGTHS["organisation_other"])
        rule = TextRule("organisation_other", required=True)
        return await step.prompt(TEXT, _text_options(t("textreg.organisation_other"), rule, retry))

    async def _ask_role(self, step: WaterfallStepContext) -> DialogTurnResult:
        _form(step)["organisation_other"] = step.result
        return await step.prompt(TEXT, _text_options(t("textreg.role_title"), TextRule("role_title")))

    async def _ask_email(self, step: WaterfallStepContext) -> DialogTurnResult:
        _form(step)["role_title"] = step.result
        rule = TextRule("email")
        return await step.prompt(TEXT, _text_options(t("textreg.email"), rule, t("form.email_invalid")))

    async def _ask_meetings(self, step: WaterfallStepContext) -> DialogTurnResult:
        _form(step)["email"] = step.result
        lines = step.values[MEETING_LINES]
        if not lines:
            return await step.next([])
        question = "\n".join([t("textreg.meetings"), "", *(f"- {line}" for _number, line in lines)])
        allowed = [number for number, _line in lines]
        return await step.prompt(MEETINGS, _options(question, f"{t('textreg.meetings_retry')}\n\n{question}", allowed))

    async def _ask_dietary(self, step: WaterfallStepContext) -> DialogTurnResult:
        _form(step)["meetings"] = ",".join(str(number) for number in step.result)
        return await step.prompt(TEXT, _text_options(t("textreg.dietary"), TextRule("dietary")))

    async def _ask_consent(self, step: WaterfallStepContext) -> DialogTurnResult:
        _form(step)["dietary"] = step.result
        question = t("textreg.consent")
        return await step.prompt(YES_NO, _options(question, f"{t('textreg.yes_no_retry')}\n\n{question}"))

    async def _ask_confirmation(self, step: WaterfallStepContext) -> DialogTurnResult:
        _form(step)["consent_list"] = "true" if step.result else "false"
        question = f"{_summary(step)}\n\n{t('textreg.confirm')}"
        return await step.prompt(YES_NO, _options(question, f"{t('textreg.yes_no_retry')}\n\n{question}"))

    async def _submit(self, step: WaterfallStepContext) -> DialogTurnResult:
        if not step.result:
            await step.context.send_activity(t("textreg.not_sent"))
            return await step.end_dialog(None)
        outcome = await self._service.submit(step.values[PROJECT_ID], _start(step).person_id, _form(step))
        if isinstance(outcome, RegistrationResult):
            await step.context.send_activity(await self._confirmation(outcome))
        else:
            await step.context.send_activity(_refusal(outcome))
        return await step.end_dialog(outcome)

    async def _confirmation(self, result: RegistrationResult) -> str:
        """The card flow's confirmation, as text."""
        registration = result.registration
        project = result.project or await self._service.project(registration.project_id)
        if project is None:
            return t("project.not_found")
        meetings = chosen_meetings(registration, project.meetings)
        lines = [MeetingLine(m.number, m.title, m.starts_at, m.place, m.ends_at) for m in meetings]
        status, position = Status(registration.status), result.waitlist_position
        url = self._calendar_url(project, registration)
        note = waitlist_note(result.waitlist_reason, registration, project)
        return card_as_text(confirmation(project.name, status, position, result.created, lines, url, note))


def card_as_text(card: Card) -> str:
    """A card's text blocks and links as plain text, for clients that do not show cards."""
    texts = [str(item["text"]) for item in card.get("body", []) if item.get("type") == "TextBlock"]
    links = [f"{a['title']}: {a['url']}" for a in card.get("actions", []) if a.get("type") == "Action.OpenUrl"]
    return "\n\n".join([*texts, *links])


def _start(step: WaterfallStepContext) -> TextRegistrationStart:
    start = step.options
    if not isinstance(start, TextRegistrationStart):
        raise TypeError("TextRegistrationDialog is started with TextRegistrationStart options")
    return start


def _form(step: WaterfallStepContext) -> dict[str, str]:
    form: dict[str, str] = step.values[FORM]
    return form


def _remember_form(step: WaterfallStepContext, view: FormView) -> None:
    meetings = view.project.meetings
    step.values[PROJECT_ID] = view.project.id
    step.values[ORGANISATIONS] = [[o.key, o.name, o.kind] for o in view.organisations]
    step.values[MEETING_LINES] = [
        [m.number, t("meeting.choice", number=m.number, when=format_span(m.starts_at, m.ends_at), title=m.title)]
        for m in meetings
    ]
    step.values[FORM] = {}


def _summary(step: WaterfallStepContext) -> str:
    form = _form(step)
    names = {key: name for key, name, _kind in step.values[ORGANISATIONS]}
    organisation = form["organisation_other"] or names.get(form["organisation"], "")
    rows = [
        ("name", form["name"]),
        ("organisation", organisation),
        ("role_title", form["role_title"]),
        ("email", form["email"]),
        ("meetings_short", form["meetings"].replace(",", ", ")),
        ("dietary", form["dietary"]),
        ("consent_list_short", t("textreg.yes" if form["consent_list"] == "true" else "textreg.no")),
    ]
    labels = {"meetings_short": t("textreg.meetings_short")}
    lines = [f"- {labels.get(f) or t('register.field.' + f)}: {value or t('textreg.nothing')}" for f, value in rows]
    return "\n".join([t("textreg.summary"), *lines])


def _refusal(outcome: Outcome) -> str:
    if isinstance(outcome, Invalid):
        return problem_text(outcome.problems)
    if isinstance(outcome, Closed):
        return closed_text(outcome.project, outcome.meanwhile)
    return t("project.not_found")
