"""help: guideline card edits, ambulance letters and their next-of-kin contacts

Revision ID: 0004_help
Revises: 0002_visits
Create Date: 2026-11-26 10:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0004_help"
down_revision = "0002_visits"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "guideline_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body_markdown", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["updated_by_id"], ["users.id"],
                                name=op.f("fk_guideline_cards_updated_by_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guideline_cards")),
        sa.UniqueConstraint("slug", "locale", name="uq_guideline_cards_slug_locale"),
    )
    op.create_table(
        "ambulance_letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("important_info", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_ambulance_letters_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ambulance_letters")),
        sa.UniqueConstraint("user_id", name=op.f("uq_ambulance_letters_user_id")),
    )
    op.create_table(
        "ambulance_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("letter_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("relation", sa.String(length=60), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("phone_alt", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["letter_id"], ["ambulance_letters.id"],
                                name=op.f("fk_ambulance_contacts_letter_id_ambulance_letters"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ambulance_contacts")),
    )
    with op.batch_alter_table("ambulance_contacts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ambulance_contacts_letter_id"), ["letter_id"], unique=False)


def downgrade():
    with op.batch_alter_table("ambulance_contacts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ambulance_contacts_letter_id"))
    op.drop_table("ambulance_contacts")
    op.drop_table("ambulance_letters")
    op.drop_table("guideline_cards")
