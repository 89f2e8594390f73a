"""Federation: peers pinned by their log keys with what was verified of their logs,
records that came from them, and incidents (equivocation and other misbehaviour).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 14:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "peers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("verifier_key", sa.Text(), nullable=False),
        sa.Column("participant_code", sa.String(length=32), nullable=False),
        sa.Column("mirror", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("verifier_key"),
    )
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("peer_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["peer_id"],
            ["peers.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "replicated",
        sa.Column("position", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("peer_id", sa.Integer(), nullable=False),
        sa.Column("origin_index", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["peer_id"],
            ["peers.id"],
        ),
        sa.ForeignKeyConstraint(
            ["position"],
            ["records.position"],
        ),
        sa.PrimaryKeyConstraint("position"),
        sa.UniqueConstraint("peer_id", "origin_index", name="uq_replicated_origin"),
    )


def downgrade() -> None:
    op.drop_table("replicated")
    op.drop_table("incidents")
    op.drop_table("peers")
