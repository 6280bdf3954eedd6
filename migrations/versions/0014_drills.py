"""drills: drills (øvelser) and the people each is meant to reach; alerts.drill_id marks a drill's alert

Revision ID: 0014_drills
Revises: 0019_sso
"""
import sqlalchemy as sa
from alembic import op

revision = "0014_drills"
down_revision = "0019_sso"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "drills",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("started_by_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stop_reason", sa.String(length=16), server_default="", nullable=False),
        sa.Column("stopped_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_drills_unit_id_units")),
        sa.ForeignKeyConstraint(["started_by_id"], ["users.id"], name=op.f("fk_drills_started_by_id_users")),
        sa.ForeignKeyConstraint(["worker_id"], ["users.id"], name=op.f("fk_drills_worker_id_users")),
        sa.ForeignKeyConstraint(["stopped_by_id"], ["users.id"], name=op.f("fk_drills_stopped_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drills")),
    )
    with op.batch_alter_table("drills", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_drills_unit_id"), ["unit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_drills_created_at"), ["created_at"], unique=False)

    if op.get_context().dialect.name == "sqlite":
        # A native ADD COLUMN ... REFERENCES, never a batch rebuild: dropping the old `alerts` table
        # would fire the ON DELETE CASCADE of every table that points at it (foreign keys are on).
        op.execute("ALTER TABLE alerts ADD COLUMN drill_id VARCHAR(36) CONSTRAINT fk_alerts_drill_id_drills "
                   "REFERENCES drills (id)")
    else:
        op.add_column("alerts", sa.Column("drill_id", sa.String(length=36), nullable=True))
        op.create_foreign_key(op.f("fk_alerts_drill_id_drills"), "alerts", "drills", ["drill_id"], ["id"])
    op.create_index(op.f("ix_alerts_drill_id"), "alerts", ["drill_id"], unique=False)

    op.create_table(
        "drill_people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("drill_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.String(length=36), nullable=True),
        sa.Column("tier", sa.Integer(), server_default="1", nullable=False),
        sa.Column("skipped", sa.String(length=16), server_default="", nullable=False),
        sa.ForeignKeyConstraint(["drill_id"], ["drills.id"], name=op.f("fk_drill_people_drill_id_drills"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_drill_people_user_id_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], name=op.f("fk_drill_people_alert_id_alerts"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drill_people")),
        sa.UniqueConstraint("drill_id", "user_id", name="uq_drill_people_drill_user"),
    )
    with op.batch_alter_table("drill_people", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_drill_people_drill_id"), ["drill_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_drill_people_alert_id"), ["alert_id"], unique=False)


def downgrade():
    op.drop_table("drill_people")
    op.drop_index(op.f("ix_alerts_drill_id"), table_name="alerts")
    # Never a table rebuild of `alerts` on SQLite (see upgrade); a native DROP COLUMN needs SQLite 3.35.
    with op.batch_alter_table("alerts", schema=None, recreate="never") as batch_op:
        if op.get_context().dialect.name != "sqlite":
            batch_op.drop_constraint(op.f("fk_alerts_drill_id_drills"), type_="foreignkey")
        batch_op.drop_column("drill_id")
    op.drop_table("drills")
