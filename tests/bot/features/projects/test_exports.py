"""A project exported to YAML imports back unchanged: from a spec, through the database, and through
the admin command line (operators keep their files)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.admin import main
from bot.features.evaluation.rules import Question
from bot.features.projects.exports import project_yaml
from bot.features.projects.spec import MeetingSpec, ProjectSpec, parse_project_yaml
from storage.projects import ProjectRepository, spec_of

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, month, day, hour, minute, tzinfo=UTC)


FULL = ProjectSpec(
    slug="landsbygd-2027",
    name="Service på landsbygden: 10:00 # inte en kommentar",
    description="Rad ett\n\nRad två med \"citat\" och: kolon",
    quota_per_organisation=2,
    capacity=40,
    registration_deadline=at(4, 14, 22),  # midnight after 14 April, Stockholm summer time
    state="planned",
    registration_closed=True,
    contact="Linnea Hassis, 023-77 70 04",
    meetings=(
        MeetingSpec(1, "Start", at(5, 3, 8), at(5, 3, 13), place="Falun", programme="- fika\n- pass"),
        MeetingSpec(2, "2030", at(11, 29, 9, 30), at(11, 29, 14), online_link="https://teams.example/x",
                    cancelled=True),
    ),
    reminders="3d,morning",
    evaluation_questions=(Question("useful", "Användbart?", "scale", True), Question("tips", "Tips", "text")),
)


@pytest.mark.parametrize("spec", [FULL, replace(FULL, evaluation_questions=None, capacity=None,
                                                registration_deadline=at(4, 14, 14, 30), description="",
                                                registration_closed=False, state="open")])
def test_a_spec_written_as_yaml_reads_back_the_same(spec: ProjectSpec) -> None:
    assert parse_project_yaml(project_yaml(spec, STOCKHOLM), STOCKHOLM) == spec


async def test_a_stored_project_exports_to_a_file_that_imports_back_unchanged(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    projects = ProjectRepository(sessions)
    stored = await projects.save(FULL, -1)
    text = project_yaml(spec_of(stored), STOCKHOLM)
    assert parse_project_yaml(text, STOCKHOLM) == spec_of(stored) == FULL
    again = await projects.upsert(parse_project_yaml(text, STOCKHOLM))
    assert [(m.uid, m.sequence, m.cancelled_at) for m in again.meetings] == [
        (m.uid, m.sequence, m.cancelled_at) for m in stored.meetings]


async def test_export_command_prints_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    database = f"sqlite+aiosqlite:///{tmp_path}/admin.db"
    source = tmp_path / "in.yaml"
    source.write_text(project_yaml(FULL, STOCKHOLM), encoding="utf-8")

    async def run(*argv: str) -> int:
        return await asyncio.to_thread(main, [*argv, "--database-url", database], {})

    assert await run("import", str(source)) == 0
    capsys.readouterr()
    assert await run("export", FULL.slug) == 0
    assert parse_project_yaml(capsys.readouterr().out, STOCKHOLM) == FULL
    assert await run("export", "finns-inte") == 2
    assert "finns-inte" in capsys.readouterr().err
