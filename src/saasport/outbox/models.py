"""The outbox: every side effect outside the database, written as a row in the same
transaction as the state change it follows, delivered later by workers (issue 9).

Events of one subject (a subscription) are numbered, so they are delivered in order; each has
a stable id that merchants de-duplicate on.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from saasport.db.base import Base, UUIDPrimaryKey


class OutboxEvent(UUIDPrimaryKey, Base):
    __tablename__ = "outbox_events"
    __table_args__ = (
        UniqueConstraint("subject", "seq"),
        Index("ix_outbox_events_due", "delivered_at", "created_at"),
    )

    topic: Mapped[str] = mapped_column(String(48))  # e.g. "subscription.created"
    subject: Mapped[str] = mapped_column(String(64))  # e.g. "subscription:<uuid>"
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, … per subject: delivery order
    listing_id: Mapped[uuid.UUID | None] = mapped_column(index=True)  # whose endpoint
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
