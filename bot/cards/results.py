"""The coordinator's evaluation results card: the summary paragraph, each meeting's response
rate, a chart, the share answering "i stor eller mycket stor utsträckning", free texts (no names)."""

from __future__ import annotations

from typing import Any

from bot.cards import Card, card, heading, paragraph, submit
from bot.evaluation import ProjectResults
from bot.i18n import format_when, t


def results_card(project_id: int, project_name: str, results: ProjectResults, chart_base: str) -> Card:
    body: list[dict[str, Any]] = [heading(t("results.title")), paragraph(project_name, weight="Bolder")]
    if results.summary:
        body.append(paragraph(results.summary))
    for number, answered, invited, closes in results.open_progress:
        body.append(paragraph(t("results.open", number=number, answered=answered, invited=invited,
                                closes=format_when(closes)), isSubtle=True))
    for result in results.results:
        body.append(_meeting(result, results, chart_base))
    if not results.results and not results.open_progress:
        body.append(paragraph(t("results.none")))
    actions = []
    if results.results:
        actions = [submit(t("overview.export_xlsx"), "results_export", project_id=project_id, format="xlsx"),
                   submit(t("overview.export_csv"), "results_export", project_id=project_id, format="csv")]
    return card(body, actions)


def _meeting(result: Any, results: ProjectResults, chart_base: str) -> dict[str, Any]:
    items: list[dict[str, Any]] = [
        paragraph(t("results.meeting", number=result.meeting_number, title=result.meeting_title), weight="Bolder"),
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
            items += [paragraph(f"– {text}", size="Small", spacing="None") for text in texts[:15]]
    return {"type": "Container", "separator": True, "items": items}


def _decimal(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}".replace(".", ",")
