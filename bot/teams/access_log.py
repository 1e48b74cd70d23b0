"""The HTTP access log without secrets: download, calendar and chart addresses are unguessable
tokens that give access to personal data or project files, so the log shows them shortened.
aiohttp's default line would also keep the client's address and user agent; neither is needed."""

from __future__ import annotations

import re

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, StreamResponse

_TOKEN = re.compile(r"^/(downloads|calendar|charts)/([^/.]{4})[^/.]*")


def without_tokens(path: str) -> str:
    """ "/downloads/AbCdEf..." -> "/downloads/AbCd…" (enough to tell requests apart, not to fetch)."""
    return _TOKEN.sub(lambda match: f"/{match.group(1)}/{match.group(2)}…", path)


class PrivateAccessLogger(AbstractAccessLogger):
    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        self.logger.info("%s %s %s %.3f s", request.method, without_tokens(request.path), response.status, time)
