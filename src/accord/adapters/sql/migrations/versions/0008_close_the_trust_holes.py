"""Close the trust holes of issue 14 (THREAT_MODEL.md, "Who may say what").

- ``participant_senders``: the CAP senders (addresses or domains) each participant has
  registered, kept with when each was made and removed, so what was in force when a record
  arrived can be told again; an alert whose ``sender`` another participant registered is
  refused.
- Message keys are each author's own: ``alerts`` is unique on (author, sender,
  identifier, sent), so nobody can occupy another participant's key, and a 409 tells a
  caller nothing about messages it may not read.
- ``threads`` is dropped: a thread's state is folded, per reader, from the messages that
  reader may read, so a stored aggregate over every message would only be a leak.

What this migration cannot vouch for: thread ids projected before it by the old rule (an
Update or Cancel from another participant joined the thread it named). The node's
self-audit recomputes every thread from the signed records and names each difference;
``accord rebuild`` repairs them. Original bytes of records signed before envelope version
3 are not covered by a signature (see docs/log.md); the self-audit checks that a CAP XML
original still says exactly what its signed body says.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08 00:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "participant_senders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("sender", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["participant_id"], ["participants.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "uq_participant_senders_current",
        "participant_senders",
        ["sender"],
        unique=True,
        sqlite_where=sa.text("removed_at IS NULL"),
        postgresql_where=sa.text("removed_at IS NULL"),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_constraint("uq_alerts_message_key", type_="unique")
        batch_op.create_unique_constraint(
            "uq_alerts_author_message_key", ["author_code", "sender", "identifier", "sent_at"]
        )
    op.drop_table("threads")


def downgrade() -> None:
    op.create_table(
        "threads",
        sa.Column("thread_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite")),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("latest_position", sa.BigInteger(), nullable=False),
        sa.Column("message_count", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("thread_id"),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_constraint("uq_alerts_author_message_key", type_="unique")
        batch_op.create_unique_constraint(
            "uq_alerts_message_key", ["sender", "identifier", "sent_at"]
        )
    op.drop_index("uq_participant_senders_current", table_name="participant_senders")
    op.drop_table("participant_senders")
