"""A shop's past interactions (``bot history import``): events marked imported, with the row's
hash that keeps a second import from storing it again, its rating, quantity and value; and the
erased users' fingerprints, so a later import does not bring an erased user back.

Revision ID: 0002_imported_history
Revises: 0001_baseline
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_imported_history"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("events", sa.Column("imported", sa.Boolean, nullable=False, server_default=sa.false()))
    op.add_column("events", sa.Column("import_key", sa.String(64)))
    op.add_column("events", sa.Column("rating", sa.Float))
    op.add_column("events", sa.Column("quantity", sa.Integer))
    op.add_column("events", sa.Column("value", sa.Float))
    op.create_index("ix_events_import_key", "events", ["import_key"], unique=True)
    op.create_table(
        "erased_senders",
        sa.Column("sender_hash", sa.String(64), primary_key=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("erased_senders")
    op.drop_index("ix_events_import_key", table_name="events")
    with op.batch_alter_table("events") as batch:
        for column in ("value", "quantity", "rating", "import_key", "imported"):
            batch.drop_column(column)
