"""What the consoles list beside bills: usage per subscription and dimension, the orders of
a month, the subscriptions a merchant's listings have.

    usage = await usage_of(db, month="2026-11", holder="user:…")      # a user's usage
    usage = await usage_of(db, month="2026-11", merchant_id=merchant.id)  # usage received

Each is scoped by exactly one of a holder (a user's or an enterprise's wallet) or a
merchant (the listings it owns): a query without a scope is refused, so no console can
list another holder's records by leaving a filter out.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import Select, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from saasport.accounts.models import Organization, User
from saasport.catalog.models import Listing, Plan, PlanPrice
from saasport.commerce.bills import month_bounds
from saasport.commerce.models import (
    LIVE_STATES,
    Order,
    Subscription,
    UsageCharge,
    UsageRecord,
)

E4 = Decimal(10_000)
Q = TypeVar("Q", bound="Select[*tuple[Any, ...]]")


def _scoped(query: Q, holder: str | None, merchant_id: uuid.UUID | None) -> Q:
    if (holder is None) == (merchant_id is None):
        raise ValueError("scope a report by exactly one of holder and merchant_id")
    if holder is not None:
        return query.where(Subscription.holder == holder)
    return query.where(Listing.owner_id == merchant_id)


def _holder_label(username: str | None, org_name: str | None) -> str:
    return username or org_name or ""


@dataclass(frozen=True)
class UsageLine:
    subscription_id: uuid.UUID
    listing: str
    plan: str
    holder: str  # the user's username or the enterprise's name
    dimension: str  # its code, as the app reports it
    name: str
    unit: str
    records: int
    reported: Decimal  # the quantity the records of the month add up to
    rated: Decimal  # how much of it has been charged so far (rating runs at least hourly)
    charged: int  # micro-units

    @property
    def pending(self) -> Decimal:
        return self.reported - self.rated


async def usage_of(
    db: AsyncSession,
    *,
    month: str,
    holder: str | None = None,
    merchant_id: uuid.UUID | None = None,
) -> list[UsageLine]:
    """Usage reported for the month (records by their start, as rating counts them)."""
    start, end = month_bounds(month)
    totals = (
        select(
            UsageRecord.subscription_id,
            UsageRecord.dimension,
            func.count().label("records"),
            func.sum(UsageRecord.quantity_e4).label("quantity"),
        )
        .where(UsageRecord.begin_at >= start, UsageRecord.begin_at < end)
        .group_by(UsageRecord.subscription_id, UsageRecord.dimension)
        .subquery()
    )
    query = (
        select(
            totals,
            Listing.name,
            Plan.name,
            PlanPrice.dimensions,
            User.username,
            Organization.name,
            UsageCharge.quantity_e4,
            UsageCharge.amount,
        )
        .join(Subscription, Subscription.id == totals.c.subscription_id)
        .join(Listing, Listing.id == Subscription.listing_id)
        .join(Plan, Plan.id == Subscription.plan_id)
        .join(PlanPrice, PlanPrice.id == Subscription.price_id)
        .outerjoin(User, User.id == Subscription.user_id)
        .outerjoin(Organization, Organization.id == Subscription.org_id)
        .outerjoin(
            UsageCharge,
            and_(
                UsageCharge.subscription_id == totals.c.subscription_id,
                UsageCharge.dimension == totals.c.dimension,
                UsageCharge.month == month,
            ),
        )
        .order_by(Listing.name, Plan.name, totals.c.dimension)
        .limit(1000)
    )
    lines = []
    for row in (await db.execute(_scoped(query, holder, merchant_id))).all():
        (sub_id, code, records, quantity, listing, plan, dims, username, org, rated, charged) = row
        dimension = next((d for d in dims if d["code"] == code), {"name": code, "unit": ""})
        lines.append(
            UsageLine(
                subscription_id=sub_id,
                listing=listing,
                plan=plan,
                holder=_holder_label(username, org),
                dimension=code,
                name=dimension["name"],
                unit=dimension["unit"],
                records=int(records),
                reported=Decimal(int(quantity)) / E4,
                rated=Decimal(int(rated or 0)) / E4,
                charged=int(charged or 0),
            )
        )
    return lines


@dataclass(frozen=True)
class OrderLine:
    order: Order
    listing: str
    plan: str
    holder: str

    @property
    def quantity(self) -> Decimal | None:
        q = self.order.quantity_e4
        return None if q is None else Decimal(q) / E4


async def orders_of(
    db: AsyncSession,
    *,
    month: str,
    holder: str | None = None,
    merchant_id: uuid.UUID | None = None,
    limit: int = 500,
) -> list[OrderLine]:
    """The month's orders, newest first (a usage charge is an order too)."""
    start, end = month_bounds(month)
    query = (
        select(Order, Listing.name, Plan.name, User.username, Organization.name)
        .join(Subscription, Subscription.id == Order.subscription_id)
        .join(Listing, Listing.id == Subscription.listing_id)
        .join(Plan, Plan.id == Subscription.plan_id)
        .outerjoin(User, User.id == Subscription.user_id)
        .outerjoin(Organization, Organization.id == Subscription.org_id)
        .where(Order.created_at >= start, Order.created_at < end)
        .order_by(Order.created_at.desc(), Order.id)
        .limit(limit)
    )
    rows = (await db.execute(_scoped(query, holder, merchant_id))).all()
    return [
        OrderLine(order, listing, plan, _holder_label(username, org))
        for order, listing, plan, username, org in rows
    ]


@dataclass(frozen=True)
class SubscriptionCount:
    listing: str
    plan: str
    state: str
    subscriptions: int
    seats: int


async def subscriptions_sold(
    db: AsyncSession, *, merchant_id: uuid.UUID
) -> list[SubscriptionCount]:
    """The merchant's live subscriptions (active, or suspended for arrears) per plan."""
    rows = await db.execute(
        select(
            Listing.name,
            Plan.name,
            Subscription.state,
            func.count(),
            func.sum(Subscription.quantity),
        )
        .join(Listing, Listing.id == Subscription.listing_id)
        .join(Plan, Plan.id == Subscription.plan_id)
        .where(Listing.owner_id == merchant_id, Subscription.state.in_(LIVE_STATES))
        .group_by(Listing.name, Plan.name, Subscription.state)
        .order_by(Listing.name, Plan.name, Subscription.state)
    )
    return [
        SubscriptionCount(listing, plan, state, int(count), int(seats or 0))
        for listing, plan, state, count, seats in rows.all()
    ]
