"""aiohttp routes that serve export downloads and calendar (.ics) files at unguessable addresses.

Add them with ``app.add_routes([download_route(...), calendar_route(...)])``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from aiohttp import web

from bot.core.clock import Clock
from bot.core.i18n import t
from bot.teams.downloads import Downloads

CALENDAR_CONTENT_TYPE = "text/calendar; charset=utf-8"
CalendarLoader = Callable[[str, str], Awaitable[bytes | None]]
"""(calendar token, "serie" or "traff-<n>") -> the .ics file, or None when there is no such calendar."""

# The address is the only secret: keep responses out of shared caches and the token out of Referer headers.
PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
_UNSAFE_IN_QUOTED_FILENAME = re.compile(r"[^A-Za-z0-9 ._()-]")


def download_route(downloads: Downloads, clock: Clock) -> web.RouteDef:
    """GET /downloads/{token}: the export as an attachment, 404 once it has expired."""

    async def serve_download(request: web.Request) -> web.Response:
        entry = await downloads.get(request.match_info["token"], clock())
        if entry is None:
            return _not_found(t("download.not_found"))
        return web.Response(body=entry.data, headers=_file_headers(entry.content_type, entry.filename))

    return web.get("/downloads/{token}", serve_download)


def calendar_route(load_calendar: CalendarLoader) -> web.RouteDef:
    """GET /calendar/{token}/{name}.ics with name "serie" (all meetings), "serie-1-3" (a person's own
    meetings) or "traff-<n>" (one meeting)."""

    async def serve_calendar(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        data = await load_calendar(request.match_info["token"], name)
        if data is None:
            return _not_found(t("calendar.not_found"))
        return web.Response(body=data, headers=_file_headers(CALENDAR_CONTENT_TYPE, f"{name}.ics"))

    return web.get(r"/calendar/{token}/{name:serie(?:-[0-9]{1,3}){0,60}|traff-[0-9]{1,3}}.ics", serve_calendar)


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """A Content-Disposition header that keeps å, ä and ö (RFC 6266/5987 ``filename*``), with a
    plain-ASCII ``filename`` for clients that do not read ``filename*``."""
    return f"{disposition}; filename=\"{_ascii_filename(filename)}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _ascii_filename(filename: str) -> str:
    # "Anmälningar Falun.xlsx" -> "Anmalningar Falun.xlsx": drop the accents, replace what is left of
    # non-ASCII, quotes and control characters, so nothing can break out of the quoted header value.
    unaccented = "".join(ch for ch in unicodedata.normalize("NFKD", filename) if not unicodedata.combining(ch))
    return _UNSAFE_IN_QUOTED_FILENAME.sub("_", unaccented) or "download"


def _file_headers(content_type: str, filename: str) -> dict[str, str]:
    return {
        "Content-Type": content_type,
        "Content-Disposition": content_disposition(filename),
        **PRIVATE_HEADERS,
    }


def _not_found(message: str) -> web.Response:
    return web.Response(status=404, text=message, headers=PRIVATE_HEADERS)
