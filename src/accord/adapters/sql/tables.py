"""Table definitions (SQLAlchemy Core). The Alembic migrations create them; this module
describes them to queries.

``records`` is the truth and is append-only (database triggers refuse UPDATE and DELETE);
``alerts``, ``alert_infos`` and ``alert_categories`` are projections that can be dropped and
recomputed from ``records``; threads are folded from ``alerts`` for each reader.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData()

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets 64 bits.
Position = BigInteger().with_variant(Integer(), "sqlite")
Instant = DateTime(timezone=True)

participants = Table(
    "participants",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("record_seq", BigInteger, nullable=False, server_default="0"),
    Column("created_at", Instant, nullable=False),
)

agencies = Table(
    "agencies",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("participant_id", Integer, ForeignKey("participants.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("sector", String(32), nullable=False),
    Column("jurisdiction", JSON, nullable=True),
    Column("created_at", Instant, nullable=False),
    UniqueConstraint("participant_id", "name", name="uq_agencies_participant_name"),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("participant_id", Integer, ForeignKey("participants.id"), nullable=True),
    Column("agency_id", Integer, ForeignKey("agencies.id"), nullable=True),
    Column("created_at", Instant, nullable=False),
    # Argon2id (PHC string); None: the user cannot sign in to the web console.
    Column("password_hash", String(255), nullable=True),
)

# Console sessions: the cookie's token is kept only as its SHA-256, beside the session's
# CSRF token (the synchronizer token its forms carry).
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", Instant, nullable=False),
    Column("expires_at", Instant, nullable=False),
    Index("ix_web_sessions_user_id", "user_id"),
)

# Failed sign-ins per key ("user:NAME", "address:IP"), which set the throttle's back-off.
sign_in_failures = Table(
    "sign_in_failures",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failed_at", Instant, nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("label", String(200), nullable=False),
    Column("created_at", Instant, nullable=False),
    Column("revoked_at", Instant, nullable=True),
)

# The CAP senders each participant registered: exact addresses ("ops@ema.ee") or domains
# ("ema.ee", covering its addresses and subdomains). Configuration, kept by admins, with its
# history (a removal is dated, never deleted): what was in force when a record arrived
# decides, live and in a rebuild alike.
participant_senders = Table(
    "participant_senders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("participant_id", Integer, ForeignKey("participants.id"), nullable=False),
    Column("sender", String(255), nullable=False),
    Column("created_at", Instant, nullable=False),
    Column("removed_at", Instant, nullable=True),
    Index(
        "uq_participant_senders_current",
        "sender",
        unique=True,
        sqlite_where=text("removed_at IS NULL"),
        postgresql_where=text("removed_at IS NULL"),
    ),
)

records = Table(
    "records",
    metadata,
    Column("position", Position, primary_key=True, autoincrement=True),
    Column("record_id", String(64), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("author_id", Integer, ForeignKey("participants.id"), nullable=False),
    Column("author_seq", BigInteger, nullable=False),
    Column("created_at", Instant, nullable=False),
    Column("received_at", Instant, nullable=False),
    Column("tlp", String(16), nullable=False),
    Column("audience", JSON, nullable=False),
    Column("envelope", Text, nullable=False),
    Column("content_type", String(64), nullable=False),
    Column("original", LargeBinary, nullable=False),
    Column("body", Text, nullable=False),
    # The log entry: the canonical signed envelope. Its SHA-256 is the record id and
    # SHA-256(0x00 ‖ entry) its leaf in the log.
    Column("entry", LargeBinary, nullable=True),
    Column("log_index", BigInteger, nullable=True),
    UniqueConstraint("author_id", "author_seq", name="uq_records_author_seq"),
    Index("uq_records_log_index", "log_index", unique=True),
)

participant_keys = Table(
    "participant_keys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("participant_id", Integer, ForeignKey("participants.id"), nullable=False),
    Column("key_id", String(64), nullable=False, unique=True),
    Column("public_key", LargeBinary, nullable=False),
    Column("created_at", Instant, nullable=False),
    Column("retired_at", Instant, nullable=True),
)

# Perfect subtrees of the Merkle log: node (level, idx) covers leaves
# [idx * 2**level, (idx + 1) * 2**level). Leaves are level 0.
log_nodes = Table(
    "log_nodes",
    metadata,
    Column("level", Integer, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary, nullable=False),
)

# One row: how many entries the log holds, and the size of the newest checkpoint
# (the compare-and-swap guard that keeps signed checkpoints consistent).
log_state = Table(
    "log_state",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("size", BigInteger, nullable=False),
    Column("checkpoint_size", BigInteger, nullable=False),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("id", Position, primary_key=True, autoincrement=True),
    Column("size", BigInteger, nullable=False),
    Column("root", LargeBinary, nullable=False),
    Column("note", Text, nullable=False),
    Column("signed_at", Instant, nullable=False),
)

cosignatures = Table(
    "cosignatures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("checkpoint_id", Position, ForeignKey("checkpoints.id"), nullable=False),
    Column("witness", String(200), nullable=False),
    Column("key_id", String(8), nullable=False),
    Column("cosigned_at", Instant, nullable=False),
    Column("line", Text, nullable=False),
    Column("received_at", Instant, nullable=False),
    UniqueConstraint("checkpoint_id", "key_id", name="uq_cosignatures_checkpoint_key"),
)

# The node's audits of its own log (0007): the checkpoint each saw (the next audit checks
# the log still extends it) and what each found, as [{code, message, evidence}].
log_audits = Table(
    "log_audits",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("started_at", Instant, nullable=False),
    Column("finished_at", Instant, nullable=False),
    Column("checkpoint_size", BigInteger, nullable=True),
    Column("checkpoint_note", Text, nullable=True),
    Column("entries_checked", BigInteger, nullable=False),
    Column("entries_with_findings", BigInteger, nullable=False),
    Column("finding_count", Integer, nullable=False),
    Column("findings", JSON, nullable=False),
    Index("ix_log_audits_finding_count", "finding_count", "id"),
)

alerts = Table(
    "alerts",
    metadata,
    Column("position", Position, ForeignKey("records.position"), primary_key=True),
    Column("record_id", String(64), nullable=False),
    Column("sender", Text, nullable=False),
    Column("identifier", Text, nullable=False),
    Column("sent", String(40), nullable=False),
    Column("sent_at", Instant, nullable=False),
    Column("status", String(16), nullable=False),
    Column("msg_type", String(16), nullable=False),
    Column("cap_scope", String(16), nullable=False),
    Column("tlp", String(16), nullable=False),
    Column("audience_codes", Text, nullable=False),
    Column("author_code", String(32), nullable=False),
    Column("thread_id", Position, nullable=False),
    Column("received_at", Instant, nullable=False),
    Column("expires_at", Instant, nullable=True),
    Column("min_lon", Float, nullable=True),
    Column("min_lat", Float, nullable=True),
    Column("max_lon", Float, nullable=True),
    Column("max_lat", Float, nullable=True),
    Column("area_wkb", LargeBinary, nullable=True),
    Column("signature_status", String(16), nullable=False),
    Column("signature_detail", Text, nullable=False),
    Column("content_digest", String(64), nullable=False),
    UniqueConstraint(
        "author_code", "sender", "identifier", "sent_at", name="uq_alerts_author_message_key"
    ),
    Index("ix_alerts_thread", "thread_id"),
    Index("ix_alerts_status_position", "status", "position"),
)

alert_infos = Table(
    "alert_infos",
    metadata,
    Column("position", Position, ForeignKey("alerts.position"), primary_key=True),
    Column("ordinal", Integer, primary_key=True),
    Column("language", String(35), nullable=False),
    Column("event", Text, nullable=False),
    Column("urgency_rank", Integer, nullable=False),
    Column("severity_rank", Integer, nullable=False),
    Column("certainty_rank", Integer, nullable=False),
    Index("ix_alert_infos_event", "event"),
)

alert_categories = Table(
    "alert_categories",
    metadata,
    Column("position", Position, ForeignKey("alerts.position"), primary_key=True),
    Column("category", String(16), primary_key=True),
    Index("ix_alert_categories_category", "category", "position"),
)

# Routing and delivery. Subscriptions and endpoints are configuration; deliveries (the
# outbox), recipients and escalations are operational state written in the same transaction
# as the records they follow, so they are never projections and ``rebuild`` keeps them.
# They point at ``records.position`` (an alert's position), never at the projections.

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("participant_code", String(32), nullable=True),
    Column("agency_id", Integer, ForeignKey("agencies.id"), nullable=True),
    Column("name", String(200), nullable=False),
    Column("filter", JSON, nullable=False),
    Column("feed_token_hash", String(64), nullable=True, unique=True),
    # Bumped on every change, so routers can tell cheaply whether their index is current.
    Column("revision", BigInteger, nullable=False),
    Column("created_at", Instant, nullable=False),
    Column("disabled_at", Instant, nullable=True),
    Index("ix_subscriptions_revision", "revision"),
)

endpoints = Table(
    "endpoints",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("subscription_id", Integer, ForeignKey("subscriptions.id"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("target", Text, nullable=False),
    Column("format", String(16), nullable=False),
    Column("test", Boolean, nullable=False),
    Column("secrets", JSON, nullable=False),
    Column("state", String(16), nullable=False),
    Column("disabled_reason", Text, nullable=False),
    Column("created_at", Instant, nullable=False),
    Index("ix_endpoints_subscription", "subscription_id"),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Position, primary_key=True, autoincrement=True),
    Column("message_id", String(100), nullable=False, unique=True),
    Column("endpoint_id", Integer, ForeignKey("endpoints.id"), nullable=False),
    Column("alert_position", Position, ForeignKey("records.position"), nullable=False),
    Column("recipient", String(32), nullable=True),
    Column("reason", String(32), nullable=False),
    Column("detail", JSON, nullable=True),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", Instant, nullable=False),
    Column("lease_until", Instant, nullable=True),
    Column("last_status", Integer, nullable=True),
    Column("last_error", Text, nullable=False),
    Column("created_at", Instant, nullable=False),
    Column("delivered_at", Instant, nullable=True),
    Index("ix_deliveries_due", "state", "next_attempt_at"),
    Index("ix_deliveries_alert", "alert_position"),
    Index("ix_deliveries_endpoint", "endpoint_id", "state"),
)

delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("id", Position, primary_key=True, autoincrement=True),
    Column("delivery_id", Position, ForeignKey("deliveries.id"), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("at", Instant, nullable=False),
    Column("duration_ms", Float, nullable=False),
    Column("status", Integer, nullable=True),
    Column("outcome", String(16), nullable=False),
    Column("error", Text, nullable=False),
    Index("ix_delivery_attempts_delivery", "delivery_id"),
)

recipients = Table(
    "recipients",
    metadata,
    Column("alert_position", Position, ForeignKey("records.position"), primary_key=True),
    Column("participant_code", String(32), primary_key=True),
    Column("notified_at", Instant, nullable=False),
    Column("ack_due_at", Instant, nullable=True),
    Column("respond_due_at", Instant, nullable=True),
    Column("acknowledged_at", Instant, nullable=True),
    Column("responded_at", Instant, nullable=True),
    Column("next_check_at", Instant, nullable=True),
    Index("ix_recipients_next_check", "next_check_at"),
)

escalations = Table(
    "escalations",
    metadata,
    Column("id", Position, primary_key=True, autoincrement=True),
    Column("alert_position", Position, ForeignKey("records.position"), nullable=False),
    Column("participant_code", String(32), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("step", String(16), nullable=False),
    Column("due_at", Instant, nullable=False),
    Column("fired_at", Instant, nullable=False),
    UniqueConstraint(
        "alert_position", "participant_code", "kind", "step", name="uq_escalations_step"
    ),
)

# A projection of ``alert.response`` records and of CAP Ack messages: who acknowledged an
# alert and what they decided to do.
responses = Table(
    "responses",
    metadata,
    # One row per (response record, alert): a CAP Ack may reference several alerts.
    Column("position", Position, ForeignKey("records.position"), primary_key=True),
    Column("alert_position", Position, primary_key=True),
    Column("participant_code", String(32), nullable=False),
    Column("username", String(64), nullable=True),
    Column("kind", String(16), nullable=False),
    Column("decision", String(16), nullable=True),
    Column("detail", JSON, nullable=False),
    Column("at", Instant, nullable=False),
    Index("ix_responses_alert", "alert_position"),
)

# Federation (ADR 6). A peer is pinned by its log's verifier key and read for one
# participant; ``mirror`` is what this node has verified of the peer's log (checkpoint
# note, tree frontier, authors' keys and sequence numbers), saved with what it applied.
peers = Table(
    "peers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("url", Text, nullable=False),
    Column("verifier_key", Text, nullable=False, unique=True),
    Column("participant_code", String(32), nullable=False),
    Column("mirror", JSON, nullable=False),
    Column("created_at", Instant, nullable=False),
    Column("last_attempt_at", Instant, nullable=True),
    Column("last_success_at", Instant, nullable=True),
    Column("last_error", Text, nullable=False),
)

# Records that came from a peer's log: which peer, and where in its log.
replicated = Table(
    "replicated",
    metadata,
    Column("position", Position, ForeignKey("records.position"), primary_key=True),
    Column("peer_id", Integer, ForeignKey("peers.id"), nullable=False),
    Column("origin_index", BigInteger, nullable=False),
    # This node's sightings of the origin's tree without the record and with it (0005).
    Column("absent_at", Instant, nullable=True),
    Column("absent_size", BigInteger, nullable=True),
    Column("present_at", Instant, nullable=True),
    Column("present_size", BigInteger, nullable=True),
    UniqueConstraint("peer_id", "origin_index", name="uq_replicated_origin"),
)

incidents = Table(
    "incidents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("peer_id", Integer, ForeignKey("peers.id"), nullable=True),
    Column("code", String(32), nullable=False),
    Column("detail", Text, nullable=False),
    Column("evidence", JSON, nullable=False),
    Column("created_at", Instant, nullable=False),
)

PROJECTION_TABLES = (alert_categories, alert_infos, alerts)
