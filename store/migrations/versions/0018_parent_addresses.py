"""parent addresses: each parent's postal addresses kept as versions (parent_address), their
phone (parent.phone), and the mailbox key of their file email (parent.email_key)

The mailbox key changes meaning: plus-tags and Gmail's dots no longer make another mailbox.
consent.address_key is recomputed for every stored consent, and parent.email_key computed for
every parent, with the rule written out here (a migration is frozen and imports nothing of the
application's).

Revision ID: 0018
Revises: 0019
Create Date: 2026-12-02
"""
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0018'
down_revision = '0019'
branch_labels = None
depends_on = None

_GMAIL = ("gmail.com", "googlemail.com")


def _key(email: str) -> str:
    """attendance.consent.address_key as of this revision."""
    text = email.strip().casefold()
    local, at, domain = text.rpartition("@")
    if not at:
        return text
    local = local.split("+", 1)[0] or local
    if domain in _GMAIL:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


@contextmanager
def _foreign_keys_off() -> Iterator[None]:
    """As in 0008, copied on purpose: SQLite recreates `parent` to drop its columns, and other
    tables refer to it."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        yield
        return
    with op.get_context().autocommit_block():
        op.execute("PRAGMA foreign_keys = OFF")
    yield
    broken = bind.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        raise RuntimeError(f"foreign keys broken by the table recreation: {broken}")
    with op.get_context().autocommit_block():
        op.execute("PRAGMA foreign_keys = ON")


def _old_key(email: str) -> str:
    return email.strip().casefold()


def _rekey(table: str, id_column: str, email_column: str, key_column: str, key) -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(f"SELECT {id_column}, {email_column} FROM {table} WHERE {email_column} IS NOT NULL")
    ).all()
    for row_id, email in rows:
        bind.execute(
            sa.text(f"UPDATE {table} SET {key_column} = :key WHERE {id_column} = :id"),
            {"key": key(email), "id": row_id},
        )


def upgrade() -> None:
    op.create_table(
        'parent_address',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('parent_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('line_1', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('line_2', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('town', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('postcode', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('first_seen_on', sa.Date(), nullable=False),
        sa.Column('source', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(['parent_id'], ['parent.parent_id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('parent_address', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_parent_address_parent_id'), ['parent_id'], unique=False
        )
    with op.batch_alter_table('parent', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('email_key', sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
        batch_op.add_column(sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.create_index(batch_op.f('ix_parent_email_key'), ['email_key'], unique=False)
    _rekey("parent", "parent_id", "email", "email_key", _key)
    _rekey("consent", "id", "email", "address_key", _key)


def downgrade() -> None:
    _rekey("consent", "id", "email", "address_key", _old_key)
    with op.batch_alter_table('parent_address', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_parent_address_parent_id'))
    op.drop_table('parent_address')
    with _foreign_keys_off():
        with op.batch_alter_table('parent', schema=None) as batch_op:
            batch_op.drop_index(batch_op.f('ix_parent_email_key'))
            batch_op.drop_column('phone')
            batch_op.drop_column('email_key')
