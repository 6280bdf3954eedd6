"""How people sign in: single sign-on identities, how and when each session was (re)authenticated, and
the SAML requests already answered (so a captured answer cannot be replayed)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base
from app.models.org import User

SIGN_IN_METHODS = ("password", "oidc", "saml", "passkey")


class SsoIdentity(Base):
    """A person at an identity provider (`provider` "oidc" or "saml", the issuer or IdP entity id, and
    the subject it gives them), linked to one Makker user."""

    __tablename__ = "sso_identities"
    __table_args__ = (UniqueConstraint("provider", "issuer", "subject", name="uq_sso_identities_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(16))
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime]

    user: Mapped[User] = relationship()


class SessionAuth(Base):
    """How a sign-in session was last authenticated. Kept beside user_sessions (not in it) so the
    per-request session lookup stays lean; a session without a row was signed in with a password when
    it was created."""

    __tablename__ = "session_auth"

    session_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("user_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    method: Mapped[str] = mapped_column(String(16))
    authenticated_at: Mapped[datetime]
    # OpenID Connect: the ID token (id_token_hint at logout) and the provider's session id.
    id_token: Mapped[str] = mapped_column(Text, default="")
    provider_sid: Mapped[str] = mapped_column(String(255), default="")


class SamlRequest(Base):
    """An AuthnRequest Makker sent; its id may be answered once, before `expires_at`. The identity
    provider answers with a cross-site POST, which carries no (SameSite=Lax) session cookie, so what
    the answer said waits here until the browser comes back with its cookie (a GET, one use)."""

    __tablename__ = "saml_requests"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    answered_at: Mapped[datetime | None]
    # Set for a re-authentication: the signed-in user who asked, and where to go afterwards.
    reauth_user_id: Mapped[int | None] = mapped_column(Integer)
    next_url: Mapped[str] = mapped_column(String(512), default="")
    # The verified answer: {"issuer", "subject", "claims"}.
    answer: Mapped[dict] = mapped_column(JSON, default=dict)
