"""Ids linked to a user: the anonymous id a visitor chatted under before signing in, whose
rows were moved to the user's, kept so that export and erasure cover its conversation.

Revision ID: 0003_sender_links
Revises: 0002_imported_history
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_sender_links"
down_revision = "0002_imported_history"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sender_links",
        sa.Column("alias", sa.String(255), primary_key=True),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_sender_links_sender_id", "sender_links", ["sender_id"])


def downgrade() -> None:
    op.drop_index("ix_sender_links_sender_id", table_name="sender_links")
    op.drop_table("sender_links")
