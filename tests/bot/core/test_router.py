"""The router: declarations made where the actions are, bound to the instances that run them, and
the start-up checks (nothing claimed twice, nothing without an instance, no command without an action)."""

from __future__ import annotations

import pytest
from botbuilder.core import TurnContext

from bot.core.commands import Command, Role
from bot.core.router import Router, Routes, command_table
from bot.core.turn import Turn

router = Router("sample")


class Participant:
    @router.command("visa", "show")
    @router.verb("show")
    async def show(self, context: TurnContext, turn: Turn) -> None:
        return None

    @router.free_text
    async def small_talk(self, context: TurnContext, turn: Turn) -> bool:
        return False


class Coordinator:
    @router.verb("delete", role=Role.COORDINATOR, shared=True)
    async def delete(self, context: TurnContext, turn: Turn) -> None:
        return None


def test_declarations_bind_to_the_instance_whose_class_has_them() -> None:
    participant, coordinator = Participant(), Coordinator()
    routes = Routes()
    routes.bind(router, participant, coordinator)
    assert routes.commands["visa"] == participant.show
    verb, action = routes.verbs["delete"]
    assert (verb.role, verb.shared, action) == (Role.COORDINATOR, True, coordinator.delete)
    assert routes.verbs["show"][0].role is Role.PARTICIPANT and not routes.verbs["show"][0].shared
    assert routes.free_text == [participant.small_talk]


def test_a_declaration_without_an_instance_is_refused() -> None:
    with pytest.raises(RuntimeError, match="needs exactly one instance"):
        Routes().bind(router, Participant())


def test_a_verb_claimed_by_two_routers_is_refused() -> None:
    other = Router("other")

    class Again:
        @other.verb("show")
        async def show(self, context: TurnContext, turn: Turn) -> None:
            return None

    routes = Routes()
    routes.bind(router, Participant(), Coordinator())
    with pytest.raises(RuntimeError, match="claimed twice"):
        routes.bind(other, Again())


def test_a_command_without_an_action_is_refused() -> None:
    routes = Routes()
    routes.bind(router, Participant(), Coordinator())
    routes.check([Command("visa", (), Role.PARTICIPANT)])
    with pytest.raises(RuntimeError, match="without a handler"):
        routes.check([Command("visa", (), Role.PARTICIPANT), Command("radera", (), Role.COORDINATOR)])


def test_a_word_claimed_by_two_features_is_refused_in_the_table() -> None:
    other = Router("other")
    other.command("visning", "visa")(Participant.show)
    with pytest.raises(ValueError, match="used by both"):
        command_table([router, other])


def test_a_text_dialog_needs_both_hooks() -> None:
    half = Router("half")

    class Dialog:
        @half.dialog_step
        async def step(self, context: TurnContext, turn: Turn) -> bool:
            return False

    with pytest.raises(RuntimeError, match="both dialog_step and dialog_cancel"):
        Routes().bind(half, Dialog())
