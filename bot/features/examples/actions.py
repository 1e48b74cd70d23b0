"""Case examples in Teams. Participants: `skicka exempel` (and the button in a request), the
example card, `exempel [sökord]` to browse and search. Coordinators: `be om exempel` (card,
preview with audience count, confirm), `granska exempel` (approve, ask for changes, reject) and
posting an approved example to the project channel.

```mermaid
flowchart LR
    A[be om exempel] --> B[request card] -->|example_request_preview| C[preview: N deltagare]
    C -->|example_request_confirm| D[outbox: example_request + example_nudge]
    D --> E[participant: example_open] --> F[example card] -->|example_submit| G[submitted]
    G -->|granska exempel / example_review| H{decision}
    H -->|changes + note| I[outbox: example_feedback] -->|example_edit| F
    H -->|approve| J[approved] -->|example_post| K[outbox: example_post to the channel]
    H -->|reject| L[rejected]
```
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from datetime import timedelta
from zoneinfo import ZoneInfo

from botbuilder.core import TurnContext

from bot.core.actions import int_value, replace_card, send_card
from bot.core.cards import notice
from bot.core.clock import Clock
from bot.core.commands import Role
from bot.core.i18n import format_when, t
from bot.core.markdown import literal
from bot.core.router import Router
from bot.core.turn import Turn
from bot.features.examples.cards import (
    example_card,
    example_form,
    example_submitted,
    problems_text,
    request_form,
    request_preview,
    request_sent,
    review_card,
    review_list_intro,
    reviewed_card,
    search_results,
)
from bot.features.examples.requests import ExampleRequests, RequestInvalid
from bot.features.examples.service import (
    AlreadyReviewed,
    ChooseProject,
    ExampleFormView,
    ExampleService,
    Invalid,
    Locked,
    NotParticipant,
    NotPostable,
    Posted,
)
from bot.features.projects.choice import chosen_project
from bot.features.registration.cards import project_choice
from bot.outbox.scheduler import Scheduler
from bot.outbox.wake import wake
from storage.models import Project
from storage.projects import ProjectRepository

DEFAULT_REQUEST_DAYS = 14


router = Router("examples")


class ExampleActions:
    """What every participant can do with examples."""

    def __init__(self, service: ExampleService) -> None:
        self._service = service

    @router.command("exempel", "examples", argument="arg.search")
    async def browse(self, context: TurnContext, turn: Turn) -> None:
        """`exempel` (the latest) or `exempel <sökord>`: approved examples the person may see."""
        viewer = await self._service.viewer(turn.person_id, turn.role is Role.COORDINATOR)
        entries, total = await self._service.search(viewer, turn.argument)
        await send_card(context, search_results(entries, total, turn.argument))

    @router.verb("example_show", shared=True)
    async def show(self, context: TurnContext, turn: Turn) -> None:
        example_id = int_value(turn.value, "example_id")
        coordinator = turn.role is Role.COORDINATOR
        viewer = await self._service.viewer(turn.person_id, coordinator)
        entry = await self._service.visible(viewer, example_id) if example_id else None
        if entry is None:
            await context.send_activity(t("examples.not_found"))
            return
        await send_card(context, example_card(entry, can_post=coordinator and entry.example.posted_at is None))

    @router.command("skicka exempel", "share example", place="personal", personal=True)
    @router.verb("example_open")
    async def start(self, context: TurnContext, turn: Turn) -> None:
        if turn.person_id is None:
            await context.send_activity(t("error.technical"))
            return
        view = await self._service.new_form(turn.person_id, int_value(turn.value, "project_id"),
                                            int_value(turn.value, "request_id"))
        if isinstance(view, NotParticipant):
            await context.send_activity(t("example.not_participant"))
        elif isinstance(view, ChooseProject):
            await send_card(context, project_choice(view.projects, "example_open"))
        else:
            await send_card(context, _form(view))

    @router.verb("example_edit")
    async def edit(self, context: TurnContext, turn: Turn) -> None:
        example_id = int_value(turn.value, "example_id")
        view = await self._service.edit_form(turn.person_id, example_id) if example_id and turn.person_id else None
        if view is None:
            await context.send_activity(t("examples.not_found"))
        elif isinstance(view, Locked):
            await context.send_activity(t("example.locked"))
        else:
            await send_card(context, _form(view))

    @router.verb("example_submit")
    async def submit(self, context: TurnContext, turn: Turn) -> None:
        if turn.person_id is None:
            await context.send_activity(t("error.technical"))
            return
        result = await self._service.submit(turn.person_id, turn.value)
        if isinstance(result, Invalid):
            await context.send_activity(problems_text("example.problems", result.problems))
        elif isinstance(result, NotParticipant):
            await context.send_activity(t("example.not_participant"))
        elif isinstance(result, Locked):
            await context.send_activity(t("example.locked"))
        else:
            # The form becomes the confirmation, so it cannot be sent twice by mistake.
            await replace_card(context, example_submitted(result.example.title, result.created))


class ExampleCoordinatorActions:
    """Coordinator-only: requests, reviews and channel posts."""


    def __init__(self, requests: ExampleRequests, service: ExampleService, projects: ProjectRepository,
                 scheduler: Callable[[], Scheduler | None], zone: ZoneInfo, clock: Clock) -> None:
        self._requests = requests
        self._service = service
        self._projects = projects
        self._scheduler = scheduler
        self._zone = zone
        self._clock = clock

    @router.command("be om exempel", "request examples", role=Role.COORDINATOR, in_manifest=False)
    @router.verb("example_request_start", role=Role.COORDINATOR)
    async def request_form(self, context: TurnContext, turn: Turn) -> None:
        project = await self._project(context, turn)
        if project is not None:
            default_day = self._clock().astimezone(self._zone).date() + timedelta(days=DEFAULT_REQUEST_DAYS)
            municipalities = await self._requests.municipalities(project.id)
            await send_card(context, request_form(project.id, project.name, municipalities, default_day))

    @router.verb("example_request_preview", role=Role.COORDINATOR)
    async def preview(self, context: TurnContext, turn: Turn) -> None:
        project = await self._project(context, turn)
        if project is None:
            return
        result = await self._requests.preview(project, turn.value)
        if isinstance(result, RequestInvalid):
            await context.send_activity(problems_text("example_request.problems", result.problems))
        elif result.people == 0:
            await context.send_activity(t("example_request.nobody"))
        else:
            await send_card(context, request_preview(project.id, turn.value, result.form.theme, result.form.deadline,
                                                     result.people, result.municipalities))

    @router.verb("example_request_confirm", role=Role.COORDINATOR)
    async def confirm(self, context: TurnContext, turn: Turn) -> None:
        project = await self._project(context, turn)
        if project is None:
            return
        result = await self._requests.confirm(project, turn.value, turn.person_id)
        if isinstance(result, RequestInvalid):
            await context.send_activity(problems_text("example_request.problems", result.problems))
            return
        await replace_card(context, request_sent(result.people, result.nudge_at, result.created))
        wake(self._scheduler, self._clock())

    @router.verb("example_request_cancel", role=Role.COORDINATOR)
    async def cancel(self, context: TurnContext, turn: Turn) -> None:
        await replace_card(context, notice(t("example_request.cancelled")))

    @router.command("granska exempel", "review examples", role=Role.COORDINATOR, in_manifest=False, personal=True)
    @router.verb("example_review_list", role=Role.COORDINATOR)
    async def review_list(self, context: TurnContext, turn: Turn) -> None:
        entries, total = await self._service.awaiting_review()
        await context.send_activity(review_list_intro(len(entries), total))
        for entry in entries:
            await send_card(context, review_card(entry))

    @router.verb("example_review", role=Role.COORDINATOR)
    async def review(self, context: TurnContext, turn: Turn) -> None:
        example_id = int_value(turn.value, "example_id")
        result = await self._service.review(example_id, turn.value) if example_id else None
        if result is None:
            await context.send_activity(t("examples.not_found"))
        elif isinstance(result, Invalid):
            await context.send_activity(problems_text("review.problems", result.problems))
        elif isinstance(result, AlreadyReviewed):
            status = t(f"example_status.{result.entry.example.status}")
            await context.send_activity(t("review.already", title=literal(result.entry.example.title), status=status))
        else:
            await replace_card(context, reviewed_card(result.entry, result.decision, result.channel_linked))
            wake(self._scheduler, result.feedback_at)

    @router.verb("example_post", role=Role.COORDINATOR)
    async def post(self, context: TurnContext, turn: Turn) -> None:
        example_id = int_value(turn.value, "example_id")
        result = await self._service.post(example_id) if example_id else None
        if result is None:
            await context.send_activity(t("examples.not_found"))
        elif isinstance(result, NotPostable):
            when = format_when(result.posted_at, self._zone) if result.posted_at else ""
            await context.send_activity(t(f"example.post_{result.reason}", when=when))
        elif isinstance(result, Posted):
            await replace_card(context, notice(t("example.posting", title=literal(result.entry.example.title),
                                                 project=result.entry.project_name), color="Good"))
            wake(self._scheduler, result.due)

    async def _project(self, context: TurnContext, turn: Turn) -> Project | None:
        return await chosen_project(context, turn, await self._projects.open_projects(self._clock()),
                                    "example_request_start")


def _form(view: ExampleFormView) -> dict[str, object]:
    prefill = {key: str(value) for key, value in asdict(view.prefill).items()}
    return example_form(view.project.id, view.project.name, view.organisations, prefill,
                        view.request.id if view.request else None, view.example_id)
