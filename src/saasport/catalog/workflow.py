"""The review workflow of a listing: every state change, who may make it, and its record.

draft ⇄ testing → in_review → approved → published ⇄ unpublished; a rejection sends a listing
back to draft, and an operator's take-down suspends it, after which only a new review brings
it back (the merchant cannot simply publish it again). Every change is a `ListingEvent`.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from saasport.accounts.models import User
from saasport.accounts.notifications import notify
from saasport.catalog import events
from saasport.catalog.models import Listing, ListingEvent, ListingState
from saasport.catalog.service import (
    get_own_listing,
    missing_for_submission,
    require_operator,
)
from saasport.core.errors import InvalidTransition, NotFound, ValidationFailed
from saasport.core.messages import N_, Msg

S = ListingState


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str
    by: str  # "merchant", "operator" or "either"
    needs_reason: bool = False
    notify_owner: bool = False  # the merchant hears of it in the console


TRANSITIONS: dict[str, Transition] = {
    "test_open": Transition(frozenset({S.DRAFT}), S.TESTING, "merchant"),
    "close_test": Transition(frozenset({S.TESTING}), S.DRAFT, "merchant"),
    "submit": Transition(frozenset({S.DRAFT, S.TESTING}), S.IN_REVIEW, "merchant"),
    "withdraw": Transition(frozenset({S.IN_REVIEW}), S.DRAFT, "merchant"),
    "approve": Transition(frozenset({S.IN_REVIEW}), S.APPROVED, "operator", notify_owner=True),
    "reject": Transition(
        frozenset({S.IN_REVIEW}), S.DRAFT, "operator", needs_reason=True, notify_owner=True
    ),
    "publish": Transition(frozenset({S.APPROVED, S.UNPUBLISHED}), S.PUBLISHED, "merchant"),
    "unpublish": Transition(frozenset({S.PUBLISHED}), S.UNPUBLISHED, "merchant"),
    "take_down": Transition(
        frozenset({S.APPROVED, S.PUBLISHED, S.UNPUBLISHED}),
        S.SUSPENDED,
        "operator",
        needs_reason=True,
        notify_owner=True,
    ),
    "revise": Transition(frozenset({S.APPROVED, S.UNPUBLISHED, S.SUSPENDED}), S.DRAFT, "merchant"),
}
OPERATOR_ALIASES = {"unpublish": "take_down"}  # an operator's unpublish is a take-down


async def get_for_review(db: AsyncSession, *, operator: User, listing_id: uuid.UUID) -> Listing:
    """Any listing but a deleted one, for an operator."""
    require_operator(operator)
    listing = await db.scalar(
        select(Listing).where(Listing.id == listing_id, Listing.state != S.DELETED)
    )
    if listing is None:
        raise NotFound(N_("No such listing."))
    return listing


async def transition(
    db: AsyncSession,
    *,
    actor: User,
    listing_id: uuid.UUID,
    action: str,
    reason: str = "",
    now: datetime,
) -> Listing:
    """Move a listing through the review workflow, recording who, when and why."""
    if actor.is_operator:
        action = OPERATOR_ALIASES.get(action, action)
    rule = TRANSITIONS.get(action)
    if rule is None:
        raise NotFound(N_("No such action."))
    if rule.by == "operator" or (rule.by == "either" and actor.is_operator):
        listing = await get_for_review(db, operator=actor, listing_id=listing_id)
    else:
        listing = await get_own_listing(db, owner=actor, listing_id=listing_id)
    if listing.state not in rule.sources:
        raise InvalidTransition(
            Msg(
                "A %(state)s listing cannot be sent to %(action)s.",
                state=listing.state,
                action=action,
            )
        )
    reason = reason.strip()
    if rule.needs_reason and not reason:
        raise ValidationFailed({"reason": N_("Say why, so the merchant can fix it.")})
    if action == "test_open" and not listing.entry_url:
        raise ValidationFailed({"entry_url": N_("An entry URL is required to test the listing.")})
    if action == "submit" and (missing := missing_for_submission(listing)):
        raise ValidationFailed(missing, N_("The listing is not complete yet."))
    previous = listing.state
    listing.state = rule.target
    listing.updated_at = now
    if rule.target == S.PUBLISHED:
        listing.published_at = now
    events.record(
        db, listing, actor=actor, action=action, from_state=previous, reason=reason, now=now
    )
    if rule.notify_owner:
        notify(
            db,
            user_id=listing.owner_id,
            kind=f"listing_{action}",
            link=f"/merchant/listings/{listing.id}",
            params={"listing": listing.name, "reason": reason},
            now=now,
        )
    await db.flush()
    return listing


class HolderCount(Protocol):
    """How many users or enterprises hold a listing now (the commerce domain answers)."""

    def __call__(
        self, db: AsyncSession, *, listing_id: uuid.UUID, now: datetime
    ) -> Awaitable[int]: ...


async def delete_listing(
    db: AsyncSession, *, owner: User, listing_id: uuid.UUID, holders: HolderCount, now: datetime
) -> None:
    """Delete a listing nobody holds; published ones must be unpublished first."""
    listing = await get_own_listing(db, owner=owner, listing_id=listing_id)
    if listing.state in {S.PUBLISHED, S.IN_REVIEW}:
        raise InvalidTransition(N_("Unpublish or withdraw the listing before deleting it."))
    if await holders(db, listing_id=listing.id, now=now):
        raise InvalidTransition(N_("Users still hold this application; it cannot be deleted."))
    previous = listing.state
    listing.state = S.DELETED
    listing.updated_at = now
    events.record(db, listing, actor=owner, action="delete", from_state=previous, now=now)
    await db.flush()


async def listing_events(
    db: AsyncSession, *, listing_id: uuid.UUID
) -> list[tuple[ListingEvent, str]]:
    rows = await db.execute(
        select(ListingEvent, User.username)
        .join(User, User.id == ListingEvent.actor_id)
        .where(ListingEvent.listing_id == listing_id)
        .order_by(ListingEvent.at.desc())
    )
    return [(event, name) for event, name in rows]


async def last_decision(db: AsyncSession, *, listing: Listing) -> ListingEvent | None:
    """The rejection or take-down that put the listing where it is, for the merchant to read."""
    if listing.state not in (S.DRAFT, S.SUSPENDED):
        return None
    event = await db.scalar(
        select(ListingEvent)
        .where(ListingEvent.listing_id == listing.id)
        .order_by(ListingEvent.at.desc())
        .limit(1)
    )
    return event if event is not None and event.action in ("reject", "take_down") else None


async def review_queue(db: AsyncSession, *, operator: User) -> list[Listing]:
    require_operator(operator)
    rows = await db.scalars(
        select(Listing).where(Listing.state == S.IN_REVIEW).order_by(Listing.updated_at)
    )
    return list(rows)
