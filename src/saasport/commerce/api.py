"""Native API v1: free trials and the caller's applications."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header

from saasport.catalog.schemas import CatalogItem
from saasport.commerce import flows, service
from saasport.commerce.schemas import EntitlementOut, OrderIn, SubscriptionOut, TrialIn
from saasport.core.errors import ValidationFailed
from saasport.core.messages import N_
from saasport.deps import ApiUser, DbSession, PlatformDep
from saasport.web.errors import errors
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
    responses=errors(403, 404),
)
async def take_trial(
    listing_id: uuid.UUID, body: TrialIn, user: ApiUser, db: DbSession, platform: PlatformDep
) -> EntitlementOut:
    """Take the free trial for yourself or (as its admin) your enterprise. Safe to repeat."""
    now = platform.clock()
    entitlement = await service.take_trial(
        db, user=user, listing_id=listing_id, org_id=body.org_id, now=now
    )
    return _out(await service.get_held_app(db, user=user, entitlement_id=entitlement.id, now=now))


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
async def order_plan(
    listing_id: uuid.UUID,
    body: OrderIn,
    user: ApiUser,
    db: DbSession,
    platform: PlatformDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> SubscriptionOut:
    """Buy a plan for yourself or (as its admin) your enterprise, paid from the wallet at
    once. The same Idempotency-Key again returns the same subscription, charged once."""
    if not idempotency_key or not idempotency_key.strip():
        raise ValidationFailed({"Idempotency-Key": N_("This call needs an Idempotency-Key.")})
    subscription = await flows.buy(
        db,
        user=user,
        listing_id=listing_id,
        plan_code=body.plan,
        quantity=body.quantity,
        org_id=body.org_id,
        auto_renew=body.auto_renew,
        idempotency_key=idempotency_key.strip(),
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
