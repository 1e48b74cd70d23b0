"""Gathering a project's report: registrations, check-ins, absences and substitutes, the closed
evaluations, case examples and homework, turned into figures by ``bot.features.report.rules``."""

from __future__ import annotations

from bot.core.clock import Clock
from bot.features.evaluation.service import EvaluationResults
from bot.features.report.rules import (
    EvaluationFigures,
    MeetingFacts,
    ProjectReport,
    ReportInput,
    build_report,
    project_shares,
)
from storage.checkins import CheckInRepository
from storage.models import Project
from storage.reports import ReportRepository
from storage.substitutes import SubstituteRepository


class ReportService:
    def __init__(self, reports: ReportRepository, checkins: CheckInRepository, results: EvaluationResults,
                 clock: Clock, substitutes: SubstituteRepository) -> None:
        self._reports = reports
        self._substitutes = substitutes
        self._checkins = checkins
        self._results = results
        self._clock = clock

    async def for_project(self, project: Project) -> ProjectReport:
        present = await self._checkins.present_in_project(project.id)
        away = await self._substitutes.absence([m.id for m in project.meetings])
        meetings = [MeetingFacts(m.id, m.number, m.title, m.starts_at, frozenset(present.get(m.id, set())),
                                 away[m.id].absent, away[m.id].substitutes)
                    for m in project.meetings]
        results = await self._results.for_project(project)
        evaluation = EvaluationFigures(results.results, project_shares(results.results, results.questions),
                                       results.summary)
        return build_report(ReportInput(
            project_name=project.name,
            now=self._clock(),
            municipalities=await self._reports.municipalities(),
            registrations=await self._reports.registrations(project.id),
            meetings=meetings,
            examples_received=await self._reports.examples_received(project.id),
            assignments=await self._reports.assignments(project.id),
            evaluation=evaluation,
        ))
