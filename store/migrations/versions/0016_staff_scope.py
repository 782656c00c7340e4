"""staff scope: staff members get their own id (the Slack user id becomes optional), email,
phone and the schools they work for (staff_school) or every school (all_schools); schools get
their contact details (school_contact); alert routes can be for one school; Slack workspaces
map to schools; signed Slack requests already run are remembered (slack_request_seen).

Existing staff keep their Slack user id as their id and work for every school (as before).
Existing routes are for every school.

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-02
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0016'
down_revision = '0014'
branch_labels = None
depends_on = None

_STR = sqlmodel.sql.sqltypes.AutoString


def _routes(unique: tuple[str, ...], school: str, school_value: str) -> None:
    """alert_route again, with `unique` as its unique key (and school_urn when it names it)."""
    columns = [
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', _STR(), nullable=False),
        sa.Column('destination', _STR(), nullable=False),
        sa.Column('added_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    ]
    if school:
        columns.append(sa.Column('school_urn', _STR(), nullable=False))
    op.create_table(
        'alert_route_new', *columns, sa.PrimaryKeyConstraint('id'), sa.UniqueConstraint(*unique)
    )
    op.execute(
        f"INSERT INTO alert_route_new (id, kind, destination, {school}added_at)"
        f" SELECT id, kind, destination, {school_value}added_at FROM alert_route"
    )
    op.drop_table('alert_route')
    op.rename_table('alert_route_new', 'alert_route')
    if op.get_bind().dialect.name == "postgresql":  # the copied ids: the sequence follows them
        op.execute(
            "SELECT setval(pg_get_serial_sequence('alert_route', 'id'),"
            " COALESCE(MAX(id), 0) + 1, false) FROM alert_route"
        )


def upgrade() -> None:
    op.create_table(
        'staff_member_new',
        sa.Column('id', _STR(), nullable=False),
        sa.Column('slack_user_id', _STR(), nullable=True),
        sa.Column('name', _STR(), nullable=False),
        sa.Column('role', _STR(), nullable=False),
        sa.Column('email', _STR(), nullable=False),
        sa.Column('phone', _STR(), nullable=False),
        sa.Column('all_schools', sa.Boolean(), nullable=False),
        sa.Column('added_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('slack_user_id'),
    )
    op.execute(
        "INSERT INTO staff_member_new (id, slack_user_id, name, role, email, phone, all_schools,"
        " added_at) SELECT slack_user_id, slack_user_id, name, role, '', '', true, added_at"
        " FROM staff_member"
    )
    op.drop_table('staff_member')
    op.rename_table('staff_member_new', 'staff_member')
    op.create_table(
        'staff_school',
        sa.Column('staff_id', _STR(), nullable=False),
        sa.Column('school_urn', _STR(), nullable=False),
        sa.ForeignKeyConstraint(['staff_id'], ['staff_member.id']),
        sa.PrimaryKeyConstraint('staff_id', 'school_urn'),
    )
    op.create_table(
        'school_contact',
        sa.Column('urn', _STR(), nullable=False),
        sa.Column('address', _STR(), nullable=False),
        sa.Column('phone', _STR(), nullable=False),
        sa.Column('email', _STR(), nullable=False),
        sa.Column('champion', _STR(), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['urn'], ['school.urn']),
        sa.PrimaryKeyConstraint('urn'),
    )
    # Recreated rather than altered: 0006 left its unique constraint unnamed (SQLite).
    _routes(('kind', 'destination', 'school_urn'), "school_urn, ", "'', ")
    op.create_table(
        'slack_workspace_school',
        sa.Column('team_id', _STR(), nullable=False),
        sa.Column('school_urn', _STR(), nullable=False),
        sa.Column('added_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('team_id', 'school_urn'),
    )
    op.create_table(
        'slack_request_seen',
        sa.Column('signature', _STR(), nullable=False),
        sa.Column('seen_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('signature'),
    )
    op.create_index('ix_slack_request_seen_seen_at', 'slack_request_seen', ['seen_at'])


def downgrade() -> None:
    op.drop_index('ix_slack_request_seen_seen_at', table_name='slack_request_seen')
    op.drop_table('slack_request_seen')
    op.drop_table('slack_workspace_school')
    op.execute("DELETE FROM alert_route WHERE school_urn <> ''")
    _routes(('kind', 'destination'), "", "")
    op.drop_table('school_contact')
    op.drop_table('staff_school')
    op.create_table(
        'staff_member_old',
        sa.Column('slack_user_id', _STR(), nullable=False),
        sa.Column('name', _STR(), nullable=False),
        sa.Column('role', _STR(), nullable=False),
        sa.Column('added_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('slack_user_id'),
    )
    op.execute(
        "INSERT INTO staff_member_old (slack_user_id, name, role, added_at)"
        " SELECT slack_user_id, name, role, added_at FROM staff_member"
        " WHERE slack_user_id IS NOT NULL"
    )
    op.drop_table('staff_member')
    op.rename_table('staff_member_old', 'staff_member')
