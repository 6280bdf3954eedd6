"""sso: single sign-on identities, how each session was authenticated, answered SAML requests; users
get `local_login` (may use a password while single sign-on is on: every existing account, since each
was made with a password) and `deactivated_reason`.

Revision ID: 0019_sso
Revises: 0011_live
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_sso"
down_revision = "0011_live"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deactivated_reason", sa.String(length=16), server_default="", nullable=False))
        batch_op.add_column(sa.Column("local_login", sa.Boolean(), server_default=sa.true(), nullable=False))
    users = sa.table("users", sa.column("active", sa.Boolean), sa.column("deactivated_reason", sa.String))
    op.execute(users.update().where(users.c.active.is_(False)).values(deactivated_reason="admin"))

    op.create_table(
        "sso_identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("issuer", sa.String(length=255), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_sso_identities_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sso_identities")),
        sa.UniqueConstraint("provider", "issuer", "subject", name="uq_sso_identities_subject"),
    )
    with op.batch_alter_table("sso_identities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sso_identities_user_id"), ["user_id"], unique=False)

    op.create_table(
        "session_auth",
        sa.Column("session_id", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("authenticated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id_token", sa.Text(), nullable=False),
        sa.Column("provider_sid", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["user_sessions.id"],
                                name=op.f("fk_session_auth_session_id_user_sessions"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_session_auth")),
    )

    op.create_table(
        "saml_requests",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reauth_user_id", sa.Integer(), nullable=True),
        sa.Column("next_url", sa.String(length=512), nullable=False),
        sa.Column("answer", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saml_requests")),
    )
    with op.batch_alter_table("saml_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_saml_requests_expires_at"), ["expires_at"], unique=False)


def downgrade():
    op.drop_table("saml_requests")
    op.drop_table("session_auth")
    op.drop_table("sso_identities")
    # Never a table rebuild on SQLite (ON DELETE CASCADE would empty the tables that point at users).
    with op.batch_alter_table("users", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("local_login")
        batch_op.drop_column("deactivated_reason")
