"""Outbox events: written in the caller's transaction, numbered per subject; leased, settled
and re-sent by the delivery workers (`saasport.provisioning.worker`)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import false, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from saasport.outbox.models import DeliveryAttempt, EventState, OutboxEvent


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


# ---- delivery ---------------------------------------------------------------------------
#
# A worker leases due events, calls the apps (outside any transaction), then records each
# outcome. An event is due when it is pending, its next attempt is due, no worker holds it,
# and no earlier event of its subject is still pending (events of one subscription arrive in
# order). On PostgreSQL concurrent workers skip each other's locked rows while leasing.

BACKOFF_FIRST = timedelta(seconds=10)
BACKOFF_CAP = timedelta(minutes=10)


def backoff(attempts: int, *, jitter: float) -> timedelta:
    """The wait after the `attempts`-th failed attempt: doubling from 10 s up to 10 min, each
    wait drawn from its upper half (`jitter` in [0, 1)) so that retries spread out."""
    full = min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_CAP)
    return full * (0.5 + jitter / 2)


async def lease_due(
    db: AsyncSession, *, now: datetime, limit: int, lease: timedelta, worker: str
) -> list[tuple[OutboxEvent, DeliveryAttempt]]:
    """Lease up to `limit` due events to this worker and open an attempt for each; the
    caller commits before it calls anyone. An attempt left `sending` by a worker that died
    is closed as `interrupted`."""
    earlier = aliased(OutboxEvent)
    blocked = (
        select(earlier.id)
        .where(
            earlier.subject == OutboxEvent.subject,
            earlier.seq < OutboxEvent.seq,
            earlier.state == EventState.PENDING,
        )
        .exists()
    )
    query = (
        select(OutboxEvent)
        .where(
            OutboxEvent.state == EventState.PENDING,
            or_(OutboxEvent.next_attempt_at.is_(None), OutboxEvent.next_attempt_at <= now),
            or_(OutboxEvent.lease_until.is_(None), OutboxEvent.lease_until <= now),
            ~blocked,
        )
        .order_by(OutboxEvent.created_at, OutboxEvent.seq)
        .limit(limit)
    )
    if db.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=OutboxEvent)
    else:  # SQLite: take the database's write lock before reading, so leases never overlap
        await db.execute(
            update(OutboxEvent)
            .where(false())
            .values(attempts=OutboxEvent.attempts)
            .execution_options(synchronize_session=False)
        )
    events = list(await db.scalars(query.execution_options(populate_existing=True)))
    if not events:
        return []
    await db.execute(
        update(DeliveryAttempt)
        .where(
            DeliveryAttempt.event_id.in_([e.id for e in events]),
            DeliveryAttempt.outcome == "sending",
        )
        .values(outcome="interrupted", reason="the worker stopped during the call")
        .execution_options(synchronize_session=False)
    )
    leased = []
    for event in events:
        event.attempts += 1
        event.lease_until = now + lease
        attempt = DeliveryAttempt(
            id=uuid.uuid4(), event_id=event.id, number=event.attempts, worker=worker, started_at=now
        )
        db.add(attempt)
        leased.append((event, attempt))
    await db.flush()
    return leased


async def load_for_settling(
    db: AsyncSession, event_ids: list[uuid.UUID], attempt_ids: list[uuid.UUID]
) -> None:
    """Read a batch's events (locked on PostgreSQL, so that no other worker takes one over
    while it is settled) and attempts at once, for `settle` to find in the session."""
    events = select(OutboxEvent).where(OutboxEvent.id.in_(event_ids)).order_by(OutboxEvent.id)
    if db.get_bind().dialect.name == "postgresql":
        events = events.with_for_update(of=OutboxEvent)
    await db.execute(events.execution_options(populate_existing=True))
    await db.execute(select(DeliveryAttempt).where(DeliveryAttempt.id.in_(attempt_ids)))


async def settle(
    db: AsyncSession,
    event_id: uuid.UUID,
    attempt_id: uuid.UUID,
    *,
    outcome: str,
    now: datetime,
    record: dict[str, Any],
    retry_at: datetime | None = None,
) -> OutboxEvent | None:
    """Record how an attempt ended: `delivered` (or `pending`: the app took it and works on
    it) and `skipped` end the event; `failed` and `refused` make it dead; `retry` sets its
    next attempt at `retry_at` (None: the window is over, it is dead). None if another worker
    took the event over meanwhile (its lease ran out): this attempt is kept, the event not
    touched. In a fresh session, or after `load_for_settling`."""
    attempt = await db.get_one(DeliveryAttempt, attempt_id)
    for name, value in record.items():
        setattr(attempt, name, value)
    attempt.outcome, attempt.finished_at = outcome, now
    event = await db.get_one(OutboxEvent, event_id)
    if event.attempts != attempt.number or event.state != EventState.PENDING:
        return None
    event.lease_until = None
    event.last_error = "" if outcome in ("delivered", "pending") else attempt.reason[:500]
    if outcome in ("delivered", "pending", "skipped"):
        event.state = EventState.SKIPPED if outcome == "skipped" else EventState.DELIVERED
        event.delivered_at = now if outcome != "skipped" else None
    elif outcome == "retry" and retry_at is not None:
        event.next_attempt_at = retry_at
    else:
        event.state = EventState.DEAD
    return event


async def resend(db: AsyncSession, event: OutboxEvent, *, now: datetime, window: timedelta) -> None:
    """A dead, delivered or skipped event sent again (a merchant's or operator's re-send):
    pending anew under the same id, with a fresh window."""
    event.state = EventState.PENDING
    event.next_attempt_at, event.lease_until = None, None
    event.deadline_at = now + window
