"""The schema as it was before migrations: users, preferences, events, consents, export
tokens and handoffs (a database made then is stamped with this revision, not rebuilt).

Revision ID: 0001_baseline
Revises:
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None


def _sender(**options) -> sa.Column:
    return sa.Column("sender_id", sa.String(255), sa.ForeignKey("users.sender_id", ondelete="CASCADE"),
                     nullable=False, **options)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("sender_id", sa.String(255), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("onboarded_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "consents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _sender(),
        sa.Column("granted", sa.Boolean, nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_consents_sender_time", "consents", ["sender_id", "created_at"])
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _sender(),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("item_id", sa.String(255)),
        sa.Column("category", sa.String(255)),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_events_item_id", "events", ["item_id"])
    op.create_index("ix_events_sender_time", "events", ["sender_id", "created_at"])
    op.create_table(
        "export_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        _sender(),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_export_tokens_sender_id", "export_tokens", ["sender_id"])
    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _sender(),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("agent", sa.String(64)),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True)),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_handoffs_sender_id", "handoffs", ["sender_id"])
    op.create_index("ix_handoffs_status_time", "handoffs", ["status", "requested_at"])
    op.create_table(
        "preferences",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _sender(),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("value", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("sender_id", "kind", "value"),
    )
    op.create_index("ix_preferences_sender_id", "preferences", ["sender_id"])


def downgrade() -> None:
    for table in ("preferences", "handoffs", "export_tokens", "events", "consents", "users"):
        op.drop_table(table)
