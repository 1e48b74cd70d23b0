"""Composition root: settings -> engine -> adapter -> bot -> scheduler -> aiohttp app."""

from __future__ import annotations

import logging
import sys

from aiohttp import web
from botbuilder.core import ConversationState, TurnContext, UserState
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

from bot.endpoint import health_route, messages_route
from bot.handler import DalaLabBot
from bot.i18n import language_of, t, use_language
from bot.settings import Settings, SettingsError
from storage.db import create_engine, migrate, session_factory
from storage.people import PeopleRepository
from storage.state import SqlStorage

log = logging.getLogger("dalalab")

ENGINE = web.AppKey("engine", object)


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


def create_app(settings: Settings) -> web.Application:
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    storage = SqlStorage(sessions)
    conversation_state = ConversationState(storage)
    user_state = UserState(storage)
    bot = DalaLabBot(settings, PeopleRepository(sessions), conversation_state, user_state)
    adapter = create_adapter(settings)

    app = web.Application(client_max_size=settings.max_request_bytes)
    app[ENGINE] = engine
    app.router.add_post("/api/messages", messages_route(adapter, bot))
    app.router.add_get("/healthz", health_route(engine))

    async def on_startup(_app: web.Application) -> None:
        await migrate(engine)
        log.info("database migrated; listening for Bot Framework activities")

    async def on_cleanup(_app: web.Application) -> None:
        await engine.dispose()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app


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
