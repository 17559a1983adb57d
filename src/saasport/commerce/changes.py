"""Upgrades and downgrades: another plan of the same listing, or another number of seats.

    quote = await quote_change(db, user=user, subscription_id=…, plan_code="team", quantity=5,
                               terms=terms, now=now)   # what it would cost, nothing written
    subscription = await change_plan(db, user=user, subscription_id=…, plan_code="team",
                                     quantity=5, idempotency_key=key, terms=terms, now=now)

Proration, one rule for both directions: the unused part of the period already paid goes
back to the wallet (rounded down, as on cancelling), and the new plan's full period is
charged from now, so the subscription starts a new period today. A downgrade usually gives
money back, an upgrade costs the difference; either is refused whole when the balance, after
the credit, does not cover the new period. In a free trial nothing was paid: the plan is
switched and the trial runs on. Prepaid periodic plans (and trials becoming one) change this
way; usage and hourly plans do not (their charges follow use: cancel and buy instead).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from saasport.accounts.models import User
from saasport.billing import ledger, wallets
from saasport.billing.models import LedgerAccount, TransactionKind
from saasport.catalog.models import Listing, Plan, PlanKind, PlanPrice
from saasport.commerce.flows import (
    Terms,
    commission_of,
    entitle,
    event_payload,
    price_for_new_orders,
    subscription_of,
)
from saasport.commerce.models import Order, Subscription, SubscriptionState
from saasport.core.errors import Conflict, NotFound, ValidationFailed
from saasport.core.messages import N_
from saasport.core.money import Money
from saasport.core.periods import period_end
from saasport.outbox.service import emit


class NotChangeable(Conflict):
    code = "not_changeable"


@dataclass(frozen=True)
class Quote:
    """What a change would do: credit the unused part, charge the new period."""

    subscription: Subscription
    plan: Plan  # the new plan
    price: PlanPrice
    quantity: int
    credit: int  # micro-units back to the wallet
    charge: int  # the new period, in full
    period_end: datetime | None  # paid until, after the change
    in_trial: bool

    @property
    def net(self) -> int:
        """What leaves the wallet (negative: what comes back)."""
        return self.charge - self.credit

    @property
    def upgrade(self) -> bool:
        return self.net > 0


async def _paid_order(db: AsyncSession, subscription: Subscription) -> Order | None:
    return await db.scalar(
        select(Order)
        .where(Order.subscription_id == subscription.id, Order.amount > 0)
        .order_by(Order.period.desc(), Order.created_at.desc())
    )


async def _quote(
    db: AsyncSession,
    subscription: Subscription,
    *,
    plan_code: str,
    quantity: int,
    terms: Terms,
    now: datetime,
) -> Quote:
    if subscription.state != SubscriptionState.ACTIVE:
        raise NotChangeable(N_("Only an active subscription changes plan (pay arrears first)."))
    current = await db.get_one(Plan, subscription.plan_id)
    plan = await db.scalar(
        select(Plan).where(
            Plan.listing_id == subscription.listing_id,
            Plan.code == plan_code,
            Plan.archived_at.is_(None),
        )
    )
    if plan is None:
        raise NotFound(N_("No such plan."))
    changes_in_place = (PlanKind.PERIODIC, PlanKind.TRIAL, PlanKind.FREE)
    if current.kind not in changes_in_place or plan.kind != PlanKind.PERIODIC:
        raise NotChangeable(
            N_("Only prepaid monthly or yearly plans change in place: cancel and buy instead.")
        )
    if not 1 <= quantity <= (plan.max_seats if plan.per_seat else 1):
        raise ValidationFailed({"quantity": N_("Not a number of seats this plan offers.")})
    if plan.id == current.id and quantity == subscription.quantity:
        raise ValidationFailed({"plan": N_("This is the plan and the seats you have.")})
    price = await price_for_new_orders(db, plan, now)
    assert plan.period is not None
    in_trial = subscription.trial_ends_at is not None and subscription.trial_ends_at > now
    if in_trial and current.kind == PlanKind.PERIODIC:
        return Quote(subscription, plan, price, quantity, 0, 0, subscription.period_end, True)
    credit = 0
    paid = await _paid_order(db, subscription)
    end, start = subscription.period_end, subscription.period_start
    if paid is not None and paid.period == subscription.periods and end is not None and end > now:
        whole = int((end - start).total_seconds())
        unused = min(int((end - max(now, start)).total_seconds()), whole)
        credit = Money(paid.amount, terms.currency).share(unused, whole).micros
    charge = price.amount * quantity
    return Quote(
        subscription, plan, price, quantity, credit, charge, period_end(now, plan.period), False
    )


async def quote_change(
    db: AsyncSession,
    *,
    user: User,
    subscription_id: uuid.UUID,
    plan_code: str,
    quantity: int,
    terms: Terms,
    now: datetime,
) -> Quote:
    subscription = await subscription_of(
        db, user=user, subscription_id=subscription_id, manage=True
    )
    return await _quote(
        db, subscription, plan_code=plan_code, quantity=quantity, terms=terms, now=now
    )


async def change_plan(
    db: AsyncSession,
    *,
    user: User,
    subscription_id: uuid.UUID,
    plan_code: str,
    quantity: int,
    idempotency_key: str,
    terms: Terms,
    now: datetime,
) -> Subscription:
    """Move the subscription to `plan_code` with `quantity` seats, prorated (see above).
    The same idempotency key again returns the subscription, changed once."""
    subscription = await subscription_of(
        db, user=user, subscription_id=subscription_id, manage=True
    )
    wallet = await wallets.wallet_of(
        db,
        wallets.Holder(user_id=subscription.user_id, org_id=subscription.org_id),
        currency=terms.currency,
        now=now,
    )
    await ledger.lock(db, [wallet.id])  # changes, renewals and cancellations queue up
    await db.refresh(subscription)
    key = f"change:{user.id}:{idempotency_key}"
    done = await db.scalar(select(Order).where(Order.idempotency_key == key))
    if done is not None:
        plan = await db.get_one(Plan, subscription.plan_id)
        if (
            done.subscription_id != subscription.id
            or plan.code != plan_code
            or subscription.quantity != quantity
        ):
            raise ledger.IdempotencyConflict()
        return subscription
    quote = await _quote(
        db, subscription, plan_code=plan_code, quantity=quantity, terms=terms, now=now
    )
    previous = await db.get_one(Plan, subscription.plan_id)
    listing = await db.get_one(Listing, subscription.listing_id)
    period = subscription.periods
    if quote.credit:
        await _book(db, quote, wallet, listing, terms, user, now, period=period)
    next_period = period if quote.in_trial else period + 1
    transaction = None
    if quote.charge:  # after the credit: the balance it brings back counts
        transaction = await wallets.charge_sale(
            db,
            wallets.Sale(wallet, listing.owner_id, quote.charge, commission_of(listing, terms)),
            idempotency_key=f"change:{subscription.id}:{next_period}",
            memo=f"{listing.name} · {quote.plan.name} · plan change",
            reference=f"subscription:{subscription.id}",
            now=now,
            kind=TransactionKind.PURCHASE,
            actor_id=user.id,
        )
    db.add(
        Order(
            subscription_id=subscription.id,
            kind="change",
            amount=quote.charge,
            period=next_period,
            transaction_id=transaction.id if transaction else None,
            idempotency_key=key,
            created_by_id=user.id,
            created_at=now,
        )
    )
    subscription.plan_id = quote.plan.id
    subscription.price_id = quote.price.id
    subscription.quantity = quantity
    if not quote.in_trial:
        subscription.trial_ends_at = None  # a paid period starts: any trial is over
        subscription.period_start = now
        subscription.period_end = quote.period_end
        subscription.periods = next_period
    subscription.updated_at = now
    await entitle(db, subscription, until=subscription.period_end, now=now)
    payload = event_payload(subscription, quote.plan, quote.price, quote.charge, terms.currency)
    await emit(
        db,
        topic="subscription.upgraded" if quote.upgrade else "subscription.downgraded",
        subject=f"subscription:{subscription.id}",
        listing_id=listing.id,
        payload=payload
        | {
            "previous_plan": previous.code,
            "credit": Money(quote.credit, terms.currency).exact(),
        },
        now=now,
    )
    await db.flush()
    return subscription


async def _book(
    db: AsyncSession,
    quote: Quote,
    wallet: LedgerAccount,
    listing: Listing,
    terms: Terms,
    user: User,
    now: datetime,
    *,
    period: int,
) -> None:
    """The unused part of the period paid, back to the wallet (a refund order)."""
    subscription = quote.subscription
    key = f"change-refund:{subscription.id}:{period}"
    transaction = await wallets.refund_sale(
        db,
        wallets.Sale(wallet, listing.owner_id, quote.credit, commission_of(listing, terms)),
        idempotency_key=key,
        memo=f"{listing.name} · unused part, plan change",
        reference=f"subscription:{subscription.id}",
        now=now,
        actor_id=user.id,
    )
    db.add(
        Order(
            subscription_id=subscription.id,
            kind="refund",
            amount=-quote.credit,
            period=period,
            transaction_id=transaction.id,
            idempotency_key=key,
            created_by_id=user.id,
            created_at=now,
        )
    )


async def set_spend_limit(
    db: AsyncSession,
    *,
    user: User,
    subscription_id: uuid.UUID,
    limit: Money | None,
    now: datetime,
) -> Subscription:
    """Cap what the subscription's usage may be charged in a calendar month (None: no cap).
    Past it, usage charges wait and the subscription is suspended until the cap is raised
    (the grace period runs meanwhile, as for any unpaid charge); the records are kept."""
    subscription = await subscription_of(
        db, user=user, subscription_id=subscription_id, manage=True
    )
    if limit is not None and limit.micros < 0:
        raise ValidationFailed({"monthly_limit": N_("A limit is an amount of zero or more.")})
    subscription.spend_limit = limit.micros if limit is not None else None
    subscription.updated_at = now
    await db.flush()
    return subscription
