"""The bot as a separate process (``python app.py``), for tests that kill it or stop it with a signal."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
_INHERITED_NOT = ("Microsoft", "DALALAB_", "DATABASE_URL", "PUBLIC_URL", "DEMO_PROJECT", "COORDINATOR_IDS", "PORT",
                  "HOST", "RETENTION_DAYS", "QUIET_HOURS", "BOT_LANGUAGE")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class BotProcess:
    process: asyncio.subprocess.Process
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    async def wait_for_log(self, text: str, seconds: float = 30.0) -> None:
        for _ in range(int(seconds / 0.1)):
            if text in self.log_text():
                return
            if self.process.returncode is not None:
                break
            await asyncio.sleep(0.1)
        raise AssertionError(f"{text!r} not in the log of {self.log.name}:\n{self.log_text()[-3000:]}")


async def start_bot(workdir: Path, name: str, env: dict[str, str]) -> BotProcess:
    """Start the bot on a free port (its output in ``<workdir>/<name>.log``) and wait until /healthz answers."""
    port = free_port()
    log = workdir / f"{name}.log"
    environment = {k: v for k, v in os.environ.items() if not k.startswith(_INHERITED_NOT)}
    environment.update({"HOST": "127.0.0.1", "PORT": str(port), "MicrosoftAppId": "", "PYTHONUNBUFFERED": "1",
                        "BOT_LANGUAGE": "sv", "QUIET_HOURS": "off", **env})
    with _log_file(log) as output:  # the child keeps its own handle
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(ROOT / "app.py"), cwd=workdir, env=environment, stdout=output,
            stderr=subprocess.STDOUT)
    bot = BotProcess(process, port, log)
    async with aiohttp.ClientSession() as session:
        for _ in range(600):
            if process.returncode is not None:
                raise AssertionError(f"{name} exited with {process.returncode}:\n{bot.log_text()[-3000:]}")
            try:
                async with session.get(f"{bot.url}/healthz") as response:
                    if response.status == 200:
                        return bot
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    process.kill()
    raise AssertionError(f"{name} did not become healthy:\n{bot.log_text()[-3000:]}")


def _log_file(path: Path) -> BinaryIO:
    return path.open("wb")


async def stop(bot: BotProcess) -> None:
    """Make sure the process is gone (a test that failed half-way must not leave it running)."""
    if bot.process.returncode is None:
        bot.process.kill()
    await bot.process.wait()
