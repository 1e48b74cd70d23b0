"""Participants per meeting as a bar chart (PNG, matplotlib's Agg canvas) for the report's PDF."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from bot.core.i18n import format_number, t
from bot.features.report.rules import ProjectReport

if TYPE_CHECKING:
    from matplotlib.figure import Figure

WIDTH_INCHES, HEIGHT_INCHES, DPI = 3.4, 2.2, 300
"""1020 x 660 px (Teams shows images up to 1024 x 1024), drawn on a 3.4-inch page so that at a phone's
340 px a 7-point text is about 10 px high."""
FONT_SIZE, TITLE_SIZE = 7, 8
BAR_COLOR = "#2171b5"


def participants_png(report: ProjectReport) -> bytes:
    """Raises ValueError when no meeting has been held (there is nothing to draw)."""
    # Imported here: matplotlib is slow to import and only the PDF needs it.
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    buffer = io.BytesIO()
    FigureCanvasAgg(participants_figure(report)).print_png(buffer, metadata={"Software": None})
    return buffer.getvalue()


def participants_figure(report: ProjectReport) -> Figure:
    held = report.held
    if not held:
        raise ValueError("no meeting has been held")
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI, layout="constrained")
    figure.set_facecolor("white")
    axes = figure.add_subplot()
    labels = [t("report.meeting_short", number=m.number) for m in held]
    values = [m.participants for m in held]
    bars = axes.bar(labels, values, color=BAR_COLOR)
    axes.bar_label(bars, [format_number(v) for v in values], fontsize=FONT_SIZE, padding=2)
    axes.set_title(t("report.chart_title"), fontsize=TITLE_SIZE)
    axes.set_ylim(0, max(values) * 1.2 + 1)
    # People are counted in whole numbers: integer ticks only, written as the language writes them (Swedish: 1 200).
    axes.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _position: format_number(round(value))))
    axes.tick_params(length=0, labelsize=FONT_SIZE)
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    return figure
