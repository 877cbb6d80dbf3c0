"""One-time codes with which a Slack or Telegram user links their chat to the shop's profile
(only their hash is stored), and the codes each chat tried, for its guess limit.

Revision ID: 0004_link_codes
Revises: 0003_sender_links
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_link_codes"
down_revision = "0003_sender_links"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "link_codes",
        sa.Column("sender_id", sa.String(255), primary_key=True),
        sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_link_codes_expires_at", "link_codes", ["expires_at"])
    op.create_table(
        "link_attempts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("alias", sa.String(255), nullable=False),
        sa.Column("tried_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_link_attempts_alias_time", "link_attempts", ["alias", "tried_at"])
    op.create_index("ix_link_attempts_tried_at", "link_attempts", ["tried_at"])


def downgrade() -> None:
    op.drop_table("link_attempts")
    op.drop_table("link_codes")
