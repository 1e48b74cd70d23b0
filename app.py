"""Composition root: settings -> engine -> adapter -> bot -> scheduler -> aiohttp app."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from aiohttp import web
from botbuilder.core import BotAdapter, ConversationState, TurnContext, UserState
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.actions.coordinator import CoordinatorActions
from bot.actions.registration import RegistrationActions
from bot.actions.schedule import ScheduleActions
from bot.admin import load_demo_project
from bot.calendar import MeetingInfo, calendar_for
from bot.downloads import Downloads
from bot.endpoint import health_route, messages_route
from bot.handler import DalaLabBot
from bot.http_files import CalendarLoader, calendar_route, download_route
from bot.i18n import language_of, t, use_language
from bot.proactive import Messenger
from bot.registration import RegistrationService
from bot.settings import Settings, SettingsError
from storage.db import create_engine, migrate, session_factory
from storage.people import PeopleRepository
from storage.projects import ProjectRepository
from storage.registrations import RegistrationRepository
from storage.state import SqlStorage

log = logging.getLogger("dalalab")

Clock = Callable[[], datetime]


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


def create_adapter(settings: Settings) -> CloudAdapter:
    adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(BotFrameworkConfig(settings)))

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


@dataclass(frozen=True)
class Components:
    bot: DalaLabBot
    projects: ProjectRepository
    downloads: Downloads


def build_bot(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], adapter: BotAdapter, clock: Clock = system_clock
) -> Components:
    """The bot with its features, over the given database and adapter (tests pass a TestAdapter)."""
    storage = SqlStorage(sessions)
    people = PeopleRepository(sessions)
    projects = ProjectRepository(sessions)
    registrations = RegistrationRepository(sessions)
    downloads = Downloads()
    service = RegistrationService(projects, registrations, clock)
    registration_actions = RegistrationActions(service, Messenger(adapter, people, settings.app_id), settings.base_url)
    features = [
        registration_actions,
        ScheduleActions(service, settings.base_url, clock),
        CoordinatorActions(
            projects, registrations, downloads, registration_actions, settings.base_url, settings.zone, clock
        ),
    ]
    bot = DalaLabBot(settings, people, ConversationState(storage), UserState(storage), features)
    return Components(bot, projects, downloads)


def create_app(settings: Settings, clock: Clock = system_clock) -> web.Application:
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    adapter = create_adapter(settings)
    components = build_bot(settings, sessions, adapter, clock)
    bot, downloads, projects = components.bot, components.downloads, components.projects

    app = web.Application(client_max_size=settings.max_request_bytes)
    app.router.add_post("/api/messages", messages_route(adapter, bot))
    app.router.add_get("/healthz", health_route(engine))
    app.add_routes([download_route(downloads, clock), calendar_route(calendar_loader(projects))])

    async def on_startup(_app: web.Application) -> None:
        await migrate(engine)
        if settings.demo_project:
            project = await load_demo_project(sessions, settings.zone)
            log.info("demo project loaded: %s", project.slug)
        log.info("database migrated; listening for Bot Framework activities")

    async def on_cleanup(_app: web.Application) -> None:
        await engine.dispose()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app


def calendar_loader(projects: ProjectRepository) -> CalendarLoader:
    async def load(token: str, name: str) -> bytes | None:
        project = await projects.by_calendar_token(token)
        if project is None:
            return None
        meetings = [MeetingInfo.from_model(m, project.name) for m in project.meetings]
        if name != "serie":
            meetings = [m for m in meetings if f"traff-{m.number}" == name]
        return calendar_for(project.name, meetings) if meetings else None

    return load


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"dalalab-bot: {error}", file=sys.stderr)
        raise SystemExit(2) from error
    web.run_app(create_app(settings), host=settings.host, port=settings.port, print=None)


if __name__ == "__main__":
    main()
