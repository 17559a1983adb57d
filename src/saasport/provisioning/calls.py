"""The production-call log: the calls made to apps, with their attempts, for the listing's
merchant (their own listings' calls) and operators (all); and re-sending one.

A re-send puts the event back in the outbox under the same id, with a fresh window: the app
sees the same `webhook-id` (or `orderId`, …) again and can de-duplicate. A call still being
tried is not re-sent (it is answered as it is).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from saasport.accounts.models import User
from saasport.catalog.models import Listing
from saasport.core.errors import Forbidden, NotFound
from saasport.core.messages import N_
from saasport.outbox.models import DeliveryAttempt, EventState, OutboxEvent
from saasport.outbox.service import resend as resend_event

STATES = tuple(s.value for s in EventState)
MAX_LISTED = 200


@dataclass(frozen=True)
class Filters:
    listing_id: uuid.UUID | None = None
    topic: str = ""
    state: str = ""
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class CallLine:
    event: OutboxEvent
    listing_name: str


def require_viewer(user: User) -> None:
    """The call log is for merchants (their listings' calls) and operators (all)."""
    if not (user.is_merchant or user.is_operator):
        raise Forbidden(N_("Become a merchant first."))


def _sees_all(viewer: User, mine_only: bool) -> bool:
    return viewer.is_operator and not mine_only


async def list_calls(
    db: AsyncSession, *, viewer: User, filters: Filters, limit: int = 50, mine_only: bool = False
) -> list[CallLine]:
    """The newest calls first (`mine_only`: an operator's own listings' only, as on the
    merchant console)."""
    query = (
        select(OutboxEvent, Listing.name)
        .join(Listing, Listing.id == OutboxEvent.listing_id)
        .order_by(OutboxEvent.created_at.desc(), OutboxEvent.seq.desc())
        .limit(min(max(limit, 1), MAX_LISTED))
    )
    if not _sees_all(viewer, mine_only):
        query = query.where(Listing.owner_id == viewer.id)
    if filters.listing_id is not None:
        query = query.where(OutboxEvent.listing_id == filters.listing_id)
    if filters.topic:
        query = query.where(OutboxEvent.topic == filters.topic)
    if filters.state:
        query = query.where(OutboxEvent.state == filters.state)
    if filters.since is not None:
        query = query.where(OutboxEvent.created_at >= filters.since)
    if filters.until is not None:
        query = query.where(OutboxEvent.created_at < filters.until)
    return [CallLine(event, name) for event, name in (await db.execute(query)).all()]


async def call_of(
    db: AsyncSession, *, viewer: User, event_id: uuid.UUID, mine_only: bool = False
) -> tuple[CallLine, list[DeliveryAttempt]]:
    """One call and its attempts, oldest first; someone else's is not found."""
    line = await _line_of(db, viewer=viewer, event_id=event_id, mine_only=mine_only)
    attempts = await db.scalars(
        select(DeliveryAttempt)
        .where(DeliveryAttempt.event_id == line.event.id)
        .order_by(DeliveryAttempt.number)
    )
    return line, list(attempts)


async def resend(
    db: AsyncSession,
    *,
    viewer: User,
    event_id: uuid.UUID,
    now: datetime,
    window: timedelta,
    mine_only: bool = False,
) -> CallLine:
    """Send a call again (the worker takes it within its next look); one still being tried
    is left as it is."""
    line = await _line_of(db, viewer=viewer, event_id=event_id, mine_only=mine_only, lock=True)
    if line.event.state != EventState.PENDING:
        await resend_event(db, line.event, now=now, window=window)
        await db.flush()
    return line


async def _line_of(
    db: AsyncSession, *, viewer: User, event_id: uuid.UUID, mine_only: bool, lock: bool = False
) -> CallLine:
    """The call with its listing's name (`lock`: its row locked, read fresh); someone else's
    is not found."""
    query = (
        select(OutboxEvent, Listing)
        .join(Listing, Listing.id == OutboxEvent.listing_id)
        .where(OutboxEvent.id == event_id)
    )
    if lock:
        query = query.with_for_update(of=OutboxEvent).execution_options(populate_existing=True)
    found = (await db.execute(query)).first()
    if found is None or not (_sees_all(viewer, mine_only) or found[1].owner_id == viewer.id):
        raise NotFound(N_("No such call."))
    event, listing = found
    return CallLine(event, listing.name)


async def listings_of(
    db: AsyncSession, *, viewer: User, mine_only: bool = False
) -> list[tuple[uuid.UUID, str]]:
    """The listings whose calls the viewer may filter by."""
    query = select(Listing.id, Listing.name).order_by(Listing.name)
    if not _sees_all(viewer, mine_only):
        query = query.where(Listing.owner_id == viewer.id)
    return [(i, n) for i, n in (await db.execute(query)).all()]
