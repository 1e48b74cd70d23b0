"""Charts of one meeting's evaluation for the coordinator's results card: a PNG rendered server-side
with matplotlib, and an Adaptive Card chart element with a plain FactSet fallback.

Both show only what ``bot.features.results.rules`` lets through (nothing below the anonymity threshold).
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.core.i18n import format_number, t
from bot.features.evaluation.rules import SCALE_STEPS, Question
from bot.features.results.rules import MeetingResult, ScaleSummary, step_percents

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# ColorBrewer "Blues": sequential (the scale is ordered) and distinguishable with the common
# colour-vision deficiencies; the darkest steps are the "i stor / mycket stor" answers.
PALETTE = ("#deebf7", "#9ecae1", "#4292c6", "#2171b5", "#08306b")
WHITE_LABELS = (False, False, False, True, True)
"""Per step: white percent labels where that contrasts better with the bar than near-black."""
CARD_COLORS = ("sequential1", "sequential3", "sequential5", "sequential7", "sequential8")
WIDTH_INCHES, BASE_HEIGHT_INCHES, MAX_HEIGHT_INCHES, DPI = 3.4, 2.4, 3.4, 300
"""1020 px wide and at most 1020 px high (Teams shows images up to 1024 x 1024). Drawn on a 3.4-inch
page, so that on a phone, where a card is about 340 px wide, a 7-point text is about 10 px high."""
QUESTIONS_IN_BASE_HEIGHT, INCHES_PER_EXTRA_QUESTION = 3, 0.4
MIN_LABELLED_SHARE = 0.16
"""Segments narrower than this get no percent label: it would not fit."""
LABEL_WIDTH, LABEL_LINES = 16, 3
FONT_SIZE, TITLE_SIZE = 7, 8
"""Points; nothing in the chart is smaller than FONT_SIZE."""


def chart_summaries(result: MeetingResult, questions: Sequence[Question]) -> list[ScaleSummary]:
    """The shown scale summaries in question order; empty when there is nothing to chart."""
    if not result.shown:
        return []
    summaries = (result.scale(q.key) for q in questions if q.kind == "scale")
    return [summary for summary in summaries if summary is not None and summary.shown]


def bar_chart_png(result: MeetingResult, questions: Sequence[Question]) -> bytes:
    """A 100 % stacked bar per scale question. Raises ValueError when nothing may be shown: check
    ``chart_summaries`` (or ``result.shown``) first."""
    # Imported here: matplotlib takes a noticeable time to import and only this function needs it.
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    buffer = io.BytesIO()
    # The Agg canvas directly: no pyplot, no global backend switch, nothing that needs a display.
    FigureCanvasAgg(chart_figure(result, questions)).print_png(buffer, metadata={"Software": None})
    return buffer.getvalue()


def chart_figure(result: MeetingResult, questions: Sequence[Question]) -> Figure:
    """The figure ``bar_chart_png`` draws (tests read its sizes and texts)."""
    summaries = chart_summaries(result, questions)
    if not summaries:
        raise ValueError(f"meeting {result.meeting_number} has no results that may be shown")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_INCHES, _height(len(summaries))), dpi=DPI, layout="constrained")
    figure.set_facecolor("white")
    axes = figure.add_subplot()
    _draw_bars(axes, summaries)
    figure.suptitle(t("evaluation_results.chart_title", number=result.meeting_number), fontsize=TITLE_SIZE)
    handles, labels = axes.get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncols=2, fontsize=FONT_SIZE, frameon=False)
    return figure


def _height(questions: int) -> float:
    extra = max(0, questions - QUESTIONS_IN_BASE_HEIGHT)
    return min(MAX_HEIGHT_INCHES, BASE_HEIGHT_INCHES + extra * INCHES_PER_EXTRA_QUESTION)


def _draw_bars(axes: Axes, summaries: Sequence[ScaleSummary]) -> None:
    rows = list(range(len(summaries)))
    lefts = [0.0] * len(summaries)
    percents = [step_percents(summary) for summary in summaries]
    for step in range(SCALE_STEPS):
        widths = [summary.counts[step] / summary.answered for summary in summaries]
        axes.barh(rows, widths, left=lefts, color=PALETTE[step], edgecolor="white", linewidth=0.8,
                  label=t(f"scale.{step + 1}"))
        for row, (left, width) in enumerate(zip(lefts, widths, strict=True)):
            if width >= MIN_LABELLED_SHARE:
                axes.text(left + width / 2, row, f"{percents[row][step]} %", ha="center", va="center",
                          fontsize=FONT_SIZE, color="white" if WHITE_LABELS[step] else "#1a1a1a")
        lefts = [left + width for left, width in zip(lefts, widths, strict=True)]
    _style_axes(axes, summaries)


def _style_axes(axes: Axes, summaries: Sequence[ScaleSummary]) -> None:
    axes.set_yticks(range(len(summaries)), [_question_label(summary) for summary in summaries], fontsize=FONT_SIZE)
    axes.invert_yaxis()  # first question on top, as in the form
    axes.set_xlim(0, 1)
    # Whole percents only, written the Swedish way ("50 %"): never 12.5 with a decimal point.
    axes.set_xticks([0, 0.5, 1], ["0 %", "50 %", "100 %"], fontsize=FONT_SIZE)
    axes.tick_params(length=0)
    for side in ("top", "right", "left", "bottom"):
        axes.spines[side].set_visible(False)


def _question_label(summary: ScaleSummary) -> str:
    # At most two lines so that labels never run into each other; the full text is in the exports.
    lines = textwrap.wrap(summary.question_text, LABEL_WIDTH, max_lines=LABEL_LINES, placeholder=" …")
    return "\n".join([*lines, f"(n = {format_number(summary.answered)})"])


def adaptive_chart(result: MeetingResult) -> dict[str, Any]:
    """A ``Chart.HorizontalBar.Stacked`` element (Adaptive Cards 1.5 in Teams) of percent per step,
    with a FactSet fallback for clients without charts; a TextBlock when nothing may be shown."""
    summaries = [summary for summary in result.scales if summary.shown] if result.shown else []
    if not summaries:
        text = t("evaluation_results.hidden", threshold=result.threshold, answered=result.answered)
        return {"type": "TextBlock", "text": text, "wrap": True}
    return {
        "type": "Chart.HorizontalBar.Stacked",
        "title": t("evaluation_results.chart_title", number=result.meeting_number),
        "data": [_chart_series(summary) for summary in summaries],
        "fallback": _fallback(summaries),
    }


def _chart_series(summary: ScaleSummary) -> dict[str, Any]:
    return {
        "title": summary.question_text,
        "data": [
            {"legend": t(f"scale.{step + 1}"), "value": percent, "color": CARD_COLORS[step]}
            for step, percent in enumerate(step_percents(summary))
        ],
    }


def _fallback(summaries: Sequence[ScaleSummary]) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    for summary in summaries:
        items.append({"type": "TextBlock", "text": f"{summary.question_text} (n = {summary.answered})",
                      "weight": "Bolder", "wrap": True, "spacing": "Medium"})
        facts = [
            {"title": t(f"scale.{step + 1}"),
             "value": t("evaluation_results.fallback_value", percent=percent, count=summary.counts[step])}
            for step, percent in enumerate(step_percents(summary))
        ]
        items.append({"type": "FactSet", "facts": facts})
    return {"type": "Container", "items": items}
