from alembic import context
from sqlalchemy import create_engine, event
from sqlmodel import SQLModel

from store import (  # noqa: F401  (registers the tables on the metadata)
    address_tables,
    chat_tables,
    roll_tables,
    tables,
    web_tables,
)

config = context.config
url = config.get_main_option("sqlalchemy.url")


def _fk_on(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _ours(obj, name, type_, reflected, compare_to):
    # slack_sdk owns its installation tables (migration 0007): autogenerate leaves them be.
    return not (type_ == "table" and name.startswith("slack_"))


engine = create_engine(url)
if engine.dialect.name == "sqlite":
    event.listen(engine, "connect", _fk_on)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=engine.dialect.name == "sqlite",
        include_object=_ours,
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
