"""The public side of the catalog: published listings, searched and read, and their images."""

from __future__ import annotations

import uuid

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from saasport.accounts.models import User
from saasport.catalog.models import Listing, ListingScreenshot, ListingState, Media
from saasport.core.errors import NotFound
from saasport.core.messages import N_

S = ListingState


def _like(query: str) -> str:
    """A LIKE pattern matching `query` anywhere, its own wildcards taken literally."""
    escaped = query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def browse_catalog(
    db: AsyncSession, *, query: str = "", category: str = "", limit: int = 24, offset: int = 0
) -> tuple[list[Listing], int]:
    """Published listings matching the search, newest first, and how many match in all."""
    conditions = [Listing.state == S.PUBLISHED]
    query = query.strip()[:100]
    if query:
        pattern = _like(query)
        conditions.append(
            or_(
                func.lower(Listing.name).like(pattern, escape="\\"),
                func.lower(Listing.summary).like(pattern, escape="\\"),
            )
        )
    if category:
        conditions.append(Listing.category == category)
    total = await db.scalar(select(func.count()).select_from(Listing).where(*conditions))
    rows = await db.scalars(
        select(Listing)
        .where(*conditions)
        .order_by(Listing.published_at.desc(), Listing.id)
        .limit(min(max(limit, 1), 100))
        .offset(max(offset, 0))
    )
    return list(rows), int(total or 0)


async def get_published(db: AsyncSession, *, listing_id: uuid.UUID) -> Listing:
    listing = await db.scalar(
        select(Listing).where(Listing.id == listing_id, Listing.state == S.PUBLISHED)
    )
    if listing is None:
        raise NotFound(N_("No such application."))
    return listing


async def get_visible_media(
    db: AsyncSession, *, media_id: uuid.UUID, viewer: User | None
) -> Media | None:
    """An image its owner or an operator may see, or anyone once a published listing shows it."""
    media = await db.scalar(select(Media).where(Media.id == media_id).options(undefer(Media.data)))
    if media is None:
        return None
    if viewer is not None and (viewer.is_operator or viewer.id == media.owner_id):
        return media
    shown = await db.scalar(
        select(func.count())
        .select_from(Listing)
        .outerjoin(ListingScreenshot, ListingScreenshot.listing_id == Listing.id)
        .where(
            Listing.state == S.PUBLISHED,
            or_(Listing.icon_id == media_id, ListingScreenshot.media_id == media_id),
        )
    )
    return media if shown else None
