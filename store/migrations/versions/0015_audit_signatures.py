"""audit signatures: each audit entry may carry an Ed25519 signature over its hash, made with the
service's key kept outside the database (store/signing.py).

Existing entries keep a null signature: they predate signing, and `audit verify` says from which
entry signing starts. Adding a nullable column keeps every row as it was.

Revision ID: 0015
Revises: 0018
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_entry") as batch:
        batch.add_column(sa.Column("signature", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_entry") as batch:
        batch.drop_column("signature")
