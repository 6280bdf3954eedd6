"""ops: cumulative counters on the watchdog beats (failed, retried, due->sent histogram, per channel)

Revision ID: 0007_ops
Revises: 0006_merge
Create Date: 2026-11-27 12:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0007_ops"
down_revision = "0006_merge"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("watchdog_beats", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failed", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("retried", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("latency_count", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("latency_sum", sa.Float(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("latency_buckets", sa.JSON(), server_default="{}", nullable=False))
        batch_op.add_column(sa.Column("channels", sa.JSON(), server_default="{}", nullable=False))


def downgrade():
    with op.batch_alter_table("watchdog_beats", schema=None) as batch_op:
        batch_op.drop_column("channels")
        batch_op.drop_column("latency_buckets")
        batch_op.drop_column("latency_sum")
        batch_op.drop_column("latency_count")
        batch_op.drop_column("retried")
        batch_op.drop_column("failed")
