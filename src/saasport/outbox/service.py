"""Writing outbox events: in the caller's transaction, numbered per subject."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from saasport.outbox.models import OutboxEvent


async def emit(
    db: AsyncSession,
    *,
    topic: str,
    subject: str,
    payload: dict[str, Any],
    now: datetime,
    listing_id: uuid.UUID | None = None,
) -> OutboxEvent:
    """One event after the state change the caller is making (the caller holds the
    subject's row lock, so numbers per subject never collide)."""
    last = await db.scalar(select(func.max(OutboxEvent.seq)).where(OutboxEvent.subject == subject))
    event = OutboxEvent(
        id=uuid.uuid4(),
        topic=topic,
        subject=subject,
        seq=(last or 0) + 1,
        listing_id=listing_id,
        payload=payload,
        created_at=now,
    )
    db.add(event)
    await db.flush()
    return event


async def events_of(db: AsyncSession, subject: str) -> list[OutboxEvent]:
    rows = await db.scalars(
        select(OutboxEvent).where(OutboxEvent.subject == subject).order_by(OutboxEvent.seq)
    )
    return list(rows)
