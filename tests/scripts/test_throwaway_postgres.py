"""The test command's PostgreSQL fallback: a machine without a server gets a throwaway one, which the
suite can use and which is gone when the command ends."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import asyncpg
from sqlalchemy import make_url

from scripts import throwaway_postgres

ROOT = Path(__file__).resolve().parents[2]
NOBODY_LISTENS = "postgresql+asyncpg://postgres@127.0.0.1:1/test"


async def server_version(url: str) -> str:
    parsed = make_url(url)
    connection = await asyncpg.connect(host=parsed.host, port=parsed.port, user=parsed.username,
                                       database=parsed.database)
    try:
        return str(await connection.fetchval("SHOW server_version"))
    finally:
        await connection.close()


async def test_answers_tells_a_server_from_a_closed_port() -> None:
    # The async form: the sync one runs its own event loop, which would unset pytest-asyncio's.
    assert await throwaway_postgres.server_answers(os.environ.get("TEST_DATABASE_URL", throwaway_postgres.DEFAULT_URL))
    assert not await throwaway_postgres.server_answers(NOBODY_LISTENS)


async def test_a_throwaway_server_serves_the_test_database_until_stopped() -> None:
    # Not pytest's tmp_path: as root the server runs as nobody, who cannot enter pytest's 0700 folders.
    with tempfile.TemporaryDirectory(prefix="dalalab-postgres-test.") as directory:
        url = throwaway_postgres.start(Path(directory))
        try:
            assert make_url(url).database == "test" and make_url(url).host == "127.0.0.1"
            assert (await server_version(url)).startswith("18.")
        finally:
            throwaway_postgres.stop(Path(directory))
        assert not await throwaway_postgres.server_answers(url)


def test_ensure_postgres_starts_one_where_the_machine_has_none_and_removes_it_afterwards() -> None:
    script = 'source scripts/ensure-postgres && echo "$TEST_DATABASE_URL" && echo "$_pg_dir"'
    environment = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    environment["DALALAB_MACHINE_POSTGRES"] = NOBODY_LISTENS
    done = subprocess.run(["bash", "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True,
                          timeout=120, check=True)
    url, directory = done.stdout.split()
    assert url != NOBODY_LISTENS and url.endswith("/test")
    assert "started a throwaway one" in done.stderr
    assert subprocess.run([sys.executable, "-m", "scripts.throwaway_postgres", "answers", url], cwd=ROOT,
                          check=False).returncode == 1  # stopped when the script ended
    assert not Path(directory).exists()
