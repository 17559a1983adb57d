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
from saasport.billing.ledger import InsufficientFunds, Poster
from saasport.billing.models import LedgerAccount, TransactionKind
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


BATCH = 250  # totals rated in one transaction


async def rate_usage(
    sessions: Callable[[], AsyncSession], *, now: datetime, rules: Rules, batch: int = BATCH
) -> Rated:
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
    due = sorted(
        Total(subscription_id, dimension, str(month_key), int(total))
        for subscription_id, dimension, month_key, total in totals
        if done.get((subscription_id, dimension, month_key)) != total
    )
    for start in range(0, len(due), batch):
        async with sessions() as db:
            await _Batch.rate(db, due[start : start + batch], now=now, rules=rules, rated=rated)
            await db.commit()
    return rated


@dataclass(frozen=True, order=True)
class Total:
    """A month's total of a subscription's dimension, as the records add up now."""

    subscription_id: uuid.UUID
    dimension: str
    month: str
    quantity_e4: int


@dataclass
class _Batch:
    """Totals of many holders rated in one transaction: what they share is read once, all
    their wallets are locked up front in id order (as every posting locks, so no deadlock),
    and each total is charged or held on its own — a short balance holds only its own."""

    db: AsyncSession
    now: datetime
    rules: Rules
    subscriptions: dict[uuid.UUID, Subscription]
    prices: dict[uuid.UUID, PlanPrice]
    listings: dict[uuid.UUID, Listing]
    wallets: dict[uuid.UUID, LedgerAccount]  # by subscription
    sale_accounts: dict[uuid.UUID, tuple[LedgerAccount, LedgerAccount]]  # by merchant
    charges: dict[tuple[uuid.UUID, str, str], UsageCharge]
    poster: Poster

    @classmethod
    async def rate(
        cls,
        db: AsyncSession,
        totals: list[Total],
        *,
        now: datetime,
        rules: Rules,
        rated: Rated,
    ) -> None:
        ids = {t.subscription_id for t in totals}
        subscriptions = {
            s.id: s for s in await db.scalars(select(Subscription).where(Subscription.id.in_(ids)))
        }
        prices = {
            p.id: p
            for p in await db.scalars(
                select(PlanPrice).where(
                    PlanPrice.id.in_({s.price_id for s in subscriptions.values()})
                )
            )
        }
        listings = {
            x.id: x
            for x in await db.scalars(
                select(Listing).where(
                    Listing.id.in_({s.listing_id for s in subscriptions.values()})
                )
            )
        }
        currency = rules.terms.currency
        wallets_by_holder = await wallets.wallets_of(
            db, {_holder(s) for s in subscriptions.values()}, currency=currency, now=now
        )
        sale_accounts = {
            owner: await wallets.sale_accounts(db, owner, currency, now=now)
            for owner in sorted({x.owner_id for x in listings.values()})
        }
        accounts = [w.id for w in wallets_by_holder.values()]
        accounts += [a.id for pair in sale_accounts.values() for a in pair]
        poster = await Poster.begin(db, accounts, [_key(t) for t in totals])
        await db.execute(  # read again under the locks: a concurrent change is seen
            select(Subscription)
            .where(Subscription.id.in_(ids))
            .execution_options(populate_existing=True)
        )
        charges = {
            (c.subscription_id, c.dimension, c.month): c
            for c in await db.scalars(
                select(UsageCharge).where(UsageCharge.subscription_id.in_(ids))
            )
        }
        batch = cls(
            db,
            now,
            rules,
            subscriptions,
            prices,
            listings,
            {s.id: wallets_by_holder[_holder(s)] for s in subscriptions.values()},
            sale_accounts,
            charges,
            poster,
        )
        for total in totals:
            outcome = await batch.one(total)
            if outcome is None:
                rated.short += 1
            else:
                rated.charged += 1
                rated.micros += outcome
        await db.flush()

    async def one(self, total: Total) -> int | None:
        """Charge the month's difference; the amount charged, or None if it waits."""
        subscription = self.subscriptions[total.subscription_id]
        price = self.prices[subscription.price_id]
        tiers = next((d for d in price.dimensions if d["code"] == total.dimension), None)
        if tiers is None:
            return 0
        key = (total.subscription_id, total.dimension, total.month)
        charge = self.charges.get(key)
        if charge is not None and charge.quantity_e4 == total.quantity_e4:
            return 0  # rated meanwhile (another run): nothing new
        before = charge.amount if charge else 0
        quantity = Decimal(total.quantity_e4) / 10_000
        amount = charge_for(quantity, tiers["tiers"], tiers["mode"]) * subscription.quantity
        delta = amount - before
        month, now, rules = total.month, self.now, self.rules
        if amount > MAX_AMOUNT:  # more than one charge can book: held, the records kept
            log.error("usage_charge_out_of_range", subscription=str(subscription.id), month=month)
            await _hold(self.db, subscription, month, now=now, rules=rules, limit=True, tell=False)
            return None
        if delta > 0 and self._over_limit(subscription, month, delta):
            await _hold(self.db, subscription, month, now=now, rules=rules, limit=True)
            return None
        transaction = None
        if delta > 0:
            listing = self.listings[subscription.listing_id]
            sale = wallets.Sale(
                self.wallets[subscription.id],
                listing.owner_id,
                delta,
                commission_of(listing, rules.terms),
            )
            try:
                transaction = wallets.post_sale(
                    self.poster,
                    sale,
                    *self.sale_accounts[listing.owner_id],
                    kind=TransactionKind.USAGE,
                    idempotency_key=_key(total),
                    memo=f"{listing.name} · {tiers['name']} · {month} · {quantity} {tiers['unit']}",
                    reference=f"subscription:{subscription.id}",
                    now=now,
                )
            except InsufficientFunds:
                await _hold(self.db, subscription, month, now=now, rules=rules, limit=False)
                return None
            await wallets.alert_after(self.db, sale, transaction, now=now)
        # Every change of the month's total is an order, a free one too: a bill names it all.
        self.db.add(
            Order(
                subscription_id=subscription.id,
                kind="usage",
                amount=max(delta, 0),
                period=subscription.periods,
                dimension=total.dimension,
                usage_month=month,
                quantity_e4=total.quantity_e4 - (charge.quantity_e4 if charge else 0),
                transaction_id=transaction.id if transaction else None,
                idempotency_key=_key(total),
                created_at=now,
            )
        )
        if charge is None:
            charge = self.charges[key] = UsageCharge(
                subscription_id=subscription.id,
                dimension=total.dimension,
                month=month,
                quantity_e4=total.quantity_e4,
                amount=max(amount, before),
                updated_at=now,
            )
            self.db.add(charge)
        else:
            charge.quantity_e4, charge.amount = total.quantity_e4, max(amount, before)
            charge.updated_at = now
        return max(delta, 0)

    def _over_limit(self, subscription: Subscription, month: str, delta: int) -> bool:
        """Would `delta` more take the month's usage charges past the holder's cap?"""
        if subscription.spend_limit is None:
            return False
        spent = sum(
            c.amount
            for (sub, _, m), c in self.charges.items()
            if sub == subscription.id and m == month
        )
        return spent + delta > subscription.spend_limit


def _holder(subscription: Subscription) -> wallets.Holder:
    return wallets.Holder(user_id=subscription.user_id, org_id=subscription.org_id)


def _key(total: Total) -> str:
    return f"usage:{total.subscription_id}:{total.dimension}:{total.month}:{total.quantity_e4}"


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
