"""The report's chart of participants per meeting: within Teams' 1024 px, legible at a phone's 340 px,
whole numbers on the axis, written the Swedish way."""

from __future__ import annotations

import io
from types import SimpleNamespace
from typing import Any

import pytest
from PIL import Image

from bot.features.report.chart import participants_figure, participants_png
from tests.bot.features.results.test_chart import LEGIBLE_PX, smallest_text_on_a_phone


def report(*participants: int) -> Any:
    return SimpleNamespace(held=[SimpleNamespace(number=n, participants=p) for n, p in enumerate(participants, 1)])


def axis_labels(figure: Any) -> list[str]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure).draw()
    return [label.get_text() for label in figure.axes[0].get_yticklabels() if label.get_text()]


def test_the_png_is_within_teams_limits() -> None:
    with Image.open(io.BytesIO(participants_png(report(12, 15, 9, 14, 11, 13, 10, 12, 15, 8)))) as image:
        assert image.size[0] <= 1024 and image.size[1] <= 1024 and image.size[0] >= 1000


def test_every_text_is_legible_at_a_phones_width() -> None:
    assert smallest_text_on_a_phone(participants_figure(report(12, 15, 9, 14))) >= LEGIBLE_PX


@pytest.mark.parametrize("participants", [(1, 2), (2, 3, 1), (0, 1)])
def test_few_participants_give_whole_numbers_on_the_axis(participants: tuple[int, ...]) -> None:
    labels = axis_labels(participants_figure(report(*participants)))
    assert labels and all(label.isdigit() for label in labels), labels  # never 1.25 or 2,5


def test_large_numbers_are_written_the_swedish_way() -> None:
    labels = axis_labels(participants_figure(report(1200, 1500, 900)))
    assert "1\xa0000" in labels and not any("," in label or "." in label for label in labels), labels
