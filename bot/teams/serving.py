"""Serving the app: aiohttp's ``run_app``, plus a deadline for request headers.

aiohttp has a body size limit but no time limit on reading a request's headers: a client that sends
them a byte at a time holds a connection (and a slot of the process) as long as it likes, and the
keep-alive timer does not close such a connection. ``HeaderDeadline`` wraps each connection's protocol
and closes the connection when the first request's headers are not complete within ``HEADER_TIMEOUT``.
Shutdown works as in ``run_app``: SIGTERM stops accepting, in-flight requests finish, then the app's
cleanup runs (tests/test_graceful_shutdown.py)."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.web_runner import BaseSite

log = logging.getLogger(__name__)

HEADER_TIMEOUT = 10.0
_END_OF_HEADERS = b"\r\n\r\n"


class HeaderDeadline(asyncio.Protocol):
    """A connection's protocol (aiohttp's request handler) behind a deadline for the first headers."""

    def __init__(self, inner: asyncio.Protocol, timeout: float) -> None:
        self._inner = inner
        self._timeout = timeout
        self._tail = b""
        self._timer: asyncio.TimerHandle | None = None
        self._transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport
        self._timer = asyncio.get_running_loop().call_later(self._timeout, self._too_slow)
        self._inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self._timer is not None:
            self._tail = (self._tail + data)[-(len(data) + len(_END_OF_HEADERS)):]
            if _END_OF_HEADERS in self._tail:
                self._timer.cancel()
                self._timer, self._tail = None, b""
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._inner.resume_writing()

    def _too_slow(self) -> None:
        self._timer = None
        log.info("closed a connection whose request headers did not arrive within %.0f s", self._timeout)
        if self._transport is not None:
            self._transport.close()


class DeadlineSite(web.TCPSite):
    """A TCP site whose connections get ``HeaderDeadline``."""

    def __init__(self, runner: web.BaseRunner, host: str, port: int, header_timeout: float = HEADER_TIMEOUT) -> None:
        super().__init__(runner, host, port)
        self._header_timeout = header_timeout

    async def start(self) -> None:
        await BaseSite.start(self)
        server = self._runner.server
        assert server is not None
        timeout = self._header_timeout
        self._server = await asyncio.get_running_loop().create_server(
            lambda: HeaderDeadline(server(), timeout), self._host, self._port, backlog=self._backlog)
        self._bound_port = self._server.sockets[0].getsockname()[1] if self._server.sockets else self._port


async def _serve(app: web.Application, host: str, port: int, access_log_class: type[AbstractAccessLogger],
                 header_timeout: float) -> None:
    runner = web.AppRunner(app, handle_signals=True, access_log_class=access_log_class)
    await runner.setup()
    try:
        await DeadlineSite(runner, host, port, header_timeout).start()
        await asyncio.Event().wait()  # until SIGTERM/SIGINT raise GracefulExit out of the loop
    finally:
        await runner.cleanup()


def serve(app: web.Application, host: str, port: int, access_log_class: type[AbstractAccessLogger],
          header_timeout: float = HEADER_TIMEOUT) -> None:
    """``web.run_app`` for one host and port, with the header deadline; returns after SIGTERM/SIGINT
    once in-flight requests and the app's cleanup are done."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    main = loop.create_task(_serve(app, host, port, access_log_class, header_timeout))
    try:
        loop.run_until_complete(main)
    except (web.GracefulExit, KeyboardInterrupt):
        pass
    finally:
        try:
            if not main.done():
                main.cancel()
                with suppress(asyncio.CancelledError):
                    loop.run_until_complete(main)
        finally:
            _cancel_remaining(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()


def _cancel_remaining(loop: asyncio.AbstractEventLoop) -> None:
    remaining: set[asyncio.Task[Any]] = asyncio.all_tasks(loop)
    for task in remaining:
        task.cancel()
    if remaining:
        loop.run_until_complete(asyncio.gather(*remaining, return_exceptions=True))
