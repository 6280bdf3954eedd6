"""Indexes for the retention purge (closed visits and resolved alerts by time); joins the ops and
retention branches into one head.

Revision ID: 0009_retention_indexes
Revises: 0007_ops, 0008_retention
"""

from alembic import op

revision = "0009_retention_indexes"
down_revision = ("0007_ops", "0008_retention")
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visits_closed_at"), ["closed_at"], unique=False)
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alerts_resolved_at"), ["resolved_at"], unique=False)


def downgrade():
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alerts_resolved_at"))
    with op.batch_alter_table("visits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visits_closed_at"))
