"""Registration: the form, own registrations, hand-over codes; coordinators' overview, exports and
project settings; registration by text for clients without cards."""

from __future__ import annotations

from bot.features.registration.actions import RegistrationActions
from bot.features.registration.actions import router as participant_router
from bot.features.registration.coordinator_actions import CoordinatorActions
from bot.features.registration.coordinator_actions import router as coordinator_router
from bot.features.registration.handover_codes import WrongAttempts
from bot.features.registration.text_actions import TextRegistrationActions
from bot.features.registration.text_actions import router as text_router
from bot.features.wiring import Wiring

ROUTERS = (participant_router, text_router, coordinator_router)


def install(wiring: Wiring) -> None:
    settings = wiring.settings
    actions = RegistrationActions(wiring.registration, wiring.notices, wiring.after_registration_change,
                                  wiring.try_meeting_code, WrongAttempts(wiring.clock))
    wiring.include(participant_router, actions)
    wiring.include(text_router, TextRegistrationActions(
        wiring.registration, wiring.conversation_state.create_property("dialog_state"),
        wiring.notices.calendar_url, wiring.after_registration_change))
    wiring.include(coordinator_router, CoordinatorActions(
        wiring.projects, wiring.registrations, wiring.downloads, wiring.notices, settings.base_url, settings.zone,
        wiring.clock))
