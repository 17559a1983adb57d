"""Entitlements: the right of a user or an enterprise to use a listing."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from saasport.db.base import Base, UUIDPrimaryKey


class EntitlementKind(enum.StrEnum):
    TRIAL = "trial"


class Entitlement(UUIDPrimaryKey, Base):
    """Held by exactly one of a user or an org; `holder` makes "one per holder" a constraint."""

    __tablename__ = "entitlements"
    __table_args__ = (UniqueConstraint("listing_id", "holder"),)

    listing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("listings.id"), index=True)
    holder: Mapped[str] = mapped_column(String(48))  # "user:<uuid>" or "org:<uuid>"
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    org_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default=EntitlementKind.TRIAL)
    granted_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
