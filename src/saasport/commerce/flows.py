"""Buying: an order paid from a wallet becomes a subscription (commerce, billing, outbox).

    subscription = await buy(db, user=user, listing_id=…, plan_code="pro-monthly",
                             idempotency_key=key, terms=Terms.of(settings), now=now)

One transaction does all of it: the charge (the buyer's wallet → the merchant's earnings and
the platform's commission), the subscription, its order, the entitlement that lets the holder
use the application, and the `subscription.created` outbox event. Not enough balance refuses
the order and changes nothing; the same idempotency key again returns the same subscription.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from saasport.accounts.models import User
from saasport.accounts.orgs import get_membership, require_org_admin
from saasport.billing import ledger, wallets
from saasport.catalog.models import Listing, Plan, PlanKind, PlanPrice
from saasport.catalog.storefront import get_published
from saasport.commerce.models import (
    LIVE_STATES,
    Entitlement,
    EntitlementKind,
    Order,
    Subscription,
    SubscriptionState,
)
from saasport.core.errors import Conflict, NotFound, ValidationFailed
from saasport.core.messages import N_
from saasport.core.money import Money
from saasport.core.periods import period_end
from saasport.db.session import upsert_insert
from saasport.outbox.service import emit


@dataclass(frozen=True)
class Terms:
    """The deployment's commercial settings a purchase needs."""

    currency: str
    commission_bp: int

    @classmethod
    def of(cls, settings: Any) -> Terms:
        return cls(currency=settings.currency, commission_bp=settings.commission_bp)


class AlreadySubscribed(Conflict):
    code = "already_subscribed"

    def __init__(self) -> None:
        super().__init__(N_("This is already subscribed: change or renew that subscription."))


class TrialUsed(Conflict):
    code = "trial_used"

    def __init__(self) -> None:
        super().__init__(N_("The free trial was used already: buy one of the plans."))


async def held_before(db: AsyncSession, *, listing_id: uuid.UUID, holder: str) -> bool:
    """Has the holder ever subscribed to the listing (any plan, live or ended)? A trial is
    for a holder new to the listing: a trial plan, or a periodic plan's free days."""
    found = await db.scalar(
        select(Subscription.id)
        .where(Subscription.listing_id == listing_id, Subscription.holder == holder)
        .limit(1)
    )
    return found is not None


async def take_free(
    db: AsyncSession,
    *,
    user: User,
    listing_id: uuid.UUID,
    terms: Terms,
    now: datetime,
    org_id: uuid.UUID | None = None,
) -> Subscription:
    """Start the listing's free trial for the user or, as its admin, their enterprise: its
    trial plan for a holder new to the listing, else its free plan. Safe to repeat: what the
    holder holds and may use is answered (409 `already_subscribed` if it is suspended)."""
    listing = await get_published(db, listing_id=listing_id)
    if org_id is not None:
        await require_org_admin(db, user=user, org_id=org_id)
    holder = f"org:{org_id}" if org_id else f"user:{user.id}"
    wallet = await wallets.wallet_of(
        db,
        wallets.Holder(user_id=None if org_id else user.id, org_id=org_id),
        currency=terms.currency,
        now=now,
    )
    await ledger.lock(db, [wallet.id])  # as `buy` does: one order at a time per holder
    held = await db.scalar(
        select(Subscription).where(
            Subscription.listing_id == listing.id,
            Subscription.holder == holder,
            Subscription.state.in_(LIVE_STATES),
        )
    )
    if held is not None:
        if held.state != SubscriptionState.ACTIVE:
            raise AlreadySubscribed()
        return held
    offers = {
        plan.kind: plan
        for plan in await db.scalars(
            select(Plan).where(
                Plan.listing_id == listing.id,
                Plan.kind.in_((PlanKind.TRIAL, PlanKind.FREE)),
                Plan.archived_at.is_(None),
            )
        )
    }
    new = not await held_before(db, listing_id=listing.id, holder=holder)
    plan = (offers.get(PlanKind.TRIAL) if new else None) or offers.get(PlanKind.FREE)
    if plan is None:
        if PlanKind.TRIAL in offers:
            raise TrialUsed()
        raise NotFound(N_("This application has no free trial: buy one of its plans."))
    return await buy(
        db,
        user=user,
        listing_id=listing.id,
        plan_code=plan.code,
        idempotency_key=f"free:{uuid.uuid4()}",  # the checks above, under the lock, dedupe
        terms=terms,
        now=now,
        org_id=org_id,
    )


async def price_for_new_orders(db: AsyncSession, plan: Plan, now: datetime) -> PlanPrice:
    price = await db.scalar(
        select(PlanPrice)
        .where(PlanPrice.plan_id == plan.id, PlanPrice.new_orders_from <= now)
        .order_by(PlanPrice.version.desc())
    )
    if price is None:
        raise NotFound(N_("No such plan."))
    return price


async def buy(
    db: AsyncSession,
    *,
    user: User,
    listing_id: uuid.UUID,
    plan_code: str,
    idempotency_key: str,
    terms: Terms,
    now: datetime,
    quantity: int = 1,
    org_id: uuid.UUID | None = None,
    auto_renew: bool | None = None,
) -> Subscription:
    """Order `plan_code` of a published listing for the user (or, as its admin, their
    enterprise), paid from the holder's wallet."""
    listing = await get_published(db, listing_id=listing_id)
    if org_id is not None:
        await require_org_admin(db, user=user, org_id=org_id)
    holder = f"org:{org_id}" if org_id else f"user:{user.id}"
    wallet = await wallets.wallet_of(
        db,
        wallets.Holder(user_id=None if org_id else user.id, org_id=org_id),
        currency=terms.currency,
        now=now,
    )
    # The holder's purchases queue up on its wallet: the checks below see each other's.
    await ledger.lock(db, [wallet.id])
    key = f"order:{user.id}:{idempotency_key}"
    first = await db.scalar(select(Order).where(Order.idempotency_key == key))
    if first is not None:
        done = await db.get_one(Subscription, first.subscription_id)
        if (
            done.listing_id != listing_id
            or (await db.get_one(Plan, done.plan_id)).code != plan_code
            or done.quantity != quantity
        ):
            raise ledger.IdempotencyConflict()
        return done
    plan = await db.scalar(
        select(Plan).where(
            Plan.listing_id == listing.id, Plan.code == plan_code, Plan.archived_at.is_(None)
        )
    )
    if plan is None:
        raise NotFound(N_("No such plan."))
    if not 1 <= quantity <= (plan.max_seats if plan.per_seat else 1):
        raise ValidationFailed({"quantity": N_("Not a number of seats this plan offers.")})
    price = await price_for_new_orders(db, plan, now)
    live = await db.scalar(
        select(Subscription.id).where(
            Subscription.listing_id == listing.id,
            Subscription.holder == holder,
            Subscription.state.in_(LIVE_STATES),
        )
    )
    if live is not None:
        raise AlreadySubscribed()
    # A trial is for a holder new to the listing (whatever it held since: a trial changed
    # into a paid plan and cancelled was a trial too).
    new = not await held_before(db, listing_id=listing.id, holder=holder)
    if plan.kind == PlanKind.TRIAL and not new:
        raise TrialUsed()
    amount, ends, trial_ends = _first_charge(plan, price, quantity, now, trial=new)
    subscription_id = uuid.uuid4()
    transaction = None
    if amount:  # charged first: a short balance refuses before anything else is written
        transaction = await wallets.charge_sale(
            db,
            wallets.Sale(wallet, listing.owner_id, amount, commission_of(listing, terms)),
            idempotency_key=f"purchase:{subscription_id}:1",
            memo=f"{listing.name} · {plan.name}",
            reference=f"subscription:{subscription_id}",
            now=now,
            actor_id=user.id,
        )
    subscription = Subscription(
        id=subscription_id,
        listing_id=listing.id,
        plan_id=plan.id,
        price_id=price.id,
        holder=holder,
        user_id=None if org_id else user.id,
        org_id=org_id,
        bought_by_id=user.id,
        quantity=quantity,
        state=SubscriptionState.ACTIVE,
        auto_renew=plan.auto_renew if auto_renew is None else auto_renew,
        started_at=now,
        trial_ends_at=trial_ends,
        period_start=now,
        period_end=ends,
        periods=1 if amount else 0,
        created_at=now,
        updated_at=now,
    )
    db.add(subscription)
    await db.flush()
    db.add(
        Order(
            subscription_id=subscription.id,
            kind="purchase",
            amount=amount,
            period=1,
            transaction_id=transaction.id if transaction else None,
            idempotency_key=key,
            created_by_id=user.id,
            created_at=now,
        )
    )
    await entitle(db, subscription, until=ends, now=now)
    await emit(
        db,
        topic="subscription.created",
        subject=f"subscription:{subscription.id}",
        listing_id=listing.id,
        payload=event_payload(subscription, plan, price, amount, terms.currency),
        now=now,
    )
    await db.flush()
    return subscription


def commission_of(listing: Listing, terms: Terms) -> int:
    return listing.commission_bp if listing.commission_bp is not None else terms.commission_bp


def _first_charge(
    plan: Plan, price: PlanPrice, quantity: int, now: datetime, *, trial: bool
) -> tuple[int, datetime | None, datetime | None]:
    """(amount charged now, paid until, trial end) of a new subscription; `trial`: the holder
    has not held the listing before, so a periodic plan's free days apply."""
    if plan.kind == PlanKind.FREE:
        return 0, None, None
    if plan.kind == PlanKind.TRIAL:
        assert plan.trial_days is not None
        ends = now + timedelta(days=plan.trial_days)
        return 0, ends, ends
    if plan.kind == PlanKind.PERIODIC and plan.trial_days and trial:
        ends = now + timedelta(days=plan.trial_days)  # the first period is charged at its end
        return 0, ends, ends
    if plan.kind == PlanKind.PERIODIC:
        assert plan.period is not None
        return price.amount * quantity, period_end(now, plan.period), None
    if plan.kind == PlanKind.HOURLY:
        return price.amount * quantity, period_end(now, "hour"), None
    # Usage: its monthly fee (if any) in advance; usage is charged as it is rated.
    return price.amount * quantity, period_end(now, "month"), None


async def entitle(
    db: AsyncSession, subscription: Subscription, *, until: datetime | None, now: datetime
) -> None:
    """The holder may use the listing while the subscription is live: the entitlement (one
    per listing and holder) follows the subscription, and names its kind."""
    plan = await db.get_one(Plan, subscription.plan_id)
    kind = {PlanKind.TRIAL: EntitlementKind.TRIAL, PlanKind.FREE: EntitlementKind.FREE}.get(
        PlanKind(plan.kind), EntitlementKind.SUBSCRIPTION
    )
    insert = upsert_insert(db)
    await db.execute(
        insert(Entitlement)
        .values(
            id=uuid.uuid4(),
            listing_id=subscription.listing_id,
            holder=subscription.holder,
            user_id=subscription.user_id,
            org_id=subscription.org_id,
            kind=kind,
            granted_by_id=subscription.bought_by_id,
            created_at=now,
            expires_at=until,
        )
        .on_conflict_do_nothing(index_elements=["listing_id", "holder"])
    )
    entitlement = await db.scalar(
        select(Entitlement).where(
            Entitlement.listing_id == subscription.listing_id,
            Entitlement.holder == subscription.holder,
        )
    )
    assert entitlement is not None
    entitlement.kind = kind  # a trial becomes the subscription it converts to
    entitlement.expires_at = until
    entitlement.revoked_at = None


async def disentitle(db: AsyncSession, subscription: Subscription, *, now: datetime) -> None:
    """The holder may no longer use the listing (suspended, ended)."""
    entitlement = await db.scalar(
        select(Entitlement).where(
            Entitlement.listing_id == subscription.listing_id,
            Entitlement.holder == subscription.holder,
        )
    )
    if entitlement is not None and entitlement.revoked_at is None:
        entitlement.revoked_at = now


def event_payload(
    subscription: Subscription, plan: Plan, price: PlanPrice, amount: int, currency: str
) -> dict[str, Any]:
    return {
        "subscription_id": str(subscription.id),
        "listing_id": str(subscription.listing_id),
        "plan": plan.code,
        "price_version": price.version,
        "holder": subscription.holder,
        "quantity": subscription.quantity,
        "state": subscription.state,
        "period_start": subscription.period_start.isoformat(),
        "period_end": subscription.period_end.isoformat() if subscription.period_end else None,
        "trial_ends_at": (
            subscription.trial_ends_at.isoformat() if subscription.trial_ends_at else None
        ),
        "amount": Money(amount, currency).exact(),
        "quotas": dict(price.quotas),
    }


async def subscription_of(
    db: AsyncSession, *, user: User, subscription_id: uuid.UUID, manage: bool = False
) -> Subscription:
    """A subscription the user holds (theirs, or their enterprise's); `manage`: enterprise
    subscriptions only for its admins. Anyone else's is not found."""
    subscription = await db.get(Subscription, subscription_id)
    if subscription is None:
        raise NotFound(N_("No such subscription."))
    if subscription.user_id == user.id:
        return subscription
    if subscription.org_id is not None:
        try:
            if manage:
                await require_org_admin(db, user=user, org_id=subscription.org_id)
            else:
                await get_membership(db, user=user, org_id=subscription.org_id)
        except NotFound:
            raise NotFound(N_("No such subscription.")) from None
        return subscription
    raise NotFound(N_("No such subscription."))


async def cancel(
    db: AsyncSession, *, user: User, subscription_id: uuid.UUID, terms: Terms, now: datetime
) -> Subscription:
    """End a subscription now; the unused part of the paid period goes back to the wallet it
    was paid from (rounded down), taken from both shares. Cancelling twice refunds once."""
    subscription = await subscription_of(
        db, user=user, subscription_id=subscription_id, manage=True
    )
    wallet = await wallets.wallet_of(
        db,
        wallets.Holder(user_id=subscription.user_id, org_id=subscription.org_id),
        currency=terms.currency,
        now=now,
    )
    await ledger.lock(db, [wallet.id])  # one cancellation at a time per holder
    await db.refresh(subscription)
    if subscription.state not in LIVE_STATES:
        return subscription  # already ended: nothing more to refund
    plan = await db.get_one(Plan, subscription.plan_id)
    listing = await db.get_one(Listing, subscription.listing_id)
    refund, transaction = 0, None
    paid = await db.scalar(
        select(Order)
        .where(Order.subscription_id == subscription.id, Order.amount > 0)
        .order_by(Order.period.desc())
    )
    end, start = subscription.period_end, subscription.period_start
    if (
        subscription.state == SubscriptionState.ACTIVE
        and paid is not None
        and paid.period == subscription.periods
        and end is not None
        and end > now
    ):
        unused = int((end - max(now, start)).total_seconds())
        whole = int((end - start).total_seconds())
        refund = Money(paid.amount, terms.currency).share(min(unused, whole), whole).micros
    if refund:
        transaction = await wallets.refund_sale(
            db,
            wallets.Sale(wallet, listing.owner_id, refund, commission_of(listing, terms)),
            idempotency_key=f"refund:{subscription.id}",
            memo=f"{listing.name} · {plan.name} · refund",
            reference=f"subscription:{subscription.id}",
            now=now,
            actor_id=user.id,
        )
    db.add(
        Order(
            subscription_id=subscription.id,
            kind="refund",
            amount=-refund,
            period=subscription.periods,
            transaction_id=transaction.id if transaction else None,
            idempotency_key=f"refund:{subscription.id}",
            created_by_id=user.id,
            created_at=now,
        )
    )
    subscription.state = SubscriptionState.CANCELLED
    subscription.auto_renew = False
    subscription.ended_at = now
    subscription.updated_at = now
    await disentitle(db, subscription, now=now)
    price = await db.get_one(PlanPrice, subscription.price_id)
    payload = event_payload(subscription, plan, price, 0, terms.currency)
    await emit(
        db,
        topic="subscription.cancelled",
        subject=f"subscription:{subscription.id}",
        listing_id=listing.id,
        payload=payload | {"refund": Money(refund, terms.currency).exact()},
        now=now,
    )
    await db.flush()
    return subscription
