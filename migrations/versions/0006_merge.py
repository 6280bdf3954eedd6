"""Join the feature branches (incidents, help, push) into one line before the operations work.

Revision ID: 0006_merge
Revises: 0003_incidents, 0004_help, 0005_push
"""

revision = "0006_merge"
down_revision = ("0003_incidents", "0004_help", "0005_push")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
