"""A listing's history: every state change and credential event, recorded one way."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from saasport.accounts.models import User
from saasport.catalog.models import Listing, ListingEvent


def record(
    db: AsyncSession,
    listing: Listing,
    *,
    actor: User,
    action: str,
    from_state: str | None = None,
    reason: str = "",
    now: datetime,
) -> None:
    """Note `action` by `actor` on `listing`, now in `listing.state` (`from_state`: before it,
    when the action moved it)."""
    db.add(
        ListingEvent(
            listing_id=listing.id,
            actor_id=actor.id,
            action=action,
            from_state=listing.state if from_state is None else from_state,
            to_state=listing.state,
            reason=reason,
            at=now,
        )
    )
