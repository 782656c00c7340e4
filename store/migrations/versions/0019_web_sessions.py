"""web sessions: one-time sign-in links and the case pages' sessions (hashes of the secrets only)

Revision ID: 0019
Revises: 0011
Create Date: 2026-12-02
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0019'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'web_sign_in_link',
        sa.Column('token_sha256', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('staff_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('used_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('token_sha256'),
    )
    op.create_index('ix_web_sign_in_link_staff_id', 'web_sign_in_link', ['staff_id'])
    op.create_table(
        'web_session',
        sa.Column('token_sha256', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('staff_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('csrf_token', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('last_seen_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('how', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint('token_sha256'),
    )
    op.create_index('ix_web_session_staff_id', 'web_session', ['staff_id'])


def downgrade() -> None:
    op.drop_index('ix_web_session_staff_id', table_name='web_session')
    op.drop_table('web_session')
    op.drop_index('ix_web_sign_in_link_staff_id', table_name='web_sign_in_link')
    op.drop_table('web_sign_in_link')
