"""The local development stack: the bot on SQLite plus the Microsoft 365 Agents Playground.

``python scripts/devstack.py`` starts both (with the demo project) and prints the address to
open in a browser; the end-to-end tests start the same stack on free ports.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLAYGROUND_CONFIG = ROOT / "tests" / "e2e" / "playground.yml"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_http(url: str, timeout: float, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


@dataclass
class Stack:
    bot: subprocess.Popen[bytes]
    playground: subprocess.Popen[bytes]
    bot_port: int
    playground_port: int
    workdir: Path

    @property
    def bot_url(self) -> str:
        return f"http://127.0.0.1:{self.bot_port}"

    @property
    def playground_url(self) -> str:
        # The playground listens on "localhost" (IPv6 on some machines), not always 127.0.0.1.
        return f"http://localhost:{self.playground_port}"

    def stop(self) -> None:
        for process in (self.playground, self.bot):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in (self.playground, self.bot):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def start_stack(
    workdir: Path,
    env: dict[str, str] | None = None,
    bot_port: int | None = None,
    playground_port: int | None = None,
    quiet: bool = True,
) -> Stack:
    """Start the bot (``python app.py``) and the playground pointed at it, and wait for both."""
    workdir.mkdir(parents=True, exist_ok=True)
    bot_port = bot_port or free_port()
    playground_port = playground_port or free_port()
    bot_env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(bot_port),
        "DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'dalalab.db'}",
        "MicrosoftAppId": "",
        **(env or {}),
    }
    bot = _spawn([sys.executable, str(ROOT / "app.py")], workdir, bot_env, workdir / "bot.log" if quiet else None)
    wait_for_http(f"http://127.0.0.1:{bot_port}/healthz", 60, bot)
    shutil.copy(PLAYGROUND_CONFIG, workdir / ".m365agentsplayground.yml")
    node = shutil.which("node") or "node"
    playground = _spawn(
        [node, str(ROOT / "scripts" / "playground.js"), "start", "-e",
         f"http://127.0.0.1:{bot_port}/api/messages", "-c", "msteams", "-p", str(playground_port), "--dt"],
        workdir, {**os.environ, "BROWSER": "none"}, workdir / "playground.log" if quiet else None,
    )
    try:
        wait_for_http(f"http://localhost:{playground_port}/_debug/ping", 60, playground)
    except Exception:
        bot.terminate()
        playground.terminate()
        raise
    return Stack(bot, playground, bot_port, playground_port, workdir)


def _spawn(command: list[str], cwd: Path, env: dict[str, str], log: Path | None) -> subprocess.Popen[bytes]:
    """Start ``command``; its output goes to ``log`` (the child keeps its own handle) or the terminal."""
    if log is None:
        return subprocess.Popen(command, cwd=cwd, env=env)
    with open(log, "wb") as output:
        return subprocess.Popen(command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT)


def main() -> None:
    workdir = ROOT / "run"
    stack = start_stack(
        workdir,
        env={"DEMO_PROJECT": "1", "BOT_LANGUAGE": os.environ.get("BOT_LANGUAGE", "sv")},
        bot_port=int(os.environ.get("PORT", "3978")),
        playground_port=int(os.environ.get("PLAYGROUND_PORT", "56150")),
        quiet=False,
    )
    print(f"\nDalaLab-boten kör på {stack.bot_url}/api/messages (SQLite: {workdir / 'dalalab.db'})")
    print(f"Öppna Agents Playground i webbläsaren: {stack.playground_url}\n(Ctrl+C avslutar)")
    try:
        while stack.bot.poll() is None and stack.playground.poll() is None:
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
