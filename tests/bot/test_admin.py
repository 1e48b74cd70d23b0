"""The admin command line imports project files, loads the demo and lists projects."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.admin import load_demo_project, main
from storage.db import create_engine, migrate, session_factory
from storage.models import Project
from storage.projects import ProjectRepository

PROJECT_FILE = """\
slug: hemuppgifter-2027
name: Hemuppgifter och triadsamtal
registration_deadline: "2027-03-01 16:00"
meetings:
  - number: 1
    title: Start
    date: 2027-03-15
    start: "09:30"
    end: "12:00"
    place: Borlänge
"""


def year_unless(year: int) -> str:
    """The CLI runs on the real clock: a date shows its year unless it is this year."""
    return "" if datetime.now(ZoneInfo("Europe/Stockholm")).year == year else f"{year} "


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    # Settings also read a .env in the working directory; an empty directory keeps the test hermetic.
    monkeypatch.chdir(tmp_path)
    return f"sqlite+aiosqlite:///{tmp_path}/admin.db"


async def run(*argv: str, env: dict[str, str] | None = None) -> int:
    """The CLI as a shell runs it: on its own thread with its own event loop (asyncio.run), so it
    neither nests in nor replaces the test's loop."""
    return await asyncio.to_thread(main, list(argv), {} if env is None else env)


async def stored(database: str, slug: str) -> Project | None:
    engine = create_engine(database)
    try:
        return await ProjectRepository(session_factory(engine)).by_slug(slug)
    finally:
        await engine.dispose()


async def test_import_creates_and_updates(database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "projekt.yaml"
    path.write_text(PROJECT_FILE, encoding="utf-8")
    assert await run("import", str(path), "--database-url", database) == 0
    out = capsys.readouterr().out
    assert "Projektet hemuppgifter-2027 är inläst." in out
    assert f"1 träffar, sista anmälningsdag måndag 1 mars {year_unless(2027)}kl. 16.00" in out
    path.write_text(PROJECT_FILE.replace("Borlänge", "Falun"), encoding="utf-8")
    assert await run("import", str(path), "--database-url", database) == 0
    project = await stored(database, "hemuppgifter-2027")
    assert project is not None and project.meetings[0].place == "Falun" and project.meetings[0].sequence == 1


async def test_demo_then_list(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert await run("demo", "--database-url", database) == 0
    assert await run("demo", "--database-url", database) == 0
    capsys.readouterr()
    assert await run("list", "--database-url", database) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "planering-2027: Planering för hållbarhet och utvecklingskraft (öppet för anmälan)",
        f"  4 träffar, sista anmälningsdag onsdag 14 april {year_unless(2027)}".rstrip(),
    ]


async def test_list_when_empty(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert await run("list", "--database-url", database) == 0
    assert "Inga projekt ännu" in capsys.readouterr().out


async def test_database_url_from_the_environment(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert await run("demo", env={"DATABASE_URL": database}) == 0
    assert await stored(database, "planering-2027") is not None


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (PROJECT_FILE.replace('end: "12:00"', 'end: "09:00"'), "Träff 1: sluttiden ('end') måste vara senare"),
        (PROJECT_FILE.replace("place:", "plats:"), "Träff 1: okänt fält 'plats'"),
        (PROJECT_FILE.replace("slug: hemuppgifter-2027\n", ""), "Fältet 'slug' saknas"),
    ],
)
async def test_bad_file_exits_2_with_a_message(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, expected: str
) -> None:
    path = tmp_path / "fel.yaml"
    path.write_text(content, encoding="utf-8")
    assert await run("import", str(path), "--database-url", database) == 2
    captured = capsys.readouterr()
    assert expected in captured.err and str(path) in captured.err
    assert "Traceback" not in captured.err and captured.out == ""
    assert not (tmp_path / "admin.db").exists()  # the file is checked before the database is touched


async def test_missing_or_unreadable_file_exits_2(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run("import", str(tmp_path / "saknas.yaml"), "--database-url", database) == 2
    assert "saknas.yaml finns inte" in capsys.readouterr().err
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes("slug: p\nname: Älvdalen\n".encode("latin-1"))
    assert await run("import", str(latin1), "--database-url", database) == 2
    assert "inte sparad som UTF-8" in capsys.readouterr().err


async def test_bad_settings_exit_2(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert await run("list", "--database-url", database, env={"TZ_NAME": "Europe/Atlantis"}) == 2
    assert "TZ_NAME" in capsys.readouterr().err


async def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        await run("radera")
    assert exit_info.value.code == 2
    assert "KOMMANDO" in capsys.readouterr().err


async def test_load_demo_project_for_the_app(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/app.db")
    try:
        await migrate(engine)
        project = await load_demo_project(session_factory(engine), ZoneInfo("Europe/Stockholm"))
        again = await load_demo_project(session_factory(engine), ZoneInfo("Europe/Stockholm"))
    finally:
        await engine.dispose()
    assert project.slug == "planering-2027" and again.id == project.id
    assert [meeting.sequence for meeting in again.meetings] == [0, 0, 0, 0]
