"""Database fixtures: every storage test runs on SQLite and on PostgreSQL.

PostgreSQL is expected at 127.0.0.1:5432 (trust auth, database `test`); each test session makes
its own throwaway database there. Under CI=true an unreachable server fails the run; elsewhere
the PostgreSQL half of each test is skipped with the reason.
"""

from __future__ import annotations

import gc
import os
import shutil
import signal
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from store.db import upgrade
from supportfirst.bootstrap import App, bootstrap
from supportfirst.settings import Settings

pytest_plugins = ["tests.mailservers", "tests.dnsserver"]

PG_ADMIN = os.environ.get("SUPPORTFIRST_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")

# A shell without job control starts background jobs with SIGINT ignored (POSIX), and an ignored
# signal stays ignored in every child: the tests that stop `serve` with SIGINT (as Ctrl-C does)
# would then wait for ever. Handling it here gives the children the default again.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def _umask_kept() -> Iterator[None]:
    """Whatever a test does to the process umask (the CLI's entry sets 077 when run in-process)
    is undone after it: the next test's files and the mail servers' folders get the usual one."""
    umask = os.umask(0o022)
    os.umask(umask)
    yield
    os.umask(umask)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    name = f"sf_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as e:
        reason = f"PostgreSQL is not reachable at {PG_ADMIN}: {str(e).strip().splitlines()[0]}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (CI=true: storage tests must run on PostgreSQL)")
        pytest.skip(reason)
    admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    yield url
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "supportfirst.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    url: str = request.getfixturevalue("pg_url")
    truncate(url)
    yield url
    # A PostgreSQL connection this test left open (an engine not disposed, a task still querying
    # when it was) is collected now and fails this test, not whichever later one (SQLite's
    # included) the collector happens to run in.
    gc.collect()


def truncate(url: str) -> None:
    """Empty every table of the session's PostgreSQL database (each test starts empty)."""
    with psycopg.connect(url, autocommit=True) as c:
        tables = [
            r[0]
            for r in c.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            )
        ]
        c.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


@pytest.fixture
async def app(db_url: str, tmp_path: Path) -> AsyncIterator[App]:
    application = bootstrap(Settings(data_dir=tmp_path / "data"), db_url, migrate=False)
    yield application
    await application.close()


async def dump(application: App) -> dict[str, list[dict[str, object]]]:
    """Every row of every table: to prove a rejected import left the database as it was."""
    out: dict[str, list[dict[str, object]]] = {}
    async with application.engine.connect() as conn:
        from sqlmodel import SQLModel

        for table in SQLModel.metadata.sorted_tables:
            rows = (await conn.execute(text(f'SELECT * FROM "{table.name}"'))).all()
            out[table.name] = sorted((dict(r._mapping) for r in rows), key=repr)
    return out
