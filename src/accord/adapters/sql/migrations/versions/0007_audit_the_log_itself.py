"""The node's audits of its own log: when each ran, the checkpoint it saw, how many
entries it checked and what it found (docs/log.md).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "log_audits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checkpoint_size", sa.BigInteger(), nullable=True),
        sa.Column("checkpoint_note", sa.Text(), nullable=True),
        sa.Column("entries_checked", sa.BigInteger(), nullable=False),
        sa.Column("entries_with_findings", sa.BigInteger(), nullable=False),
        sa.Column("finding_count", sa.Integer(), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_log_audits_finding_count", "log_audits", ["finding_count", "id"])


def downgrade() -> None:
    op.drop_index("ix_log_audits_finding_count", table_name="log_audits")
    op.drop_table("log_audits")
