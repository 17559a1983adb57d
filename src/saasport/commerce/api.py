"""Native API v1: free trials, orders and subscriptions, bills, settlements and payouts."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query

from saasport.catalog.plan_schemas import Code
from saasport.catalog.schemas import CatalogItem
from saasport.catalog.service import require_merchant
from saasport.commerce import bills, changes, flows, reports, service
from saasport.commerce.schemas import (
    BillOut,
    ChangeIn,
    EntitlementOut,
    OrderIn,
    PayoutIn,
    PayoutOut,
    QuoteOut,
    SettlementOut,
    SpendLimitIn,
    SubscriptionOut,
    TrialIn,
    UsageOut,
)
from saasport.core.errors import NotFound
from saasport.core.money import Money
from saasport.deps import ApiUser, DbSession, PlatformDep
from saasport.web.errors import errors
from saasport.web.idempotency import IdempotencyKey, idempotent, required_key
from saasport.web.routing import UnitOfWorkRoute

router = APIRouter(prefix="/api/v1", tags=["entitlements"], route_class=UnitOfWorkRoute)


def _out(held: service.HeldApp) -> EntitlementOut:
    return EntitlementOut(
        id=held.entitlement.id,
        kind=held.entitlement.kind,  # type: ignore[arg-type]
        listing=CatalogItem.of(held.listing),
        org_id=held.org.id if held.org else None,
        org_name=held.org.name if held.org else None,
        created_at=held.entitlement.created_at,
        expires_at=held.entitlement.expires_at,
    )


@router.post(
    "/catalog/{listing_id}/trial",
    operation_id="takeTrial",
    response_model=EntitlementOut,
    status_code=201,
    responses=errors(403, 404, 409),
)
async def take_trial(
    listing_id: uuid.UUID, body: TrialIn, user: ApiUser, db: DbSession, platform: PlatformDep
) -> EntitlementOut:
    """Take the free trial (the listing's trial plan, else its free plan) for yourself or (as
    its admin) your enterprise: a subscription that costs nothing. Safe to repeat: what the
    holder already holds is answered; a trial is taken once (409 `trial_used`)."""
    now = platform.clock()
    subscription = await flows.take_free(
        db,
        user=user,
        listing_id=listing_id,
        org_id=body.org_id,
        terms=flows.Terms.of(platform.settings),
        now=now,
    )
    entitlement = await service.entitlement_of(db, subscription)
    try:
        held = await service.get_held_app(db, user=user, entitlement_id=entitlement.id, now=now)
    except NotFound:  # held, but not usable now (its period is over, the scheduler is due)
        raise flows.AlreadySubscribed() from None
    return _out(held)


@router.get("/entitlements", operation_id="listEntitlements", response_model=list[EntitlementOut])
async def entitlements(user: ApiUser, db: DbSession, platform: PlatformDep) -> list[EntitlementOut]:
    """ "My applications": what the caller and their enterprises hold."""
    return [_out(h) for h in await service.held_apps(db, user=user, now=platform.clock())]


@router.post(
    "/catalog/{listing_id}/orders",
    operation_id="orderPlan",
    response_model=SubscriptionOut,
    status_code=201,
    responses=errors(402, 403, 404, 409, 422),
)
@idempotent
async def order_plan(
    listing_id: uuid.UUID,
    body: OrderIn,
    user: ApiUser,
    db: DbSession,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
) -> SubscriptionOut:
    """Buy a plan for yourself or (as its admin) your enterprise, paid from the wallet at
    once. The same Idempotency-Key again returns the same subscription, charged once."""
    subscription = await flows.buy(
        db,
        user=user,
        listing_id=listing_id,
        plan_code=body.plan,
        quantity=body.quantity,
        org_id=body.org_id,
        auto_renew=body.auto_renew,
        idempotency_key=required_key(idempotency_key),
        terms=flows.Terms.of(platform.settings),
        now=platform.clock(),
    )
    return SubscriptionOut.of(subscription)


@router.get(
    "/subscriptions", operation_id="listSubscriptions", response_model=list[SubscriptionOut]
)
async def subscriptions(user: ApiUser, db: DbSession) -> list[SubscriptionOut]:
    """The caller's subscriptions and those of the enterprises they belong to."""
    return [SubscriptionOut.of(s) for s in await service.subscriptions_of(db, user=user)]


@router.post(
    "/subscriptions/{subscription_id}/cancel",
    operation_id="cancelSubscription",
    response_model=SubscriptionOut,
    responses=errors(403, 404),
)
async def cancel_subscription(
    subscription_id: uuid.UUID, user: ApiUser, db: DbSession, platform: PlatformDep
) -> SubscriptionOut:
    """End a subscription now; the unused part of the paid period is refunded to the wallet.
    Safe to repeat."""
    subscription = await flows.cancel(
        db,
        user=user,
        subscription_id=subscription_id,
        terms=flows.Terms.of(platform.settings),
        now=platform.clock(),
    )
    return SubscriptionOut.of(subscription)


@router.get(
    "/subscriptions/{subscription_id}/change-quote",
    operation_id="quotePlanChange",
    response_model=QuoteOut,
    responses=errors(404, 409, 422),
)
async def quote_change(
    subscription_id: uuid.UUID,
    user: ApiUser,
    db: DbSession,
    platform: PlatformDep,
    plan: Annotated[Code, Query(description="The new plan's code.")],
    quantity: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> QuoteOut:
    """What moving to another plan (or number of seats) would credit and charge, now."""
    terms = flows.Terms.of(platform.settings)
    quote = await changes.quote_change(
        db,
        user=user,
        subscription_id=subscription_id,
        plan_code=plan,
        quantity=quantity,
        terms=terms,
        now=platform.clock(),
    )
    return QuoteOut.of(quote, currency=terms.currency)


@router.post(
    "/subscriptions/{subscription_id}/change",
    operation_id="changePlan",
    response_model=SubscriptionOut,
    responses=errors(402, 403, 404, 409, 422),
)
@idempotent
async def change_plan(
    subscription_id: uuid.UUID,
    body: ChangeIn,
    user: ApiUser,
    db: DbSession,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
) -> SubscriptionOut:
    """Upgrade or downgrade: the unused part of the paid period is credited, the new plan's
    full period charged from now (see `quotePlanChange`); refused whole (402) when the
    balance does not cover it. The same Idempotency-Key changes it once."""
    subscription = await changes.change_plan(
        db,
        user=user,
        subscription_id=subscription_id,
        plan_code=body.plan,
        quantity=body.quantity,
        idempotency_key=required_key(idempotency_key),
        terms=flows.Terms.of(platform.settings),
        now=platform.clock(),
    )
    return SubscriptionOut.of(subscription)


@router.put(
    "/subscriptions/{subscription_id}/spend-limit",
    operation_id="setSpendLimit",
    response_model=SubscriptionOut,
    responses=errors(403, 404, 422),
)
async def set_spend_limit(
    subscription_id: uuid.UUID,
    body: SpendLimitIn,
    user: ApiUser,
    db: DbSession,
    platform: PlatformDep,
) -> SubscriptionOut:
    """Cap what the subscription's usage may be charged in a calendar month. Past the cap,
    usage charges wait and the subscription is suspended (you are notified) until you raise
    it; no usage is lost. null removes the cap."""
    currency = platform.settings.currency
    subscription = await changes.set_spend_limit(
        db,
        user=user,
        subscription_id=subscription_id,
        limit=None if body.monthly_limit is None else Money.parse(body.monthly_limit, currency),
        now=platform.clock(),
    )
    return SubscriptionOut.of(subscription)


bills_router = APIRouter(prefix="/api/v1", tags=["bills"], route_class=UnitOfWorkRoute)
MonthPath = Annotated[str, Path(description="YYYY-MM (UTC).", examples=["2026-11"], max_length=7)]


@bills_router.get(
    "/me/bills/{month}",
    operation_id="getMyBill",
    response_model=BillOut,
    responses=errors(403, 404, 422),
)
async def my_bill(
    month: MonthPath,
    user: ApiUser,
    db: DbSession,
    platform: PlatformDep,
    org_id: Annotated[
        uuid.UUID | None, Query(description="An enterprise's bill (its admins only).")
    ] = None,
) -> BillOut:
    """The month's bill of the caller's wallet (or an enterprise's): opening and closing
    balance, one line per listing, plan and kind (usage per dimension), payments. Until the
    late window for usage has passed, `final` is false: usage may still arrive."""
    now = platform.clock()
    bills.month_bounds(month)
    wallet = await bills.bill_wallet(
        db, user=user, org_id=org_id, currency=platform.settings.currency, now=now
    )
    bill = await bills.bill_of(
        db, wallet, month=month, now=now, late_days=platform.settings.usage_late_days
    )
    return BillOut.of(bill, now=now)


@bills_router.get(
    "/me/usage/{month}",
    operation_id="getMyUsage",
    response_model=list[UsageOut],
    responses=errors(403, 404, 422),
)
async def my_usage(
    month: MonthPath,
    user: ApiUser,
    db: DbSession,
    platform: PlatformDep,
    org_id: Annotated[uuid.UUID | None, Query(description="An enterprise's (admins).")] = None,
) -> list[UsageOut]:
    """Usage reported for the caller's (or an enterprise's) subscriptions in the month, per
    subscription and dimension, with what has been charged for it so far."""
    wallet = await bills.bill_wallet(
        db, user=user, org_id=org_id, currency=platform.settings.currency, now=platform.clock()
    )
    usage = await reports.usage_of(db, month=month, holder=wallet.holder)
    return [UsageOut.of(u, currency=wallet.currency) for u in usage]


@bills_router.get(
    "/merchant/settlements/{month}",
    operation_id="getSettlement",
    response_model=SettlementOut,
    responses=errors(403, 422),
)
async def settlement(
    month: MonthPath, user: ApiUser, db: DbSession, platform: PlatformDep
) -> SettlementOut:
    """Merchants: what your listings sold in the month, the platform's commission, your
    share, and the payouts the operator recorded."""
    require_merchant(user)
    statement = await bills.settlement_of(
        db, merchant_id=user.id, month=month, currency=platform.settings.currency
    )
    return SettlementOut.of(statement)


@bills_router.get(
    "/merchant/usage/{month}",
    operation_id="getUsageReceived",
    response_model=list[UsageOut],
    responses=errors(403, 422),
)
async def usage_received(
    month: MonthPath, user: ApiUser, db: DbSession, platform: PlatformDep
) -> list[UsageOut]:
    """Merchants: the usage your listings reported in the month, per subscription and
    dimension, and what the buyers have been charged for it so far."""
    require_merchant(user)
    usage = await reports.usage_of(db, month=month, merchant_id=user.id)
    return [UsageOut.of(u, currency=platform.settings.currency) for u in usage]


@bills_router.post(
    "/operator/payouts",
    operation_id="recordPayout",
    response_model=PayoutOut,
    status_code=201,
    responses=errors(403, 409, 422),
)
@idempotent
async def record_payout(
    body: PayoutIn,
    user: ApiUser,
    db: DbSession,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
) -> PayoutOut:
    """Operators: record a transfer of a merchant's earnings (made outside, e.g. by bank),
    in whole fen and never more than owed. The same Idempotency-Key books it once."""
    currency = platform.settings.currency
    amount = Money.parse(body.amount, currency)
    tx = await bills.pay_out(
        db,
        operator=user,
        merchant_id=body.merchant_id,
        amount=amount.micros,
        currency=currency,
        reference=body.reference,
        idempotency_key=required_key(idempotency_key),
        now=platform.clock(),
    )
    account = await bills.merchant_account(db, body.merchant_id, currency)
    assert account is not None  # pay_out refuses a merchant without one
    await db.refresh(account)
    return PayoutOut(
        transaction_id=tx.id,
        merchant_id=body.merchant_id,
        amount=amount.exact(),  # a replay under the same key has the same amount
        owed=Money(account.balance, currency).exact(),
        created_at=tx.created_at,
    )
