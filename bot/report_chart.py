"""Participants per meeting as a bar chart (PNG, matplotlib's Agg canvas) for the report's PDF."""

from __future__ import annotations

import io

from bot.i18n import t
from bot.report import ProjectReport

WIDTH_INCHES, HEIGHT_INCHES, DPI = 6.0, 2.6, 200
BAR_COLOR = "#2171b5"


def participants_png(report: ProjectReport) -> bytes:
    """Raises ValueError when no meeting has been held (there is nothing to draw)."""
    held = report.held
    if not held:
        raise ValueError("no meeting has been held")
    # Imported here: matplotlib is slow to import and only the PDF needs it.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI, layout="constrained")
    figure.set_facecolor("white")
    axes = figure.add_subplot()
    labels = [t("report.meeting_short", number=m.number) for m in held]
    values = [m.participants for m in held]
    bars = axes.bar(labels, values, color=BAR_COLOR)
    axes.bar_label(bars, [str(v) for v in values], fontsize=8, padding=2)
    axes.set_title(t("report.chart_title"), fontsize=10)
    axes.set_ylim(0, max(values) * 1.2 + 1)
    axes.tick_params(length=0, labelsize=8)
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    axes.set_yticks([])
    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer, metadata={"Software": None})
    return buffer.getvalue()
