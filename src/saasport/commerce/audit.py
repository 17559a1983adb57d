"""The commerce half of `saasport billing verify`: every charge traceable to what it paid.

- every purchase, renewal, usage and refund transaction is the transaction of exactly one
  order, and moves the order's amount out of (or, a refund, into) the buyer's wallet;
- every usage order's quantity adds up, per subscription, dimension and month, to the total
  that month was rated at, and no month is rated at more usage than its records hold.

Returns the breaches found (an empty list: every charge is accounted for).
"""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from saasport.billing.models import (
    WALLET_KINDS,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    TransactionKind,
)
from saasport.commerce.models import Order, UsageCharge, UsageRecord

CHARGES = (
    TransactionKind.PURCHASE,
    TransactionKind.RENEWAL,
    TransactionKind.USAGE,
    TransactionKind.REFUND,
)


async def untraced(db: AsyncSession) -> list[str]:
    breaches: list[str] = []
    orders: dict[uuid.UUID, list[Order]] = defaultdict(list)
    for order in await db.scalars(select(Order).where(Order.transaction_id.is_not(None))):
        assert order.transaction_id is not None
        orders[order.transaction_id].append(order)
    wallet_legs = dict(
        (
            await db.execute(
                select(LedgerEntry.transaction_id, LedgerEntry.amount)
                .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
                .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
                .where(LedgerAccount.kind.in_(WALLET_KINDS), LedgerTransaction.kind.in_(CHARGES))
            )
        ).all()
    )
    charges = (
        await db.scalars(select(LedgerTransaction.id).where(LedgerTransaction.kind.in_(CHARGES)))
    ).all()
    for tx_id in charges:
        paid = orders.pop(tx_id, [])
        if len(paid) != 1:
            breaches.append(f"charge {tx_id}: {len(paid)} orders (one was due)")
            continue
        if wallet_legs.get(tx_id) != -paid[0].amount:
            breaches.append(
                f"charge {tx_id}: moves {wallet_legs.get(tx_id)} for order {paid[0].id} "
                f"of {paid[0].amount}"
            )
    for tx_id in orders:
        breaches.append(f"orders {[str(o.id) for o in orders[tx_id]]}: no charge {tx_id}")
    breaches += await _usage_adds_up(db)
    return breaches


async def _usage_adds_up(db: AsyncSession) -> list[str]:
    found: list[str] = []
    ordered: dict[tuple[uuid.UUID, str | None, str | None], int] = {
        (s, d, m): int(q or 0)
        for s, d, m, q in (
            await db.execute(
                select(
                    Order.subscription_id,
                    Order.dimension,
                    Order.usage_month,
                    func.sum(Order.quantity_e4),
                )
                .where(Order.kind == "usage")
                .group_by(Order.subscription_id, Order.dimension, Order.usage_month)
            )
        ).all()
    }
    recorded = {
        (s, d): int(q)
        for s, d, q in (
            await db.execute(
                select(
                    UsageRecord.subscription_id,
                    UsageRecord.dimension,
                    func.sum(UsageRecord.quantity_e4),
                ).group_by(UsageRecord.subscription_id, UsageRecord.dimension)
            )
        ).all()
    }
    rated_per_dimension: dict[tuple[uuid.UUID, str], int] = defaultdict(int)
    for charge in await db.scalars(select(UsageCharge)):
        key = (charge.subscription_id, charge.dimension, charge.month)
        rated_per_dimension[(charge.subscription_id, charge.dimension)] += charge.quantity_e4
        if ordered.pop(key, 0) != charge.quantity_e4:
            found.append(
                f"usage {charge.subscription_id} {charge.dimension} {charge.month}: "
                "its orders do not add up to the quantity rated"
            )
    for unrated in ordered:
        found.append(f"usage orders of {unrated} without a rated month")
    for pair, rated in rated_per_dimension.items():
        if rated > recorded.get(pair, 0):
            found.append(f"usage {pair[0]} {pair[1]}: rated more than its records hold")
    return found
