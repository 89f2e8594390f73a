"""Witness sightings of replicated records: when this node saw the origin's tree without
each record and when with it, which bound the record's signed creation time (ADR 6).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("replicated") as batch:
        batch.add_column(sa.Column("absent_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("absent_size", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("present_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("present_size", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("replicated") as batch:
        for column in ("present_size", "present_at", "absent_size", "absent_at"):
            batch.drop_column(column)
