"""Help: the admin's edits of the guideline cards, and each employee's ambulance letter (next of kin)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base
from app.models.org import User


class GuidelineCard(Base):
    """An edited guideline card; cards without a row here show the defaults shipped in app/help/guideline.py."""

    __tablename__ = "guideline_cards"
    __table_args__ = (UniqueConstraint("slug", "locale", name="uq_guideline_cards_slug_locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(200))
    body_markdown: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    updated_by: Mapped[User | None] = relationship()


class AmbulanceLetter(Base):
    """One per employee: who to call if something happens to them, and what responders should know."""

    __tablename__ = "ambulance_letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    important_info: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # Saved or confirmed as still correct by the employee; a review is due 12 months later.
    reviewed_at: Mapped[datetime]

    user: Mapped[User] = relationship()
    contacts: Mapped[list[NextOfKin]] = relationship(
        back_populates="letter", order_by="NextOfKin.position", cascade="all, delete-orphan"
    )


class NextOfKin(Base):
    __tablename__ = "ambulance_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("ambulance_letters.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(120))
    relation: Mapped[str] = mapped_column(String(60), default="")
    phone: Mapped[str] = mapped_column(String(32))
    phone_alt: Mapped[str] = mapped_column(String(32), default="")

    letter: Mapped[AmbulanceLetter] = relationship(back_populates="contacts")
