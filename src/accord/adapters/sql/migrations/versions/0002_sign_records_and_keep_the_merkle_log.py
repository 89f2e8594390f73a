"""Sign records and keep the Merkle log: entries, tree nodes, checkpoints, cosignatures, keys.

Records gain their log entry (the signed envelope) and log index. Records written before
this revision are signed and logged by ``accord.adapters.sql.legacy`` right after the
migrations run, because signing needs the node's keystore, which migrations do not see.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 10:28:15.793477
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "checkpoints",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.LargeBinary(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "log_nodes",
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx"),
    )
    op.create_table(
        "log_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("checkpoint_size", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "cosignatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "checkpoint_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("witness", sa.String(length=200), nullable=False),
        sa.Column("key_id", sa.String(length=8), nullable=False),
        sa.Column("cosigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkpoint_id"],
            ["checkpoints.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("checkpoint_id", "key_id", name="uq_cosignatures_checkpoint_key"),
    )
    op.create_table(
        "participant_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_id"),
    )
    # Plain ADD COLUMN (not a batch rebuild) keeps the append-only triggers on SQLite.
    op.add_column("records", sa.Column("entry", sa.LargeBinary(), nullable=True))
    op.add_column("records", sa.Column("log_index", sa.BigInteger(), nullable=True))
    op.create_index("uq_records_log_index", "records", ["log_index"], unique=True)
    op.execute("INSERT INTO log_state (id, size, checkpoint_size) VALUES (1, 0, 0)")


def downgrade() -> None:
    op.drop_index("uq_records_log_index", "records")
    op.drop_column("records", "log_index")
    op.drop_column("records", "entry")

    op.drop_table("participant_keys")
    op.drop_table("cosignatures")
    op.drop_table("log_state")
    op.drop_table("log_nodes")
    op.drop_table("checkpoints")
