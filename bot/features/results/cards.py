"""The coordinator's evaluation results card: the summary paragraph, each meeting's response
rate, a chart, the share answering "i stor eller mycket stor utsträckning", free texts (no names)."""

from __future__ import annotations

from typing import Any

from bot.core.cards import Card, card, heading, largest_that_fits, paragraph, submit
from bot.core.i18n import format_when, t
from bot.core.markdown import literal
from bot.features.evaluation.service import ProjectResults

TEXTS_SHOWN = 15
"""Free texts shown per question and meeting at most; the rest are in the Excel export."""


def results_card(project_id: int, project_name: str, results: ProjectResults, chart_base: str) -> Card:
    """The card within Teams' message size: first fewer free texts per question, then (for a long
    project) only the latest meetings; the card says what is left out and that it is in the export."""
    meetings = len(results.results)
    levels = [(shown, 0) for shown in range(1, meetings)] + [(meetings, texts) for texts in range(TEXTS_SHOWN + 1)]
    return largest_that_fits(lambda level: _results_card(project_id, project_name, results, chart_base,
                                                         *levels[level]), len(levels) - 1)


def _results_card(project_id: int, project_name: str, results: ProjectResults, chart_base: str,
                  meetings_shown: int, texts_shown: int) -> Card:
    body: list[dict[str, Any]] = [heading(t("results.title")), paragraph(literal(project_name),
                                                                               weight="Bolder")]
    if results.summary:
        body.append(paragraph(results.summary))
    for number, answered, invited, closes in results.open_progress:
        body.append(paragraph(t("results.open", number=number, answered=answered, invited=invited,
                                closes=format_when(closes)), isSubtle=True))
    hidden = len(results.results) - meetings_shown
    if hidden > 0:
        body.append(paragraph(t("results.more_meetings", count=hidden), isSubtle=True))
    for result in results.results[max(0, hidden):]:
        body.append(_meeting(result, results, chart_base, texts_shown))
    if not results.results and not results.open_progress:
        body.append(paragraph(t("results.none")))
    actions = []
    if results.results:
        actions = [submit(t("overview.export_xlsx"), "results_export", project_id=project_id, format="xlsx"),
                   submit(t("overview.export_csv"), "results_export", project_id=project_id, format="csv")]
    return card(body, actions)


def _meeting(result: Any, results: ProjectResults, chart_base: str, texts_shown: int) -> dict[str, Any]:
    items: list[dict[str, Any]] = [
        paragraph(t("results.meeting", number=result.meeting_number, title=literal(result.meeting_title)),
                  weight="Bolder"),
        paragraph(t("results.response", answered=result.answered, invited=result.invited,
                    rate=result.response_rate_percent if result.response_rate_percent is not None else 0)),
    ]
    if not result.shown:
        items.append(paragraph(t("evaluation_results.hidden", threshold=result.threshold, answered=result.answered)))
        return {"type": "Container", "separator": True, "items": items}
    token = results.charts.get(result.meeting_number)
    if token:
        items.append({"type": "Image", "url": f"{chart_base}/{token}.png", "altText":
                      t("evaluation_results.chart_title", number=result.meeting_number)})
    items.append({"type": "FactSet", "facts": [
        {"title": scale.question_text,
         "value": t("results.scale", share=scale.share_high_percent, mean=_decimal(scale.mean), n=scale.answered)}
        for scale in result.scales if scale.shown]})
    if result.by_organisation:
        items.append(paragraph(t("results.by_organisation"), weight="Bolder", size="Small"))
        items.append({"type": "FactSet", "facts": [
            {"title": t("results.group", organisation=group.organisation, n=group.answered),
             "value": ", ".join(f"{s.share_high_percent} %" for s in group.scales if s.shown)}
            for group in result.by_organisation]})
    for question in results.questions:
        texts = result.free_texts.get(question.key) or []
        if texts:
            items.append(paragraph(question.text, weight="Bolder", size="Small"))
            items += [paragraph(f"– {literal(text)}", size="Small", spacing="None") for text in texts[:texts_shown]]
            if len(texts) > texts_shown:
                items.append(paragraph(t("results.more_texts", count=len(texts) - texts_shown), size="Small",
                                       isSubtle=True, spacing="None"))
    return {"type": "Container", "separator": True, "items": items}


def _decimal(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}".replace(".", ",")
