"""Engines: SQLite (the embedded default, WAL, foreign keys on) or PostgreSQL (the scale path)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

if TYPE_CHECKING:  # alembic is imported only to migrate: an up-to-date command never loads it
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest migration's revision (store/migrations/versions): what a current database records
# in alembic_version. Kept here so that every command can check the schema without loading
# alembic and all its migration files (a third of a CLI command's start-up); a test checks it
# against alembic's own head.
SCHEMA_HEAD = "0023"


class DatabaseUrlError(ValueError):
    """A database URL we cannot use."""


def async_url(url: str) -> str:
    """The URL with the async driver we use: aiosqlite or psycopg (3)."""
    u = make_url(url)
    backend = u.get_backend_name()
    if backend == "sqlite":
        return u.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)
    if backend in ("postgresql", "postgres"):
        return u.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    shown = u.render_as_string(hide_password=True)  # a message never carries the password
    raise DatabaseUrlError(f"unsupported database {shown!r}: use sqlite:///FILE or postgresql://…")


def sync_url(url: str) -> str:
    u = make_url(async_url(url))
    if u.get_backend_name() == "sqlite":
        return u.set(drivername="sqlite").render_as_string(hide_password=False)
    return u.render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the writer; FULL sync because this is court evidence.
    # We issue BEGIN ourselves (below), so the driver must not.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def make_engine(url: str) -> AsyncEngine:
    engine = create_async_engine(async_url(url), pool_pre_ping=not is_sqlite(url))
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _begin_immediate)
    return engine


def _begin_immediate(conn: Any) -> None:
    # Take the write lock up front: a transaction that reads and then writes can otherwise fail
    # at once with "database is locked" when another process wrote in between, instead of
    # waiting its turn (busy_timeout only covers waiting for the lock, not upgrading to it).
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", sync_url(url).replace("%", "%%"))
    return cfg


def prepare(url: str) -> None:
    """Create the folder an SQLite file lives in (the embedded default's data folder)."""
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)


def upgrade(url: str) -> None:
    """Bring the database to the newest schema (what `supportfirst init` does)."""
    from alembic import command

    prepare(url)
    command.upgrade(alembic_config(url), "head")


def schema_revision(url: str) -> str | None:
    """The revision alembic recorded in the database, None when it has none (a new file)."""
    prepare(url)
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()
