"""Time-driven changes of subscriptions, run by a scheduler with an injectable clock.

    done = await run_due(platform.sessionmaker, now=clock(), rules=Rules.of(settings))

Each due subscription is handled in its own transaction, claimed with `FOR UPDATE SKIP
LOCKED` on PostgreSQL, so several schedulers can run at once; each charge's idempotency key
names the subscription and the period it pays, so even two claims of one subscription charge
a period once. What happens, by state:

- **active, paid period over**: renewed if it auto-renews (the next period charged at the
  price for renewals — a new price only after its notice — continuing from the end of the
  last period, or from now if the last ended more than a period ago); a trial first converts
  to the paid plan the same way; not enough balance suspends it (`grace_until` = now + the
  grace period) and the app can no longer be used; a subscription that does not renew, and a
  trial plan, expire.
- **suspended**: charged again on every run (the holder may have topped up): resumed when
  paid, expired when the grace period is over. A subscription suspended for usage it could
  not pay stays suspended while any of its usage is unpaid (rating charges it first, at the
  start of each run); suspended within a period it has paid, it resumes without a charge.
- **expired**: released after the retention period (the app may delete the holder's data).

Every change writes its outbox event in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from saasport.billing import wallets
from saasport.billing.ledger import InsufficientFunds
from saasport.billing.models import TransactionKind
from saasport.catalog.models import Listing, Plan, PlanKind, PlanPrice
from saasport.commerce.flows import Terms, commission_of, disentitle, entitle, event_payload
from saasport.commerce.models import (
    Order,
    Subscription,
    SubscriptionState,
    UsageCharge,
    UsageRecord,
)
from saasport.core.periods import period_end
from saasport.outbox.service import emit

S = SubscriptionState


@dataclass(frozen=True)
class Rules:
    terms: Terms
    grace: timedelta
    retention: timedelta

    @classmethod
    def of(cls, settings: Any) -> Rules:
        return cls(
            terms=Terms.of(settings),
            grace=timedelta(days=settings.grace_days),
            retention=timedelta(days=settings.retention_days),
        )


@dataclass
class Report:
    renewed: int = 0
    suspended: int = 0
    resumed: int = 0
    expired: int = 0
    released: int = 0


def _due(now: datetime, rules: Rules) -> Any:
    return or_(
        (Subscription.state == S.ACTIVE) & (Subscription.period_end <= now),
        Subscription.state == S.SUSPENDED,
        (Subscription.state == S.EXPIRED) & (Subscription.ended_at <= now - rules.retention),
    )


async def run_due(
    sessions: Callable[[], AsyncSession], *, now: datetime, rules: Rules, batch: int = 200
) -> Report:
    """Handle every subscription that is due at `now`, one transaction each."""
    report = Report()
    async with sessions() as db:
        ids = list(
            await db.scalars(
                select(Subscription.id).where(_due(now, rules)).order_by(Subscription.period_end)
            )
        )
    for subscription_id in ids:
        async with sessions() as db:
            claim = select(Subscription).where(Subscription.id == subscription_id, _due(now, rules))
            if db.get_bind().dialect.name == "postgresql":
                # The holder's wallet first, as purchases, changes, cancellations and rating
                # take it before the subscription: one order of locks, no deadlock.
                await _lock_wallet_of(db, subscription_id, rules=rules, now=now)
                claim = claim.with_for_update(skip_locked=True)
            else:
                # SQLite: take the database's write lock first; a second scheduler waits here,
                # then finds the subscription no longer due.
                await db.execute(
                    update(Subscription)
                    .where(Subscription.id == subscription_id)
                    .values(updated_at=Subscription.updated_at)
                    .execution_options(synchronize_session=False)
                )
            subscription = await db.scalar(claim.execution_options(populate_existing=True))
            if subscription is None:
                continue  # another scheduler has it, or has done it
            outcome = await _advance(db, subscription, now=now, rules=rules)
            await db.commit()
            if outcome:
                setattr(report, outcome, getattr(report, outcome) + 1)
    return report


async def _lock_wallet_of(
    db: AsyncSession, subscription_id: uuid.UUID, *, rules: Rules, now: datetime
) -> None:
    holder = (
        await db.execute(
            select(Subscription.user_id, Subscription.org_id).where(
                Subscription.id == subscription_id
            )
        )
    ).one()
    wallet = await wallets.wallet_of(
        db,
        wallets.Holder(user_id=holder.user_id, org_id=holder.org_id),
        currency=rules.terms.currency,
        now=now,
    )
    await wallets.ledger.lock(db, [wallet.id])


async def _advance(
    db: AsyncSession, subscription: Subscription, *, now: datetime, rules: Rules
) -> str | None:
    plan = await db.get_one(Plan, subscription.plan_id)
    if subscription.state == S.EXPIRED:
        return await change_state(
            db, subscription, plan, S.RELEASED, "released", now=now, rules=rules
        )
    if subscription.state == S.ACTIVE and (
        plan.kind == PlanKind.TRIAL or not subscription.auto_renew
    ):
        return await change_state(
            db, subscription, plan, S.EXPIRED, "expired", now=now, rules=rules
        )
    if subscription.state == S.SUSPENDED:
        if await usage_unpaid(db, subscription):
            over = subscription.grace_until is not None and subscription.grace_until <= now
            # Held by its limit (no countdown) but its period is over and it does not renew:
            # it ends here; the waiting usage is still charged once the limit allows.
            ending = (
                subscription.grace_until is None
                and subscription.period_end is not None
                and subscription.period_end <= now
                and (plan.kind == PlanKind.TRIAL or not subscription.auto_renew)
            )
            if over or ending:
                return await change_state(
                    db, subscription, plan, S.EXPIRED, "expired", now=now, rules=rules
                )
            return None  # the usage is charged first
        if subscription.period_end is not None and subscription.period_end > now:
            return await _resume(db, subscription, plan, now=now, rules=rules)
        if plan.kind == PlanKind.TRIAL or not subscription.auto_renew:
            # Its period ended while suspended, and it was not to renew: it ends here.
            return await change_state(
                db, subscription, plan, S.EXPIRED, "expired", now=now, rules=rules
            )
    charged = await _charge_next(db, subscription, plan, now=now, rules=rules)
    if charged:
        return charged
    if subscription.state == S.ACTIVE:
        subscription.grace_until = now + rules.grace
        return await change_state(
            db, subscription, plan, S.SUSPENDED, "suspended", now=now, rules=rules
        )
    if subscription.grace_until is None:  # held by its spending limit until now: arrears
        subscription.grace_until = now + rules.grace
    if subscription.grace_until <= now:
        return await change_state(
            db, subscription, plan, S.EXPIRED, "expired", now=now, rules=rules
        )
    return None  # suspended, still in its grace period, still unpaid


async def _charge_next(
    db: AsyncSession, subscription: Subscription, plan: Plan, *, now: datetime, rules: Rules
) -> str | None:
    """Charge the next period; "renewed" / "resumed" when paid, None when the balance is short."""
    unit = (
        plan.period
        if plan.kind == PlanKind.PERIODIC
        else ("hour" if plan.kind == PlanKind.HOURLY else "month")
    )
    assert unit is not None and subscription.period_end is not None
    last_end = subscription.period_end
    continuous = subscription.state == S.ACTIVE and period_end(last_end, unit) > now
    start = last_end if continuous else now
    price = await _price_for_renewal(db, plan, at=start)
    amount = price.amount * subscription.quantity
    period = subscription.periods + 1
    listing = await db.get_one(Listing, subscription.listing_id)
    transaction = None
    if amount:
        wallet = await wallets.wallet_of(
            db,
            wallets.Holder(user_id=subscription.user_id, org_id=subscription.org_id),
            currency=rules.terms.currency,
            now=now,
        )
        try:
            # A short balance is refused before the ledger writes anything.
            transaction = await wallets.charge_sale(
                db,
                wallets.Sale(wallet, listing.owner_id, amount, commission_of(listing, rules.terms)),
                kind=TransactionKind.RENEWAL,
                idempotency_key=f"renewal:{subscription.id}:{period}",
                memo=f"{listing.name} · {plan.name} · {period}",
                reference=f"subscription:{subscription.id}",
                now=now,
            )
        except InsufficientFunds:
            return None
    outcome = "resumed" if subscription.state == S.SUSPENDED else "renewed"
    subscription.state = S.ACTIVE
    subscription.price_id = price.id
    subscription.period_start, subscription.period_end = start, period_end(start, unit)
    subscription.periods = period
    subscription.grace_until = None
    subscription.updated_at = now
    db.add(
        Order(
            subscription_id=subscription.id,
            kind="renewal",
            amount=amount,
            period=period,
            transaction_id=transaction.id if transaction else None,
            idempotency_key=f"renewal:{subscription.id}:{period}",
            created_at=now,
        )
    )
    await entitle(db, subscription, until=subscription.period_end, now=now)
    await emit(
        db,
        topic=f"subscription.{outcome}",
        subject=f"subscription:{subscription.id}",
        listing_id=subscription.listing_id,
        payload=event_payload(subscription, plan, price, amount, rules.terms.currency),
        now=now,
    )
    return outcome


async def _price_for_renewal(db: AsyncSession, plan: Plan, *, at: datetime) -> PlanPrice:
    """The latest price whose notice period is over at `at` (never a retroactive one)."""
    price = await db.scalar(
        select(PlanPrice)
        .where(PlanPrice.plan_id == plan.id, PlanPrice.renewals_from <= at)
        .order_by(PlanPrice.version.desc())
    )
    if price is None:  # every version is newer than `at`: the first one
        price = await db.scalar(
            select(PlanPrice).where(PlanPrice.plan_id == plan.id).order_by(PlanPrice.version)
        )
    assert price is not None
    return price


async def change_state(
    db: AsyncSession,
    subscription: Subscription,
    plan: Plan,
    state: SubscriptionState,
    outcome: str,
    *,
    now: datetime,
    rules: Rules,
) -> str:
    subscription.state = state
    subscription.updated_at = now
    if state in (S.EXPIRED, S.RELEASED) and subscription.ended_at is None:
        subscription.ended_at = now
    await disentitle(db, subscription, now=now)  # suspended, expired, released: not usable
    price = await db.get_one(PlanPrice, subscription.price_id)
    await emit(
        db,
        topic=f"subscription.{outcome}",
        subject=f"subscription:{subscription.id}",
        listing_id=subscription.listing_id,
        payload=event_payload(subscription, plan, price, 0, rules.terms.currency),
        now=now,
    )
    return outcome


async def usage_unpaid(db: AsyncSession, subscription: Subscription) -> bool:
    """Has usage been reported (of the plan's dimensions) that is not charged yet?"""
    price = await db.get_one(PlanPrice, subscription.price_id)
    codes = [d["code"] for d in price.dimensions]
    if not codes:
        return False
    reported = await db.scalar(
        select(func.coalesce(func.sum(UsageRecord.quantity_e4), 0)).where(
            UsageRecord.subscription_id == subscription.id, UsageRecord.dimension.in_(codes)
        )
    )
    rated = await db.scalar(
        select(func.coalesce(func.sum(UsageCharge.quantity_e4), 0)).where(
            UsageCharge.subscription_id == subscription.id, UsageCharge.dimension.in_(codes)
        )
    )
    return int(reported or 0) > int(rated or 0)


async def _resume(
    db: AsyncSession, subscription: Subscription, plan: Plan, *, now: datetime, rules: Rules
) -> str:
    """Usable again within the period it has paid: nothing more to charge."""
    subscription.state = S.ACTIVE
    subscription.grace_until = None
    subscription.updated_at = now
    await entitle(db, subscription, until=subscription.period_end, now=now)
    price = await db.get_one(PlanPrice, subscription.price_id)
    await emit(
        db,
        topic="subscription.resumed",
        subject=f"subscription:{subscription.id}",
        listing_id=subscription.listing_id,
        payload=event_payload(subscription, plan, price, 0, rules.terms.currency),
        now=now,
    )
    return "resumed"
