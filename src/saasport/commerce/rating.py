"""Rating: stored usage into charges, at least hourly, near real time.

    charged = await rate_usage(platform.sessionmaker, now=clock(), rules=rules)

Tiers apply over a calendar month (UTC) of a subscription's dimension. Each run adds up the
month's records, rates the total once (`billing.rating.charge_for`) and charges the
difference from what was charged before, from the holder's wallet to the merchant and the
platform's commission. The charge's idempotency key names the total it brings the month to,
so a run killed half-way and run again charges nothing twice. Not enough balance leaves the
difference for a later run and suspends the subscription (the app is told, and the holder
can no longer use it); the next run that can charge it does, and the scheduler then resumes
the subscription.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import structlog
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from saasport.accounts.notifications import notify
from saasport.billing import wallets
from saasport.billing.ledger import InsufficientFunds
from saasport.billing.models import TransactionKind
from saasport.billing.rating import charge_for
from saasport.catalog.models import Listing, Plan, PlanPrice
from saasport.commerce.flows import commission_of
from saasport.commerce.models import (
    Order,
    Subscription,
    SubscriptionState,
    UsageCharge,
    UsageRecord,
)
from saasport.commerce.tasks import Rules, change_state
from saasport.core.money import MAX_AMOUNT

log = structlog.get_logger(__name__)


@dataclass
class Rated:
    charged: int = 0  # (subscription, dimension, month) totals charged this run
    micros: int = 0  # how much
    short: int = 0  # left for later: the balance was not enough


def _month(db: AsyncSession) -> ColumnElement[str]:
    if db.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", UsageRecord.begin_at), "YYYY-MM")
    return func.strftime("%Y-%m", UsageRecord.begin_at)


async def rate_usage(sessions: Callable[[], AsyncSession], *, now: datetime, rules: Rules) -> Rated:
    rated = Rated()
    async with sessions() as db:
        month = _month(db)
        totals = (
            await db.execute(
                select(
                    UsageRecord.subscription_id,
                    UsageRecord.dimension,
                    month.label("month"),
                    func.sum(UsageRecord.quantity_e4),
                ).group_by(UsageRecord.subscription_id, UsageRecord.dimension, month)
            )
        ).all()
        done = {
            (c.subscription_id, c.dimension, c.month): c.quantity_e4
            for c in await db.scalars(select(UsageCharge))
        }
    for subscription_id, dimension, month_key, total in totals:
        if done.get((subscription_id, dimension, month_key)) == total:
            continue
        async with sessions() as db:
            outcome = await _rate_one(
                db, subscription_id, dimension, str(month_key), int(total), now=now, rules=rules
            )
            if outcome is None:
                await db.rollback()
                rated.short += 1
                continue
            await db.commit()
            rated.charged += 1
            rated.micros += outcome
    return rated


async def _rate_one(
    db: AsyncSession,
    subscription_id: uuid.UUID,
    dimension: str,
    month: str,
    total_e4: int,
    *,
    now: datetime,
    rules: Rules,
) -> int | None:
    """Charge the month's difference; the amount charged, or None if the balance is short."""
    subscription = await db.get_one(Subscription, subscription_id)
    price = await db.get_one(PlanPrice, subscription.price_id)
    tiers = next((d for d in price.dimensions if d["code"] == dimension), None)
    if tiers is None:
        return 0
    wallet = await wallets.wallet_of(
        db,
        wallets.Holder(user_id=subscription.user_id, org_id=subscription.org_id),
        currency=rules.terms.currency,
        now=now,
    )
    await wallets.ledger.lock(db, [wallet.id])  # one rating of a holder at a time
    charge = await db.scalar(
        select(UsageCharge).where(
            UsageCharge.subscription_id == subscription_id,
            UsageCharge.dimension == dimension,
            UsageCharge.month == month,
        )
    )
    if charge is not None and charge.quantity_e4 == total_e4:
        return 0  # rated meanwhile (another run): nothing new
    before = charge.amount if charge else 0
    quantity = Decimal(total_e4) / 10_000
    amount = charge_for(quantity, tiers["tiers"], tiers["mode"]) * subscription.quantity
    delta = amount - before
    key = f"usage:{subscription_id}:{dimension}:{month}:{total_e4}"
    transaction = None
    if amount > MAX_AMOUNT:  # more than one charge can book: held, the records kept
        log.error("usage_charge_out_of_range", subscription=str(subscription_id), month=month)
        await _hold(db, subscription, month, now=now, rules=rules, limit=True, tell=False)
        return None
    if delta > 0 and await _over_limit(db, subscription, month, delta):
        await _hold(db, subscription, month, now=now, rules=rules, limit=True)
        return None
    if delta > 0:
        listing = await db.get_one(Listing, subscription.listing_id)
        try:
            transaction = await wallets.charge_sale(
                db,
                wallets.Sale(wallet, listing.owner_id, delta, commission_of(listing, rules.terms)),
                kind=TransactionKind.USAGE,
                idempotency_key=key,
                memo=f"{listing.name} · {tiers['name']} · {month} · {quantity} {tiers['unit']}",
                reference=f"subscription:{subscription_id}",
                now=now,
            )
        except InsufficientFunds:
            await _hold(db, subscription, month, now=now, rules=rules, limit=False)
            return None
    # Every change of the month's total is an order, a free one too: a bill names it all.
    db.add(
        Order(
            subscription_id=subscription_id,
            kind="usage",
            amount=max(delta, 0),
            period=subscription.periods,
            dimension=dimension,
            usage_month=month,
            quantity_e4=total_e4 - (charge.quantity_e4 if charge else 0),
            transaction_id=transaction.id if transaction else None,
            idempotency_key=key,
            created_at=now,
        )
    )
    if charge is None:
        db.add(
            UsageCharge(
                subscription_id=subscription_id,
                dimension=dimension,
                month=month,
                quantity_e4=total_e4,
                amount=max(amount, before),
                updated_at=now,
            )
        )
    else:
        charge.quantity_e4, charge.amount, charge.updated_at = total_e4, max(amount, before), now
    await db.flush()
    return max(delta, 0)


async def _over_limit(db: AsyncSession, subscription: Subscription, month: str, delta: int) -> bool:
    """Would `delta` more take the month's usage charges past the holder's cap?"""
    if subscription.spend_limit is None:
        return False
    spent = await db.scalar(
        select(func.coalesce(func.sum(UsageCharge.amount), 0)).where(
            UsageCharge.subscription_id == subscription.id, UsageCharge.month == month
        )
    )
    return int(spent or 0) + delta > subscription.spend_limit


async def _hold(
    db: AsyncSession,
    subscription: Subscription,
    month: str,
    *,
    now: datetime,
    rules: Rules,
    limit: bool,
    tell: bool = True,
) -> None:
    """The charge waits (not enough balance, or past the holder's spending limit): the
    subscription is suspended — the app is told and the holder can no longer use it — until
    a later run can charge it. The records stay: no usage is lost.

    Arrears start the grace period, after which the subscription expires; a spending limit
    is the holder's own choice, so it waits for the holder (raise the limit, or cancel)
    without a countdown — until a raised limit meets a short balance, which is arrears."""
    if not limit and subscription.grace_until is None:
        subscription.grace_until = now + rules.grace
    if subscription.state != SubscriptionState.ACTIVE:
        await db.commit()  # the countdown, if it starts now
        return
    plan = await db.get_one(Plan, subscription.plan_id)
    await change_state(
        db, subscription, plan, SubscriptionState.SUSPENDED, "suspended", now=now, rules=rules
    )
    if limit and tell:  # the user, or the enterprise admin who bought it
        listing = await db.get_one(Listing, subscription.listing_id)
        notify(
            db,
            user_id=subscription.user_id or subscription.bought_by_id,
            kind="spend_limit",
            link="/console/wallet",
            params={"listing": listing.name, "month": month},
            now=now,
        )
    await db.commit()
