"""Command line for coordinators and operators: import project files, load the demo, list projects.

    python -m bot.admin import FILE.yaml [--database-url URL]
    python -m bot.admin demo [--database-url URL]
    python -m bot.admin list [--database-url URL]
    python -m bot.admin export SLUG [--database-url URL]     (the project's YAML file on stdout)

Operator output is Swedish only, so its texts live here rather than in the bot's message catalogs.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime
from importlib.resources import files
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.i18n import format_deadline, use_language
from bot.core.settings import Settings, SettingsError
from bot.features.projects.exports import project_yaml
from bot.features.projects.spec import ProjectFileError, ProjectSpec, parse_project_yaml
from storage.db import create_engine, migrate, session_factory
from storage.models import Project
from storage.projects import ProjectRepository, spec_of

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
STATE_NAMES = {
    "planned": "planerat",
    "open": "öppet för anmälan",
    "running": "pågår",
    "finished": "avslutat",
    "alumni": "alumner",
}


def demo_project_spec(zone: ZoneInfo) -> ProjectSpec:
    """The demo project shipped in bot/data/demo_project.yaml (from DalaLab's invitation)."""
    text = files("bot").joinpath("data", "demo_project.yaml").read_text(encoding="utf-8")
    return parse_project_yaml(text, zone)


async def load_demo_project(sessions: async_sessionmaker[AsyncSession], zone: ZoneInfo) -> Project:
    """Create or update the demo project; the app calls this at start-up when DEMO_PROJECT=1."""
    return await ProjectRepository(sessions).upsert(demo_project_spec(zone))


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """Run one command; returns the exit code (2 for a bad file or setting, with a message on stderr)."""
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env(env)
        spec = _read_spec(Path(args.file), settings.zone) if args.command == "import" else None
        database_url = args.database_url or settings.database_url
        if args.command == "export":
            return asyncio.run(_export(args.slug, database_url, settings.zone))
        return asyncio.run(_run(args.command, spec, database_url, settings.zone))
    except (ProjectFileError, SettingsError) as error:
        return _fail(f"Fel: {error}", EXIT_BAD_INPUT)
    except SQLAlchemyError as error:
        return _fail(f"Databasfel: {error.__class__.__name__}: {error}", EXIT_FAILED)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot.admin", description="Administrera DalaLabs lärprojekt.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="KOMMANDO")
    import_command = commands.add_parser("import", help="läs in eller uppdatera ett projekt från en YAML-fil")
    import_command.add_argument("file", metavar="FIL.yaml")
    commands.add_parser("demo", help="läs in demoprojektet (Planering för hållbarhet och utvecklingskraft)")
    commands.add_parser("list", help="visa projekten")
    export_command = commands.add_parser("export", help="skriv ut ett projekt som YAML-fil (för import)")
    export_command.add_argument("slug", metavar="SLUG")
    for command in commands.choices.values():
        command.add_argument("--database-url", help="databasens adress (annars DATABASE_URL)")
    return parser


def _read_spec(path: Path, zone: ZoneInfo) -> ProjectSpec:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise ProjectFileError(f"Filen {path} finns inte.") from error
    except UnicodeDecodeError as error:
        raise ProjectFileError(f"Filen {path} är inte sparad som UTF-8.") from error
    except OSError as error:
        raise ProjectFileError(f"Filen {path} går inte att läsa: {error.strerror}.") from error
    try:
        return parse_project_yaml(text, zone)
    except ProjectFileError as error:
        raise ProjectFileError(f"{path}: {error}") from error


async def _run(command: str, spec: ProjectSpec | None, database_url: str, zone: ZoneInfo) -> int:
    engine = create_engine(database_url)
    try:
        await migrate(engine)
        sessions = session_factory(engine)
        if command == "list":
            _print_projects(await ProjectRepository(sessions).all_projects(), zone)
            return EXIT_OK
        if spec is None:
            project = await load_demo_project(sessions, zone)
        else:
            project = await ProjectRepository(sessions).upsert(spec)
        print(f"Projektet {project.slug} är inläst.")
        _print_projects([project], zone)
        return EXIT_OK
    finally:
        await engine.dispose()


async def _export(slug: str, database_url: str, zone: ZoneInfo) -> int:
    engine = create_engine(database_url)
    try:
        await migrate(engine)
        project = await ProjectRepository(session_factory(engine)).by_slug(slug)
        if project is None:
            return _fail(f"Fel: det finns inget projekt med slug {slug!r}.", EXIT_BAD_INPUT)
        sys.stdout.write(project_yaml(spec_of(project), zone))
        return EXIT_OK
    finally:
        await engine.dispose()


def _print_projects(projects: Sequence[Project], zone: ZoneInfo) -> None:
    if not projects:
        print("Inga projekt ännu. Läs in ett med: python -m bot.admin import FIL.yaml")
    with use_language("sv"):
        for project in projects:
            print(f"{project.slug}: {project.name} ({STATE_NAMES.get(project.state, project.state)})")
            print(f"  {len(project.meetings)} träffar, {_deadline_text(project.registration_deadline, zone)}")


def _deadline_text(deadline: datetime | None, zone: ZoneInfo) -> str:
    if deadline is None:
        return "ingen sista anmälningsdag"
    # A date-only deadline is stored as midnight after that day; show the day people read in the invitation.
    return f"sista anmälningsdag {format_deadline(deadline, zone)}"


def _fail(message: str, code: int) -> int:
    print(message, file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
