"""Logs (issue 13): a newline or escape sequence a client puts in a value cannot forge or hide a log
line; tracebacks keep their lines."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.core.log_format import configure_logging, escape_controls


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    output = io.StringIO()
    configure_logging(output)
    yield output
    root.handlers, root.level = handlers, level


def test_a_forged_line_stays_inside_one_line(log_output: io.StringIO) -> None:
    name = "composeExtension/query\n2027-05-03 10:00:00 INFO bot.features.privacy.service: person 1 erased\x1b[2J"
    logging.getLogger("bot.core.handler").info("unsupported invoke %s", name)
    lines = log_output.getvalue().splitlines()
    assert len(lines) == 1
    assert "query\\n2027-05-03" in lines[0] and "\\x1b[2J" in lines[0]


def test_tracebacks_keep_their_lines(log_output: io.StringIO) -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("x").exception("failed")
    assert log_output.getvalue().count("\n") > 2 and "Traceback" in log_output.getvalue()


def test_printable_text_is_unchanged() -> None:
    assert escape_controls("Åsa Öberg – Falu kommun") == "Åsa Öberg – Falu kommun"
