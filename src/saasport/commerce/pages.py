"""Pages: the storefront (browse, an application's page), "My applications", free trials."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from saasport.accounts.orgs import list_memberships
from saasport.billing import wallets
from saasport.billing.ledger import IdempotencyConflict, InsufficientFunds
from saasport.catalog import plans, storefront
from saasport.catalog.models import Listing, Plan
from saasport.catalog.plan_schemas import Code
from saasport.catalog.schemas import CATEGORIES
from saasport.commerce import changes, flows, service
from saasport.commerce.schemas import OrderForm, TrialIn
from saasport.core.errors import NotFound, ValidationFailed
from saasport.core.inputs import Line, PageNumber
from saasport.core.messages import N_
from saasport.core.money import Money, MoneyError
from saasport.deps import DbSession, MaybePageUser, PageUser, PlatformDep
from saasport.web.forms import Form, PagesDep, parse_form, redirect
from saasport.web.routing import PageRoute

router = APIRouter(include_in_schema=False, route_class=PageRoute)
PER_PAGE = 24


@router.get("/", response_class=HTMLResponse)
async def storefront_page(
    request: Request,
    db: DbSession,
    pages: PagesDep,
    user: MaybePageUser,
    q: Annotated[Line, Query(max_length=100)] = "",
    category: Annotated[Line, Query(max_length=32)] = "",
    page: Annotated[PageNumber, Query()] = 1,
) -> Response:
    category = category if category in CATEGORIES else ""
    items, total = await storefront.browse_catalog(
        db, query=q, category=category, limit=PER_PAGE, offset=(page - 1) * PER_PAGE
    )
    return pages.render(
        request,
        "commerce/storefront.html",
        items=items,
        total=total,
        q=q,
        category=category,
        categories=CATEGORIES,
        page=page,
        pages_total=max((total + PER_PAGE - 1) // PER_PAGE, 1),
    )


@router.get("/apps/{listing_id}", response_class=HTMLResponse)
async def app_detail(
    listing_id: uuid.UUID,
    request: Request,
    db: DbSession,
    platform: PlatformDep,
    pages: PagesDep,
    user: MaybePageUser,
) -> Response:
    listing = await storefront.get_published(db, listing_id=listing_id)
    offered = await plans.plans_of(db, listing.id)
    held = None
    admin_orgs = []
    new = True  # to the listing, so a trial is offered (signed out: the general offer)
    if user is not None:
        new = not await flows.held_before(db, listing_id=listing.id, holder=f"user:{user.id}")
        held = next(
            (
                h
                for h in await service.held_apps(db, user=user, now=platform.clock())
                if h.listing.id == listing.id and h.org is None
            ),
            None,
        )
        admin_orgs = [org for org, m in await list_memberships(db, user=user) if m.role == "admin"]
    return pages.render(
        request,
        "commerce/detail.html",
        listing=listing,
        held=held,
        admin_orgs=admin_orgs,
        plans=offered,
        trial_eligible=new,
        free_offer=next(
            (
                p
                for kind in (("trial", "free") if new else ("free",))
                for p, _ in offered
                if p.kind == kind
            ),
            None,
        ),
        currency=platform.settings.currency,
        order_key=uuid.uuid4().hex if user is not None else "",  # one per page: a resubmit
    )


@router.get("/console/apps", response_class=HTMLResponse)
async def my_apps(
    request: Request, db: DbSession, platform: PlatformDep, pages: PagesDep, user: PageUser
) -> Response:
    held = await service.held_apps(db, user=user, now=platform.clock())
    return pages.render(request, "commerce/my_apps.html", held=held)


@router.post("/apps/{listing_id}/order")
async def order_plan(
    listing_id: uuid.UUID, form: Form, db: DbSession, platform: PlatformDep, user: PageUser
) -> Response:
    """The Buy button: paid from the wallet; not enough balance says so on the same page."""
    try:
        body = parse_form(form, OrderForm)
    except ValidationFailed:
        return redirect(f"/apps/{listing_id}", flash="order_invalid")
    try:
        bought = await flows.buy(
            db,
            user=user,
            listing_id=listing_id,
            plan_code=body.plan,
            quantity=body.quantity,
            org_id=body.org_id,
            idempotency_key=body.idempotency_key,
            terms=flows.Terms.of(platform.settings),
            now=platform.clock(),
        )
    except InsufficientFunds:
        await db.rollback()  # a refusal answered with a page still writes nothing
        return redirect(f"/apps/{listing_id}", flash="insufficient_funds")
    except flows.AlreadySubscribed:
        await db.rollback()
        return redirect("/console/apps", flash="already_subscribed")
    except flows.TrialUsed:
        await db.rollback()
        return redirect(f"/apps/{listing_id}", flash="trial_used")
    free_days = bought.trial_ends_at is not None and bought.trial_ends_at > platform.clock()
    return redirect("/console/apps", flash="trial_started" if free_days else "subscribed")


@router.post("/console/subscriptions/{subscription_id}/cancel")
async def cancel_subscription(
    subscription_id: uuid.UUID, db: DbSession, platform: PlatformDep, user: PageUser
) -> Response:
    now = platform.clock()
    await flows.cancel(
        db,
        user=user,
        subscription_id=subscription_id,
        terms=flows.Terms.of(platform.settings),
        now=now,
    )
    refunded = await service.refunded(db, subscription_id=subscription_id, at=now)
    return redirect("/console/wallet", flash="cancelled" if refunded else "cancelled_free")


class ChangeForm(BaseModel):
    plan: Code
    quantity: Annotated[int, Field(ge=1, le=100_000)] = 1
    idempotency_key: Annotated[str, Field(min_length=8, max_length=80, pattern=r"^[a-z0-9-]+$")]


@router.get("/console/subscriptions/{subscription_id}/change", response_class=HTMLResponse)
async def change_page(
    subscription_id: uuid.UUID,
    request: Request,
    db: DbSession,
    platform: PlatformDep,
    pages: PagesDep,
    user: PageUser,
    plan: Annotated[Line, Query(max_length=32)] = "",
    quantity: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Choose another plan or number of seats, see what it credits and costs, confirm."""
    subscription = await flows.subscription_of(
        db, user=user, subscription_id=subscription_id, manage=True
    )
    terms = flows.Terms.of(platform.settings)
    quote, refusal = None, ""
    if plan:
        try:
            quote = await changes.quote_change(
                db,
                user=user,
                subscription_id=subscription_id,
                plan_code=plan,
                quantity=quantity,
                terms=terms,
                now=platform.clock(),
            )
        except ValidationFailed as refused:
            refusal = next(iter(refused.fields.values()), refused.message)
        except (changes.NotChangeable, NotFound) as refused:
            refusal = refused.message
    listing = await db.get_one(Listing, subscription.listing_id)
    return pages.render(
        request,
        "commerce/change.html",
        subscription=subscription,
        listing=listing,
        current=await db.get_one(Plan, subscription.plan_id),
        options=[o for o in await plans.plans_of(db, listing.id) if o[0].kind == "periodic"],
        chosen=plan,
        quantity=quantity,
        quote=quote,
        refusal=refusal,
        currency=terms.currency,
        key=uuid.uuid4().hex,
    )


@router.post("/console/subscriptions/{subscription_id}/change")
async def change_subscription(
    subscription_id: uuid.UUID, form: Form, db: DbSession, platform: PlatformDep, user: PageUser
) -> Response:
    back = f"/console/subscriptions/{subscription_id}/change"
    try:
        body = parse_form(form, ChangeForm)
        await changes.change_plan(
            db,
            user=user,
            subscription_id=subscription_id,
            plan_code=body.plan,
            quantity=body.quantity,
            idempotency_key=body.idempotency_key,
            terms=flows.Terms.of(platform.settings),
            now=platform.clock(),
        )
    except InsufficientFunds:
        await db.rollback()
        return redirect(back, flash="insufficient_funds")
    except (ValidationFailed, changes.NotChangeable, IdempotencyConflict):
        await db.rollback()
        return redirect(back, flash="change_refused")
    return redirect("/console/wallet", flash="plan_changed")


class LimitForm(BaseModel):
    monthly_limit: Annotated[str, Field(max_length=32)] = ""


@router.post("/console/subscriptions/{subscription_id}/limit")
async def subscription_limit(
    subscription_id: uuid.UUID, form: Form, db: DbSession, platform: PlatformDep, user: PageUser
) -> Response:
    """Cap what this subscription's usage may be charged in a month (blank: no cap)."""
    back = f"/console/subscriptions/{subscription_id}/change"
    text = parse_form(form, LimitForm).monthly_limit.strip()
    try:
        limit = Money.parse(text, platform.settings.currency) if text else None
    except MoneyError:
        return redirect(back, flash="limit_invalid")
    try:
        await changes.set_spend_limit(
            db, user=user, subscription_id=subscription_id, limit=limit, now=platform.clock()
        )
    except ValidationFailed:
        await db.rollback()
        return redirect(back, flash="limit_invalid")
    return redirect(back, flash="limit_saved")


class AlertForm(BaseModel):
    threshold: Annotated[str, Field(max_length=32)] = ""


@router.post("/console/wallet/alert")
async def wallet_alert(
    form: Form, db: DbSession, platform: PlatformDep, user: PageUser
) -> Response:
    """Alert me when a charge takes my balance below this (blank: never)."""
    body = parse_form(form, AlertForm)
    currency = platform.settings.currency
    try:
        threshold = (
            Money.parse(body.threshold.strip(), currency) if body.threshold.strip() else None
        )
    except MoneyError:
        return redirect("/console/wallet", flash="alert_invalid")
    try:
        await wallets.set_alert(
            db,
            user=user,
            holder=wallets.Holder(user_id=user.id),
            threshold=threshold,
            currency=currency,
            now=platform.clock(),
        )
    except ValidationFailed:
        await db.rollback()
        return redirect("/console/wallet", flash="alert_invalid")
    return redirect("/console/wallet", flash="alert_saved")


@router.get("/console/wallet", response_class=HTMLResponse)
async def wallet_page(
    request: Request, db: DbSession, platform: PlatformDep, pages: PagesDep, user: PageUser
) -> Response:
    holder = wallets.Holder(user_id=user.id)
    wallet = await wallets.wallet_of(
        db, holder, currency=platform.settings.currency, now=platform.clock()
    )
    return pages.render(
        request,
        "commerce/wallet.html",
        wallet=wallet,
        lines=await wallets.statement(db, wallet),
        subscriptions=await service.subscriptions_with_names(db, user=user),
    )


@router.post("/apps/{listing_id}/trial")
async def take_trial(
    listing_id: uuid.UUID, form: Form, db: DbSession, platform: PlatformDep, user: PageUser
) -> Response:
    try:
        body = parse_form(form, TrialIn)
    except ValidationFailed:
        raise NotFound(N_("No such enterprise.")) from None
    try:
        await flows.take_free(
            db,
            user=user,
            listing_id=listing_id,
            org_id=body.org_id,
            terms=flows.Terms.of(platform.settings),
            now=platform.clock(),
        )
    except flows.TrialUsed:
        await db.rollback()
        return redirect(f"/apps/{listing_id}", flash="trial_used")
    except flows.AlreadySubscribed:
        await db.rollback()
        return redirect("/console/apps", flash="already_subscribed")
    return redirect("/console/apps", flash="trial_started")
