"""Registration in Teams: the form card, confirmations, a person's own registrations,
cancelling (telling whoever moves up from the waitlist) and handing a place to a colleague."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo

from bot.core.actions import int_value, replace_card, send_card
from bot.core.cards import notice, submit
from bot.core.i18n import t
from bot.core.markdown import literal
from bot.core.router import Router
from bot.core.turn import Turn
from bot.features.registration.cards import (
    MyRegistration,
    Prefill,
    cancel_confirmation,
    closed_text,
    confirmation,
    my_registrations,
    problem_text,
    project_choice,
    registration_form,
    waitlist_note,
)
from bot.features.registration.handover_codes import WrongAttempts, shown
from bot.features.registration.notices import RegistrationNotices, meeting_lines
from bot.features.registration.rules import Status
from bot.features.registration.service import Closed, FormView, Invalid, RegistrationService, chosen_meetings
from storage.models import Project, Registration
from storage.registrations import AlreadyRegistered, NotFound, OwnCode, RegistrationResult

log = logging.getLogger(__name__)


router = Router("registration")


class RegistrationActions:
    def __init__(self, service: RegistrationService, notices: RegistrationNotices,
                 after_change: Callable[[], None] = lambda: None,
                 meeting_code: Callable[[TurnContext, Turn], Awaitable[bool]] | None = None,
                 attempts: WrongAttempts | None = None) -> None:
        """``meeting_code``: tries `ta över <kod>` as one meeting's code first (bot/features/absence/actions.py);
        ``attempts``: at most 5 wrong codes per person per hour, for both kinds of code."""
        self._service = service
        self._meeting_code = meeting_code
        self._attempts = attempts
        self._after_change = after_change
        self._notices = notices

    @router.command("anmäl", "anmal", "anmälan", "anmäl mig", "register", place="personal", personal=True)
    @router.verb("register_start")
    async def start(self, context: TurnContext, turn: Turn) -> None:
        """`anmäl`: the form for the one open project, or a choice when several are open."""
        project_id = int_value(turn.value, "project_id")
        if project_id is None:
            projects = await self._service.open_projects()
            if not projects:
                await context.send_activity(t("register.no_projects"))
                return
            if len(projects) > 1:
                await send_card(context, project_choice([(p.id, p.name) for p in projects], "register_start"))
                return
            project_id = projects[0].id
        await self._show_form(context, turn, project_id)

    @router.verb("edit_registration")
    async def edit(self, context: TurnContext, turn: Turn) -> None:
        found = await self._own_registration(context, turn)
        if found is not None:
            await self._show_form(context, turn, found[1].id)

    @router.verb("register")
    async def submit(self, context: TurnContext, turn: Turn) -> None:
        project_id = int_value(turn.value, "project_id")
        if project_id is None or turn.person_id is None:
            await context.send_activity(t("card.unknown_action"))
            return
        result = await self._service.submit(project_id, turn.person_id, turn.value)
        if result is None:
            await context.send_activity(t("project.not_found"))
        elif isinstance(result, Closed):
            # The form was shown while registration was open: it closed while it was being filled in.
            await context.send_activity(closed_text(result.project, meanwhile=True))
        elif isinstance(result, Invalid):
            await context.send_activity(problem_text(result.problems))
        else:
            await self._confirm(context, result)
            self._after_change()

    @router.command("mina anmälningar", "mina anmalningar", "my registrations", place="personal", personal=True)
    @router.verb("my_registrations")
    async def mine(self, context: TurnContext, turn: Turn) -> None:
        if turn.person_id is None:
            await send_card(context, my_registrations([]))
            return
        items = [
            MyRegistration(
                r.id, p.name, Status(r.status), _organisation_name(r), meeting_lines(chosen_meetings(r, p.meetings))
            )
            for r, p in await self._service.mine(turn.person_id)
        ]
        await send_card(context, my_registrations(items))

    @router.verb("cancel_registration")
    async def ask_cancel(self, context: TurnContext, turn: Turn) -> None:
        found = await self._own_registration(context, turn)
        if found is not None:
            await send_card(context, cancel_confirmation(found[0].id, found[1].name))

    @router.verb("cancel_confirmed")
    async def cancel(self, context: TurnContext, turn: Turn) -> None:
        found = await self._own_registration(context, turn, cancelled_too=True)
        if found is None or turn.person_id is None:
            return
        if found[0].status == Status.CANCELLED:  # pressed again (a double click): the question says it is done
            await replace_card(context, notice(t("cancel.done", project=literal(found[1].name))))
            return
        result = await self._service.cancel(found[0].id, turn.person_id)
        self._after_change()
        await replace_card(context, notice(t("cancel.done", project=literal(found[1].name))))
        if result.promoted is not None:
            await self._notices.tell_promoted(result.promoted, found[1])

    @router.verb("cancel_kept")
    async def keep(self, context: TurnContext, turn: Turn) -> None:
        """*Nej, behåll platsen*: the question is replaced, so *Ja, avboka* cannot be pressed later."""
        found = await self._own_registration(context, turn)
        if found is not None:
            await replace_card(context, notice(t("cancel.kept", project=literal(found[1].name)),
                                                [submit(t("mine.title"), "my_registrations")]))

    @router.verb("transfer")
    async def transfer(self, context: TurnContext, turn: Turn) -> None:
        found = await self._own_registration(context, turn)
        if found is None or turn.person_id is None:
            return
        code = await self._service.offer_transfer(found[0].id, turn.person_id)
        await context.send_activity(t("transfer.offered", project=literal(found[1].name), code=shown(code)))

    @router.command("ta över", "ta over", "take over", argument="arg.code", in_manifest=False, place="personal",
                    personal=True)
    async def take_over(self, context: TurnContext, turn: Turn) -> None:
        """`ta över <kod>`: the colleague takes the place; the previous holder is told."""
        if not turn.argument or turn.person_id is None:
            await context.send_activity(t("transfer.how"))
            return
        if self._attempts is not None and self._attempts.blocked(turn.person_id):
            await context.send_activity(t("transfer.too_many"))
            return
        if self._meeting_code is not None and await self._meeting_code(context, turn):
            return
        email = await _teams_email(context, turn)
        try:
            new, old = await self._service.take_over(turn.argument, turn.person_id, turn.name, email)
        except OwnCode:  # not a wrong guess: no attempt is counted
            await context.send_activity(t("transfer.own_code"))
            return
        except NotFound:
            if self._attempts is not None:
                self._attempts.record(turn.person_id)
            await context.send_activity(t("transfer.unknown_code"))
            return
        except AlreadyRegistered:
            await context.send_activity(t("transfer.already_registered"))
            return
        project = await self._service.project(new.project_id)
        name = project.name if project else ""
        self._after_change()
        await context.send_activity(t("transfer.taken", project=literal(name),
                                      organisation=literal(_organisation_name(new))))
        await self._notices.notify(old.person_id,
                                   t("transfer.handed_over", project=literal(name), name=literal(turn.name)))

    async def _show_form(self, context: TurnContext, turn: Turn, project_id: int) -> None:
        if turn.person_id is None:
            await context.send_activity(t("error.technical"))
            return
        view = await self._service.form(project_id, turn.person_id)
        if view is None:
            await context.send_activity(t("project.not_found"))
        elif isinstance(view, Closed):
            await context.send_activity(closed_text(view.project))
        else:
            await send_card(context, await self._form_card(context, turn, view))

    async def _form_card(self, context: TurnContext, turn: Turn, view: FormView) -> dict[str, Any]:
        existing = view.existing
        if existing is not None:
            prefill = Prefill(
                existing.name,
                existing.organisation.key,
                existing.organisation_other,
                existing.role_title,
                existing.email,
                tuple(m.number for m in chosen_meetings(existing, view.project.meetings)),
                existing.dietary,
                existing.consent_list,
            )
        else:
            prefill = Prefill(name=turn.name, email=await _teams_email(context, turn))
        organisations = [(o.key, o.name) for o in view.organisations]
        return registration_form(
            view.project.id,
            view.project.name,
            meeting_lines([m for m in view.project.meetings if m.cancelled_at is None]),
            organisations,
            prefill,
            editing=existing is not None,
        )

    async def _confirm(self, context: TurnContext, result: RegistrationResult) -> None:
        registration = result.registration
        project = result.project or await self._service.project(registration.project_id)
        assert project is not None
        card = confirmation(
            project.name,
            Status(registration.status),
            result.waitlist_position,
            # The same form sent again (a double click on the first submit) is no edit: it says what is true.
            result.created or not result.changed,
            meeting_lines(chosen_meetings(registration, project.meetings)),
            self._notices.calendar_url(project, registration),
            waitlist_note(result.waitlist_reason, registration, project),
        )
        # The form is replaced by the confirmation, so a second click has nothing to submit.
        await replace_card(context, card)

    async def _own_registration(self, context: TurnContext, turn: Turn,
                                cancelled_too: bool = False) -> tuple[Registration, Project] | None:
        registration_id = int_value(turn.value, "registration_id")
        found = None
        if registration_id is not None and turn.person_id is not None:
            found = await self._service.registration(registration_id, turn.person_id, cancelled_too)
        if found is None:
            await context.send_activity(t("mine.not_found"))
        return found


def _organisation_name(registration: Registration) -> str:
    return registration.organisation_other or registration.organisation.name


async def _teams_email(context: TurnContext, turn: Turn) -> str:
    """The person's e-mail from Teams' roster, for prefilling; empty when Teams does not say."""
    try:
        member = await TeamsInfo.get_member(context, turn.teams_id)
    except Exception:  # noqa: BLE001 - prefilling is a convenience; the person can type it
        return ""
    return str(getattr(member, "email", "") or "")
