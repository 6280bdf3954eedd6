"""retention: one row per purge run (the claim of a scheduled day, progress and counts)

Revision ID: 0008_retention
Revises: 0006_merge
Create Date: 2026-11-27 12:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0008_retention"
down_revision = "0006_merge"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "retention_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=True),
        sa.Column("trigger", sa.String(length=16), server_default="schedule", nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stage", sa.Integer(), server_default="0", nullable=False),
        sa.Column("worker", sa.String(length=120), server_default="", nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("counts", sa.JSON(), server_default="{}", nullable=False),
        sa.Column("policy", sa.JSON(), server_default="{}", nullable=False),
        sa.Column("error", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_runs")),
        sa.UniqueConstraint("day", name=op.f("uq_retention_runs_day")),
    )


def downgrade():
    op.drop_table("retention_runs")
