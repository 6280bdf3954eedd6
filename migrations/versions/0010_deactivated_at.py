"""users.deactivated_at: when an account was deactivated, so retention can forget the person's push
subscriptions and ambulance letter a while later. Accounts already inactive count from this upgrade.

Revision ID: 0010_deactivated_at
Revises: 0009_retention_indexes
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_deactivated_at"
down_revision = "0009_retention_indexes"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True))
    users = sa.table("users", sa.column("active", sa.Boolean), sa.column("deactivated_at", sa.DateTime(timezone=True)))
    op.execute(users.update().where(users.c.active.is_(False)).values(deactivated_at=sa.func.current_timestamp()))


def downgrade():
    # Never a table rebuild on SQLite: dropping the old users table would fire ON DELETE CASCADE on
    # every table that points at it (foreign keys are on). A native DROP COLUMN needs SQLite 3.35.
    with op.batch_alter_table("users", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("deactivated_at")
