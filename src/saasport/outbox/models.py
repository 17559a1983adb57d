"""The outbox: every side effect outside the database, written as a row in the same
transaction as the state change it follows, delivered later by workers.

Events of one subject (a subscription) are numbered, so they are delivered in order; each has
a stable id that merchants de-duplicate on. An event is `pending` until it is `delivered`,
`dead` (its retry window passed, or the app refused it for good) or `skipped` (nothing to
deliver it to: the listing has no provisioning URL). A worker takes an event by leasing it
(`lease_until`): one that dies mid-call leaves the lease to run out, and the event is taken
again, under the same id. Every attempt is a `DeliveryAttempt`, written when it starts.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from saasport.db.base import Base, UUIDPrimaryKey


class EventState(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"
    SKIPPED = "skipped"


class OutboxEvent(UUIDPrimaryKey, Base):
    __tablename__ = "outbox_events"
    __table_args__ = (
        UniqueConstraint("subject", "seq"),
        Index("ix_outbox_events_due", "delivered_at", "created_at"),
        # The workers' two questions, over pending events only (delivered ones pile up):
        # which are due, oldest first; and is an earlier event of this subject still pending.
        Index(
            "ix_outbox_events_pending_order",
            "created_at",
            "seq",
            postgresql_where=text("state = 'pending'"),
            sqlite_where=text("state = 'pending'"),
        ),
        Index(
            "ix_outbox_events_pending_subject",
            "subject",
            "seq",
            postgresql_where=text("state = 'pending'"),
            sqlite_where=text("state = 'pending'"),
        ),
    )

    topic: Mapped[str] = mapped_column(String(48))  # e.g. "subscription.created"
    subject: Mapped[str] = mapped_column(String(64))  # e.g. "subscription:<uuid>"
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, … per subject: delivery order
    listing_id: Mapped[uuid.UUID | None] = mapped_column(index=True)  # whose endpoint
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(String(12), default=EventState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]  # None: as soon as a worker is free
    lease_until: Mapped[datetime | None]  # a worker is delivering it until then
    deadline_at: Mapped[datetime | None]  # retried until then (set by the first attempt)
    last_error: Mapped[str] = mapped_column(String(500), default="")


class DeliveryAttempt(UUIDPrimaryKey, Base):
    """One call of an event to the merchant's app: what was sent and what came back (the
    secrets masked), written as it starts so that a call a worker died in is seen too."""

    __tablename__ = "delivery_attempts"
    __table_args__ = (UniqueConstraint("event_id", "number"),)

    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("outbox_events.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, … per event
    worker: Mapped[str] = mapped_column(String(64), default="")
    started_at: Mapped[datetime] = mapped_column(index=True)
    finished_at: Mapped[datetime | None]
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    # "sending" until it ends: delivered, pending (the app works on it), retry, failed,
    # refused (the URL resolves to a private address), interrupted (seen by a later worker).
    outcome: Mapped[str] = mapped_column(String(12), default="sending")
    method: Mapped[str] = mapped_column(String(8), default="")
    url: Mapped[str] = mapped_column(String(2000), default="")
    request_headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    request_body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[int | None] = mapped_column(Integer)
    response_headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    response_body: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(String(500), default="")
