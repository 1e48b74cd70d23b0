"""Evaluation charts: the PNG for the results card and the Adaptive Card chart element."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from bot.core.i18n import use_language
from bot.features.evaluation.rules import DEFAULT_QUESTIONS, Question
from bot.features.results.chart import adaptive_chart, bar_chart_png, chart_figure, chart_summaries
from bot.features.results.rules import AnswerData, MeetingAnswers, MeetingResult, summarise_meeting

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ROOT = Path(__file__).resolve().parents[4]


def result_of(steps: list[int], number: int = 2, questions: tuple[Question, ...] = DEFAULT_QUESTIONS) -> MeetingResult:
    scale_keys = [q.key for q in questions if q.kind == "scale"]
    answers = [AnswerData(dict.fromkeys(scale_keys, step), "Falu kommun") for step in steps]
    return summarise_meeting(MeetingAnswers(number, f"Träff {number}", 20, answers), questions)


def test_png_at_teams_card_size() -> None:
    png = bar_chart_png(result_of([5, 5, 4, 3, 2, 1, 4, 5]), DEFAULT_QUESTIONS)
    assert png.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG" and image.size[0] <= 1024 and image.size[1] <= 1024  # Teams' maximum
        assert image.size[0] >= 1000  # sharp at a card's full width


def test_png_grows_with_the_number_of_questions() -> None:
    questions = tuple(Question(f"q{i}", f"Påstående nummer {i} om träffen, ganska långt formulerat " * 3, "scale")
                      for i in range(6))
    base = bar_chart_png(result_of([5, 4, 1]), DEFAULT_QUESTIONS)
    png = bar_chart_png(result_of([5, 4, 1], questions=questions), questions)
    with Image.open(io.BytesIO(base)) as image:
        base_height = image.size[1]
    with Image.open(io.BytesIO(png)) as image:
        width, height = image.size
    assert width <= 1024 and base_height < height <= 1024
    many = tuple(Question(f"q{i}", f"Påstående {i}", "scale") for i in range(12))
    with Image.open(io.BytesIO(bar_chart_png(result_of([5, 4, 1], questions=many), many))) as image:
        assert image.size[0] <= 1024 and image.size[1] <= 1024


PHONE_WIDTH, LEGIBLE_PX = 340, 9.0
"""A card is about 340 px wide on a phone; text under about 9 px there cannot be read."""


def smallest_text_on_a_phone(figure: Any) -> float:
    """The height in px of the smallest text of ``figure`` when its image is shown 340 px wide."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    FigureCanvasAgg(figure).draw()
    width_px = figure.get_figwidth() * figure.dpi
    sizes = [text.get_fontsize() for text in figure.findobj(Text) if text.get_visible() and text.get_text().strip()]
    return min(sizes) * figure.dpi / 72 * PHONE_WIDTH / width_px


def test_every_text_is_legible_at_a_phones_width() -> None:
    figure = chart_figure(result_of([5, 5, 4, 3, 2, 1, 4, 5]), DEFAULT_QUESTIONS)
    assert smallest_text_on_a_phone(figure) >= LEGIBLE_PX


def test_the_axis_shows_whole_percents_in_swedish() -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    figure = chart_figure(result_of([5, 5, 4, 3, 2, 1, 4, 5]), DEFAULT_QUESTIONS)
    FigureCanvasAgg(figure).draw()
    labels = [label.get_text() for label in figure.axes[0].get_xticklabels()]
    assert labels and all(re.fullmatch(r"\d+ %", label) for label in labels), labels


def test_no_png_below_the_threshold() -> None:
    hidden = result_of([5, 4])
    assert chart_summaries(hidden, DEFAULT_QUESTIONS) == []
    with pytest.raises(ValueError, match="meeting 2"):
        bar_chart_png(hidden, DEFAULT_QUESTIONS)


def test_matplotlib_is_imported_only_when_drawing() -> None:
    code = "import sys, bot.features.results.chart; print('matplotlib' in sys.modules)"
    completed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "False"


def test_adaptive_chart_element() -> None:
    element = adaptive_chart(result_of([5, 5, 4, 3]))
    assert element["type"] == "Chart.HorizontalBar.Stacked"
    assert element["title"] == "Träff 2: svarsfördelning"
    first = element["data"][0]
    assert first["title"] == "Träffen gav mig nya kunskaper"
    assert [point["legend"] for point in first["data"]] == [
        "Inte alls", "I liten utsträckning", "I viss utsträckning", "I stor utsträckning",
        "I mycket stor utsträckning"]
    assert [point["value"] for point in first["data"]] == [0, 0, 25, 25, 50]
    assert len(element["data"]) == 3
    json.dumps(element)  # goes into a card as is


def test_adaptive_chart_fallback_is_a_factset_of_percentages() -> None:
    fallback = adaptive_chart(result_of([5, 5, 4, 3]))["fallback"]
    assert fallback["type"] == "Container"
    heading, facts = fallback["items"][:2]
    assert heading == {"type": "TextBlock", "text": "Träffen gav mig nya kunskaper (n = 4)", "weight": "Bolder",
                       "wrap": True, "spacing": "Medium"}
    assert facts["type"] == "FactSet"
    assert facts["facts"][4] == {"title": "I mycket stor utsträckning", "value": "50 % (2)"}


def test_adaptive_chart_below_the_threshold_says_so() -> None:
    assert adaptive_chart(result_of([5, 4])) == {
        "type": "TextBlock", "text": "Resultaten visas när minst 3 har svarat (hittills 2).", "wrap": True}


def test_adaptive_chart_in_english() -> None:
    with use_language("en"):
        element = adaptive_chart(result_of([5, 5, 4, 3]))
    assert element["title"] == "Meeting 2: distribution of answers"
    assert element["data"][0]["data"][0]["legend"] == "Not at all"
