"""live: index for a person's newest notification (the live `inbox` topic polls it)

Revision ID: 0011_live
Revises: 0010_deactivated_at
"""

from alembic import op

revision = "0011_live"
down_revision = "0010_deactivated_at"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_notifications_recipient_created", "notifications", ["recipient_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_notifications_recipient_created", table_name="notifications")
