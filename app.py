"""Composition root: settings -> engine -> adapter -> bot -> scheduler -> aiohttp app."""

from __future__ import annotations

import gc
import logging
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiohttp import web
from botbuilder.core import BotAdapter, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.admin import load_demo_project
from bot.core.clock import AdjustableClock, Clock
from bot.core.handler import DalaLabBot
from bot.core.i18n import language_of, t, use_language, use_now
from bot.core.log_format import configure_logging
from bot.core.settings import Settings, SettingsError
from bot.features.evaluation.service import EvaluationResults
from bot.features.registration.notices import RegistrationNotices
from bot.features.registration.service import RegistrationService
from bot.features.registry import COMMANDS, install_all
from bot.features.schedule.calendar import MeetingInfo, calendar_for, meetings_in_file
from bot.features.wiring import Planning, Wiring
from bot.outbox.dispatcher import Dispatcher
from bot.outbox.leader import LeaderElection
from bot.outbox.ratelimit import SAFETY_MARGIN, RateLimiter
from bot.outbox.scheduler import Scheduler
from bot.outbox.sender import OutboxSender
from bot.teams.access_log import PrivateAccessLogger
from bot.teams.connector import close_adapter, create_fast_adapter
from bot.teams.downloads import Downloads
from bot.teams.endpoint import health_route, messages_route
from bot.teams.http_files import CalendarLoader, calendar_route, download_route
from bot.teams.outgoing import Outgoing, ReplyGate
from bot.teams.proactive import Messenger
from bot.teams.serving import serve
from storage.coordinators import CoordinatorRepository
from storage.db import create_engine, migrate, session_factory
from storage.downloads import DownloadRepository
from storage.evaluations import EvaluationRepository
from storage.outbox import Outbox
from storage.people import PeopleRepository
from storage.projects import ProjectRepository
from storage.registrations import RegistrationRepository
from storage.state import LeanConversationState, LeanUserState, SqlStorage

log = logging.getLogger("dalalab")


def system_clock() -> datetime:
    return datetime.now(UTC)


class BotFrameworkConfig:
    """The attribute names botbuilder's ConfigurationBotFrameworkAuthentication reads."""

    def __init__(self, settings: Settings) -> None:
        self.APP_ID = settings.app_id
        self.APP_PASSWORD = settings.app_password
        # With no app id (local Agents Playground) authentication is off; botbuilder only allows
        # that on its MultiTenant path, so SingleTenant is asked for only when there are credentials.
        self.APP_TYPE = settings.app_type if settings.app_id else "MultiTenant"
        self.APP_TENANTID = settings.app_tenant_id
        if settings.openid_metadata_url:
            self.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = settings.openid_metadata_url
        if settings.token_issuer:
            self.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER = settings.token_issuer


def create_adapter(settings: Settings, limiter: RateLimiter | None = None) -> CloudAdapter:
    # Connector clients are reused per service URL and replies go over one pooled aiohttp session
    # (bot/teams/connector.py): the stock adapter rebuilds both on every turn. Replies are size-checked and
    # share the outbox's rate limits and retries (bot/teams/outgoing.py).
    adapter = create_fast_adapter(BotFrameworkConfig(settings))
    adapter.outgoing = Outgoing(ReplyGate(limiter or default_limiter()), settings.max_message_bytes)

    async def on_turn_error(context: TurnContext, error: Exception) -> None:
        # Users get a short Swedish apology, never a stack trace; the log gets the details.
        log.exception("turn failed (activity type %s)", context.activity.type, exc_info=error)
        try:
            with use_language(language_of(context.activity.locale, settings.language)):
                await context.send_activity(t("error.technical"))
        except Exception:  # noqa: BLE001 - the connector itself is failing; the log has the cause
            log.warning("could not tell the user about the failed turn")

    adapter.on_turn_error = on_turn_error
    return adapter


def default_limiter() -> RateLimiter:
    """Teams' rate limits, shared by everything one process sends (replies and the outbox)."""
    return RateLimiter(time.monotonic, margin=SAFETY_MARGIN)


@dataclass
class Components:
    bot: DalaLabBot
    projects: ProjectRepository
    downloads: Downloads
    planner: Planning
    dispatcher: Dispatcher
    results: EvaluationResults
    scheduler: Scheduler | None = None
    leader: LeaderElection | None = None
    storage: SqlStorage | None = None


def build_bot(settings: Settings, sessions: async_sessionmaker[AsyncSession], adapter: BotAdapter,
              clock: Clock = system_clock, limiter: RateLimiter | None = None) -> Components:
    """The bot with its features, over the given database and adapter (tests pass a TestAdapter).
    ``limiter``: the outbound rate limits (Teams' own by default; the fan-out benchmark lifts them)."""
    people = PeopleRepository(sessions)
    projects = ProjectRepository(sessions)
    registrations = RegistrationRepository(sessions)
    outbox = Outbox(sessions, timedelta(seconds=settings.stale_claim_seconds))
    downloads = Downloads(DownloadRepository(sessions))
    messenger = Messenger(adapter, people, settings.app_id, settings.max_message_bytes)
    evaluations = EvaluationRepository(sessions)
    results = EvaluationResults(evaluations, projects, clock, settings.anonymity_threshold)
    storage = SqlStorage(sessions)
    conversation_state = LeanConversationState(storage)
    components = Components(None, projects, downloads, None, None, results, storage=storage)  # type: ignore[arg-type]
    coordinators = CoordinatorRepository(sessions)
    wiring = Wiring(settings, sessions, clock, messenger, outbox, downloads, people, projects, registrations,
                    coordinators, conversation_state, lambda: components.scheduler,
                    RegistrationService(projects, registrations, clock),
                    RegistrationNotices(messenger, settings.base_url), results, OutboxSender(messenger))
    install_all(wiring)
    components.planner = Planning(tuple(wiring.planners))
    components.dispatcher = Dispatcher(outbox, wiring.sender, limiter or default_limiter(), clock,
                                       lease_seconds=settings.stale_claim_seconds, zone=settings.zone)
    components.bot = DalaLabBot(settings, people, conversation_state, LeanUserState(storage), wiring.routes,
                                COMMANDS, coordinators, clock, messenger)
    return components


def create_app(settings: Settings, clock: Clock | None = None) -> web.Application:
    settings.refuse_unsafe_test_hooks()
    test_clock = AdjustableClock() if settings.test_hooks else None
    clock = clock or test_clock or system_clock
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    limiter = default_limiter()
    adapter = create_adapter(settings, limiter)
    components = build_bot(settings, sessions, adapter, clock, limiter)

    app = web.Application(client_max_size=settings.max_request_bytes)
    app.router.add_post("/api/messages", messages_route(adapter, components.bot, require_token=settings.authenticated))
    app.router.add_get("/healthz", health_route(engine))
    app.add_routes([download_route(components.downloads, clock),
                    calendar_route(calendar_loader(components.projects)),
                    chart_route(components.results)])
    if test_clock is not None:
        app.add_routes(test_routes(test_clock, components))

    async def on_startup(_app: web.Application) -> None:
        await migrate(engine)
        if settings.demo_project:
            project = await load_demo_project(sessions, settings.zone)
            log.info("demo project loaded: %s", project.slug)
        components.leader = scheduler_leadership(settings, engine, components, clock)
        await components.leader.start()
        # What start-up built (modules, SDK models, compiled statements) lives as long as the process:
        # moved out of the collector's reach, the collections during turns only walk new objects.
        gc.collect()
        gc.freeze()
        gc.set_threshold(*GC_THRESHOLDS)
        log.info("database migrated; listening for Bot Framework activities")

    async def on_shutdown(_app: web.Application) -> None:
        # SIGTERM: aiohttp has stopped listening; sends under way finish, the lock goes to a standby.
        if components.leader is not None:
            await components.leader.stop()

    async def on_cleanup(_app: web.Application) -> None:
        if components.scheduler is not None:
            components.scheduler.stop()
        await close_adapter(adapter)
        if components.storage is not None:
            components.storage.close()
        await engine.dispose()

    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
    app.on_cleanup.append(on_cleanup)
    return app


GC_THRESHOLDS = (2000, 10, 100)
"""The cyclic collector's thresholds (Python's are 700, 10, 10), measured on CPython 3.11. A turn frees what it
made by reference counting (tests/test_garbage.py), so the collector finds next to nothing; what it costs is
pauses, and a full collection walks every long-lived object and stops every turn under way (10-50 ms at 16
concurrent turns with a few thousand people known). Under load, Python's thresholds ran one a second: in-flight
turns' objects survive the younger collections and count towards the next full one. A full collection now waits
for 100 middle-generation passes (about 1,000 young ones): every ten seconds or more under load. 2,000 new
objects between young collections (a turn makes a few thousand) promote fewer of a turn's objects at all."""


SHUTDOWN_GRACE = 30.0
"""Seconds the scheduler's running jobs (a dispatch under way) get to finish when it stops."""


def scheduler_leadership(settings: Settings, engine: AsyncEngine, components: Components,
                         clock: Clock) -> LeaderElection:
    """The scheduler runs only while this process holds the leader lock (bot/outbox/leader.py). Claims that
    go stale are taken over on the next dispatch, so the dispatcher runs at least once per lease."""
    lease = settings.stale_claim_seconds

    async def elected() -> None:
        components.dispatcher.resume()
        components.scheduler = Scheduler(components.dispatcher.run_once, components.planner.plan_all, clock,
                                         dispatch_every=min(15.0, lease))
        components.scheduler.start()

    async def deposed() -> None:
        scheduler, components.scheduler = components.scheduler, None
        components.dispatcher.stop()
        if scheduler is not None:
            await scheduler.stop_gracefully(SHUTDOWN_GRACE)
        log.info("scheduler stopped")

    return LeaderElection(engine, elected, deposed, retry_every=min(10.0, max(1.0, lease / 3)))


def test_routes(clock: AdjustableClock, components: Components) -> list[web.RouteDef]:
    """Local-only hooks for end-to-end tests: move the bot's clock, run the scheduled jobs now."""

    async def advance(request: web.Request) -> web.Response:
        body = await request.json()
        now = clock.advance(float(body.get("seconds", 0)))
        return web.json_response({"now": now.isoformat()})

    async def run_jobs(_request: web.Request) -> web.Response:
        with use_now(clock()):
            plan = await components.planner.plan_all()
        report = await components.dispatcher.run_once()
        return web.json_response({"planned": plan.planned, "updates": plan.updates, "sent": report.sent,
                                  "retried": report.retried, "failed": report.failed, "skipped": report.skipped})

    return [web.post("/_test/clock", advance), web.post("/_test/run-jobs", run_jobs)]


def chart_route(results: EvaluationResults) -> web.RouteDef:
    """GET /charts/{token}.png: a closed evaluation's bar chart (aggregates only, never answers)."""

    async def chart(request: web.Request) -> web.Response:
        data = await results.chart(request.match_info["token"])
        if data is None:
            return web.Response(status=404, text="not found")
        return web.Response(body=data, content_type="image/png", headers={"Cache-Control": "private, max-age=3600"})

    return web.get(r"/charts/{token:[A-Za-z0-9_-]{10,100}}.png", chart)


def calendar_loader(projects: ProjectRepository) -> CalendarLoader:
    async def load(token: str, name: str) -> bytes | None:
        project = await projects.by_calendar_token(token)
        if project is None:
            return None
        wanted = meetings_in_file(name, (m.number for m in project.meetings))
        meetings = [MeetingInfo.from_model(m, project.name) for m in project.meetings if m.number in wanted]
        if not meetings:
            return None
        # One cancelled meeting's own file is a cancellation (METHOD:CANCEL) of the entry it added.
        method = "CANCEL" if name.startswith("traff-") and meetings[0].cancelled else "PUBLISH"
        return calendar_for(project.name, meetings, method)

    return load


def main() -> None:
    configure_logging()
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"dalalab-bot: {error}", file=sys.stderr)
        raise SystemExit(2) from error
    serve(create_app(settings), settings.host, settings.port, PrivateAccessLogger)


if __name__ == "__main__":
    main()
