"""incidents, their comments and the leader's checklist

Revision ID: 0003_incidents
Revises: 0002_visits
Create Date: 2026-11-26 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = "0003_incidents"
down_revision = "0002_visits"
branch_labels = None
depends_on = None


def _ts(name, nullable=True):
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade():
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("visit_id", sa.String(length=36), nullable=True),
        sa.Column("alert_id", sa.String(length=36), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("context", sa.String(length=16), nullable=False),
        _ts("occurred_at", nullable=False),
        sa.Column("place", sa.Text(), nullable=False),
        sa.Column("before", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("after", sa.Text(), nullable=False),
        sa.Column("involved", sa.Text(), nullable=False),
        sa.Column("witnesses", sa.Text(), nullable=False),
        sa.Column("injury", sa.String(length=16), nullable=False),
        sa.Column("absence_expected", sa.Boolean(), nullable=False),
        sa.Column("police", sa.String(length=16), nullable=False),
        sa.Column("alarm_used", sa.Boolean(), nullable=False),
        _ts("created_at", nullable=False),
        _ts("client_created_at"),
        _ts("updated_at", nullable=False),
        _ts("submitted_at"),
        _ts("review_started_at"),
        sa.Column("review_started_by_id", sa.Integer(), nullable=True),
        _ts("registered_at"),
        _ts("closed_at"),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        _ts("followup_due_at"),
        _ts("followup_next_reminder_at"),
        _ts("followup_reminded_at"),
        sa.Column("followup_reminders", sa.Integer(), nullable=False),
        _ts("followup_held_at"),
        sa.Column("followup_held_by_id", sa.Integer(), nullable=True),
        sa.Column("followup_declined", sa.Boolean(), nullable=False),
        _ts("week_message_due_at"),
        _ts("week_message_sent_at"),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_incidents_author_id_users")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_incidents_unit_id_units")),
        sa.ForeignKeyConstraint(["visit_id"], ["visits.id"], name=op.f("fk_incidents_visit_id_visits"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["alert_id"], ["alerts.id"], name=op.f("fk_incidents_alert_id_alerts"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["review_started_by_id"], ["users.id"], name=op.f("fk_incidents_review_started_by_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["closed_by_id"], ["users.id"], name=op.f("fk_incidents_closed_by_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["followup_held_by_id"], ["users.id"], name=op.f("fk_incidents_followup_held_by_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incidents_author_id"), ["author_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_incidents_unit_id"), ["unit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_incidents_visit_id"), ["visit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_incidents_alert_id"), ["alert_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_incidents_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_incidents_followup_due_at"), ["followup_due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_incidents_followup_next_reminder_at"), ["followup_next_reminder_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_incidents_week_message_due_at"), ["week_message_due_at"], unique=False)
        batch_op.create_index("ix_incidents_unit_status", ["unit_id", "status"], unique=False)

    op.create_table(
        "incident_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        _ts("at", nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], name=op.f("fk_incident_comments_incident_id_incidents"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_incident_comments_author_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_comments")),
    )
    with op.batch_alter_table("incident_comments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incident_comments_incident_id"), ["incident_id"], unique=False)

    op.create_table(
        "incident_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.String(length=36), nullable=False),
        sa.Column("item", sa.String(length=24), nullable=False),
        _ts("done_at", nullable=False),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.Column("choice", sa.String(length=24), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=True),
        sa.Column("with_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], name=op.f("fk_incident_checks_incident_id_incidents"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["done_by_id"], ["users.id"], name=op.f("fk_incident_checks_done_by_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["with_user_id"], ["users.id"], name=op.f("fk_incident_checks_with_user_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_checks")),
        sa.UniqueConstraint("incident_id", "item", name="uq_incident_checks_incident_item"),
    )
    with op.batch_alter_table("incident_checks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incident_checks_incident_id"), ["incident_id"], unique=False)


def downgrade():
    op.drop_table("incident_checks")
    op.drop_table("incident_comments")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        for name in ("ix_incidents_unit_status", "ix_incidents_week_message_due_at",
                     "ix_incidents_followup_next_reminder_at", "ix_incidents_followup_due_at",
                     "ix_incidents_status", "ix_incidents_alert_id", "ix_incidents_visit_id",
                     "ix_incidents_unit_id", "ix_incidents_author_id"):
            batch_op.drop_index(name)
    op.drop_table("incidents")
