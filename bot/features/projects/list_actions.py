"""`projekt` (every project with its state, counts and next step), `kopiera projekt` (a new draft from an
earlier project: texts, evaluation questions and reminder plan; the dates are left to set) and the
per-project evaluation questions card. In the coordinator's personal chat, cards updated in place."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from botbuilder.core import TurnContext

from bot.core.actions import int_value, replace_card, send_card
from bot.core.commands import Role
from bot.core.i18n import format_deadline, format_when, t
from bot.core.router import Router
from bot.core.turn import Turn
from bot.features.evaluation.rules import questions_from_json
from bot.features.projects.cards import ListedProject, accepting, copy_form, project_list, questions_form
from bot.features.projects.desk import ProjectDesk, personal_only, shown_version
from bot.features.projects.rules import ProjectFormInvalid, parse_questions, slug_for
from bot.features.projects.spec import MAX_LENGTHS, ProjectSpec
from bot.features.registration.rules import Problem, clean_text
from storage.models import Project
from storage.projects import EditConflict, spec_of


def next_step(project: Project, now: datetime, registration_open: bool) -> str:
    """What the coordinator does next with the project, in one line."""
    live = [m for m in project.meetings if m.cancelled_at is None]
    if project.state in ("finished", "alumni"):
        return t("pe.next.done")
    if not live:
        return t("pe.next.add_meetings")
    if project.state == "planned":
        return t("pe.next.open")
    if registration_open and project.registration_deadline is not None and project.registration_deadline > now:
        return t("pe.next.deadline", when=format_deadline(project.registration_deadline))
    upcoming = [m for m in live if m.ends_at > now]
    if upcoming:
        first = min(upcoming, key=lambda m: m.starts_at)
        return t("pe.next.meeting", number=first.number, when=format_when(first.starts_at))
    return t("pe.next.finish")


router = Router("projects.list")


class ProjectListActions:

    def __init__(self, desk: ProjectDesk) -> None:
        self._desk = desk

    @router.command("projekt", "mina projekt", "projects", role=Role.COORDINATOR, in_manifest=False)
    @personal_only("projekt")
    async def list_projects(self, context: TurnContext, turn: Turn) -> None:
        now = self._desk.clock()
        listed = [ListedProject(p, await self._desk.counts(p.id), next_step(p, now, accepting(p)))
                  for p in await self._desk.projects.all_projects()]
        await send_card(context, project_list(listed))

    @router.command("kopiera projekt", "copy project", role=Role.COORDINATOR, in_manifest=False)
    @personal_only("kopiera projekt")
    async def copy_start(self, context: TurnContext, turn: Turn) -> None:
        projects = await self._desk.projects.all_projects()
        if not projects:
            await context.send_activity(t("pe.copy_none"))
            return
        await send_card(context, copy_form(projects, {}, []))

    @router.verb("project_copy_start", role=Role.COORDINATOR, shared=True)
    @personal_only("projekt")
    async def copy_start_in_place(self, context: TurnContext, turn: Turn) -> None:
        projects = await self._desk.projects.all_projects()
        if not projects:
            await context.send_activity(t("pe.copy_none"))
            return
        await replace_card(context, copy_form(projects, {}, []))

    @router.verb("project_copy", role=Role.COORDINATOR, shared=True)
    @personal_only("projekt")
    async def copy(self, context: TurnContext, turn: Turn) -> None:
        projects = await self._desk.projects.all_projects()
        source = next((p for p in projects if p.id == int_value(turn.value, "source_id")), None)
        name = clean_text(turn.value.get("name"))
        problems = []
        if source is None:
            problems.append(Problem("input.missing", "source"))
        if not name:
            problems.append(Problem("input.missing", "name"))
        elif len(name) > MAX_LENGTHS["name"]:
            problems.append(Problem("input.too_long", "name", (("limit", MAX_LENGTHS["name"]),)))
        if not projects:
            await context.send_activity(t("pe.copy_none"))
            return
        if problems or source is None:
            await replace_card(context, copy_form(projects, turn.value, problems))
            return
        base = slug_for(name, self._desk.clock().astimezone(self._desk.zone).year)
        copied = _copy_of(spec_of(source), await self._desk.projects.free_slug(base), name)
        try:
            created = await self._desk.projects.save(copied, -1, copied_from_id=source.id, now=self._desk.clock())
        except EditConflict:
            await context.send_activity(t("pe.conflict"))
            return
        await replace_card(context, await self._desk.editor(created, t("pe.copied")))

    @router.verb("project_questions", role=Role.COORDINATOR, shared=True)
    @personal_only("projekt")
    async def questions(self, context: TurnContext, turn: Turn) -> None:
        project = await self._desk.project(context, turn)
        if project is not None:
            await replace_card(context, questions_form(project, questions_from_json(project.evaluation_questions), []))

    @router.verb("project_questions_save", role=Role.COORDINATOR, shared=True)
    @personal_only("projekt")
    async def save_questions(self, context: TurnContext, turn: Turn) -> None:
        project = await self._desk.project(context, turn)
        if project is None:
            return
        keys = [str(key) for key in turn.value.get("keys") or [] if isinstance(key, str)]
        rows = int_value(turn.value, "rows") or 0
        try:
            questions = parse_questions(turn.value, keys, min(rows, 10))
        except ProjectFormInvalid as invalid:
            stored = questions_from_json(project.evaluation_questions)
            failed = questions_form(project, stored, invalid.problems, turn.value, shown_version(project, turn.value))
            await replace_card(context, failed)
            return
        spec = replace(spec_of(project), evaluation_questions=questions)
        await self._desk.save(context, turn, project, spec, t("pe.questions_saved"))

    @router.verb("project_questions_default", role=Role.COORDINATOR, shared=True)
    @personal_only("projekt")
    async def default_questions(self, context: TurnContext, turn: Turn) -> None:
        project = await self._desk.project(context, turn)
        if project is not None:
            spec = replace(spec_of(project), evaluation_questions=None)
            await self._desk.save(context, turn, project, spec, t("pe.questions_reset"))


def _copy_of(source: ProjectSpec, slug: str, name: str) -> ProjectSpec:
    """Texts, quota, capacity, contact, evaluation questions and reminder plan; no dates, no meetings
    (their texts prefill the new meetings as they are added), a draft again."""
    return replace(source, slug=slug, name=name, state="planned", registration_closed=False,
                   registration_deadline=None, meetings=())
