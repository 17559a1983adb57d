"""Entitlements: what a user and their enterprises may use, each following its subscription
(a free trial's too)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from saasport.accounts.models import Organization, User
from saasport.accounts.orgs import accepted_orgs_of
from saasport.catalog.models import Listing, ListingState, Plan
from saasport.commerce.models import Entitlement, Order, Subscription
from saasport.core.errors import NotFound
from saasport.core.messages import N_


@dataclass(frozen=True)
class HeldApp:
    entitlement: Entitlement
    listing: Listing
    org: Organization | None


async def entitlement_of(db: AsyncSession, subscription: Subscription) -> Entitlement:
    """The entitlement that follows the subscription (one per listing and holder)."""
    found = await db.execute(
        select(Entitlement).where(
            Entitlement.listing_id == subscription.listing_id,
            Entitlement.holder == subscription.holder,
        )
    )
    return found.scalar_one()


def _live(now: datetime) -> list[Any]:
    return [
        Entitlement.revoked_at.is_(None),
        or_(Entitlement.expires_at.is_(None), Entitlement.expires_at > now),
    ]


async def active_holders(db: AsyncSession, *, listing_id: uuid.UUID, now: datetime) -> int:
    """How many users or enterprises hold the listing right now."""
    count = await db.scalar(
        select(func.count())
        .select_from(Entitlement)
        .where(Entitlement.listing_id == listing_id, *_live(now))
    )
    return int(count or 0)


def _held_query(user: User, now: datetime) -> Select[Entitlement, Listing, Organization]:
    org_ids = accepted_orgs_of(user.id)
    return (
        select(Entitlement, Listing, Organization)
        .join(Listing, Listing.id == Entitlement.listing_id)
        .outerjoin(Organization, Organization.id == Entitlement.org_id)
        .where(
            or_(Entitlement.user_id == user.id, Entitlement.org_id.in_(org_ids)),
            Listing.state == ListingState.PUBLISHED,
            *_live(now),
        )
    )


def holding_of(
    user: User, listing_id: uuid.UUID, now: datetime
) -> Select[uuid.UUID, uuid.UUID | None]:
    """The user's live entitlement to one listing (its `org_id`: the enterprise's, if so)."""
    return (
        select(Entitlement.id, Entitlement.org_id)
        .join(Listing, Listing.id == Entitlement.listing_id)
        .where(
            Entitlement.listing_id == listing_id,
            or_(Entitlement.user_id == user.id, Entitlement.org_id.in_(accepted_orgs_of(user.id))),
            Listing.state == ListingState.PUBLISHED,
            *_live(now),
        )
        .order_by(Entitlement.org_id.is_not(None))  # the user's own first
        .limit(1)
    )


async def held_apps(db: AsyncSession, *, user: User, now: datetime) -> list[HeldApp]:
    """The user's own entitlements and those of every enterprise they belong to."""
    rows = await db.execute(_held_query(user, now).order_by(Entitlement.created_at.desc()))
    return [HeldApp(e, listing, org) for e, listing, org in rows]


async def get_held_app(
    db: AsyncSession, *, user: User, entitlement_id: uuid.UUID, now: datetime
) -> HeldApp:
    """One entitlement the user can use; anyone else's is not found."""
    row = (await db.execute(_held_query(user, now).where(Entitlement.id == entitlement_id))).first()
    if row is None:
        raise NotFound(N_("No such application in your list."))
    return HeldApp(row[0], row[1], row[2])


async def subscriptions_with_names(
    db: AsyncSession, *, user: User
) -> list[tuple[Subscription, str, str, str]]:
    """The user's subscriptions (and their enterprises'), with the listing's and plan's names
    and the plan's kind."""
    rows = await db.execute(
        select(Subscription, Listing.name, Plan.name, Plan.kind)
        .join(Listing, Listing.id == Subscription.listing_id)
        .join(Plan, Plan.id == Subscription.plan_id)
        .where(
            or_(
                Subscription.user_id == user.id,
                Subscription.org_id.in_(accepted_orgs_of(user.id)),
            )
        )
        .order_by(Subscription.created_at.desc())
    )
    return [(s, listing, plan, kind) for s, listing, plan, kind in rows.all()]


async def subscriptions_of(db: AsyncSession, *, user: User) -> list[Subscription]:
    """The user's own subscriptions and those of every enterprise they belong to."""
    rows = await db.scalars(
        select(Subscription)
        .where(
            or_(
                Subscription.user_id == user.id,
                Subscription.org_id.in_(accepted_orgs_of(user.id)),
            )
        )
        .order_by(Subscription.created_at.desc())
    )
    return list(rows)


async def refunded(db: AsyncSession, *, subscription_id: uuid.UUID, at: datetime) -> bool:
    """Did the change made at `at` (a cancellation) give money back?"""
    found = await db.scalar(
        select(Order.id).where(
            Order.subscription_id == subscription_id,
            Order.kind == "refund",
            Order.amount < 0,
            Order.created_at == at,
        )
    )
    return found is not None
