"""The log format: one line per record. Control characters in a message (a newline in an invoke name,
an escape sequence in a display name) are written escaped, so nobody can forge or hide log lines;
tracebacks, which the formatter adds after the message, keep their lines."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_CONTROLS = {code: f"\\x{code:02x}" for code in [*range(0x20), 0x7F, *range(0x80, 0xA0)]}
_CONTROLS.update({ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t", 0x2028: "\\u2028", 0x2029: "\\u2029"})


def escape_controls(text: str) -> str:
    return text.translate(_CONTROLS)


class OneLineFormatter(logging.Formatter):
    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's API
        record.message = escape_controls(record.message)
        return super().formatMessage(record)


def configure_logging(stream: TextIO | None = None, level: int = logging.INFO) -> logging.Handler:
    """The process's logging: INFO and up, one escaped line per record."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(OneLineFormatter(FORMAT))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    return handler
