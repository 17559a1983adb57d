"""Native API v1: the merchant's listings, the operator's review queue, the public catalog."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Response, UploadFile

from saasport.catalog import media, plans, service, storefront, workflow
from saasport.catalog.plan_schemas import Code, PlanIn, PlanOut
from saasport.catalog.schemas import (
    ActionIn,
    CatalogDetail,
    CatalogItem,
    CatalogPage,
    Category,
    CredentialsOut,
    EventOut,
    IsvKeyIn,
    IsvKeyOut,
    ListingCreate,
    ListingCreated,
    ListingFields,
    ListingOut,
    RotateIn,
)
from saasport.core.inputs import Limit, Line, Offset
from saasport.deps import ApiUser, DbSession, PlatformDep
from saasport.web.errors import NO_STORE, errors
from saasport.web.routing import UnitOfWorkRoute
from saasport.web.uploads import read_limited

router = APIRouter(prefix="/api/v1", tags=["listings"], route_class=UnitOfWorkRoute)
upload_router = APIRouter(prefix="/api/v1", tags=["listings"], route_class=UnitOfWorkRoute)


@router.get(
    "/listings",
    operation_id="listMyListings",
    response_model=list[ListingOut],
    responses=errors(403),
)
async def list_listings(user: ApiUser, db: DbSession, platform: PlatformDep) -> list[ListingOut]:
    """The caller's listings (merchants)."""
    service.require_merchant(user)
    now = platform.clock()
    return [ListingOut.of(x, now=now) for x in await service.list_own_listings(db, owner=user)]


@router.post(
    "/listings",
    operation_id="createListing",
    status_code=201,
    response_model=ListingCreated,
    responses=errors(403, 422),
)
async def create_listing(
    body: ListingCreate, response: Response, user: ApiUser, db: DbSession, platform: PlatformDep
) -> ListingCreated:
    """Create a draft listing with new credentials (the secret is in this answer only)."""
    now = platform.clock()
    listing, secret = await service.create_listing(
        db, owner=user, fields=body, box=platform.box, now=now
    )
    response.headers.update(NO_STORE)
    return ListingCreated(**ListingOut.of(listing, now=now).model_dump(), app_secret=secret)


@router.get(
    "/listings/{listing_id}",
    operation_id="getListing",
    response_model=ListingOut,
    responses=errors(404),
)
async def get_listing(
    listing_id: uuid.UUID, user: ApiUser, db: DbSession, platform: PlatformDep
) -> ListingOut:
    """One of the caller's listings."""
    listing = await service.get_own_listing(db, owner=user, listing_id=listing_id)
    return ListingOut.of(listing, now=platform.clock())


@router.get(
    "/listings/{listing_id}/plans",
    operation_id="listPlans",
    response_model=list[PlanOut],
    responses=errors(404),
)
async def list_plans(
    listing_id: uuid.UUID, user: ApiUser, db: DbSession, platform: PlatformDep
) -> list[PlanOut]:
    """The plans of one of the caller's listings (archived ones too), latest prices."""
    listing = await service.get_own_listing(db, owner=user, listing_id=listing_id)
    currency = platform.settings.currency
    return [
        PlanOut.of(plan, price, currency=currency)
        for plan, price in await plans.plans_of(db, listing.id, archived=True)
    ]


@router.put(
    "/listings/{listing_id}/plans/{code}",
    operation_id="setPlan",
    response_model=PlanOut,
    responses=errors(404, 409, 422),
)
async def set_plan(
    listing_id: uuid.UUID,
    code: Annotated[Code, Path(max_length=32)],
    body: PlanIn,
    user: ApiUser,
    db: DbSession,
    platform: PlatformDep,
) -> PlanOut:
    """Create or change a plan of a draft or test-open listing. A different price is a new
    version: new orders pay it at once, renewals after the notice period."""
    settings = platform.settings
    plan, price = await plans.set_plan(
        db,
        owner=user,
        listing_id=listing_id,
        code=code,
        fields=body,
        notice=timedelta(days=settings.price_notice_days),
        now=platform.clock(),
    )
    return PlanOut.of(plan, price, currency=settings.currency)


@router.delete(
    "/listings/{listing_id}/plans/{code}",
    operation_id="archivePlan",
    status_code=204,
    responses=errors(404, 409),
)
async def archive_plan(
    listing_id: uuid.UUID,
    code: Annotated[Code, Path(max_length=32)],
    user: ApiUser,
    db: DbSession,
    platform: PlatformDep,
) -> Response:
    """Stop selling a plan (subscriptions to it go on)."""
    await plans.archive_plan(db, owner=user, listing_id=listing_id, code=code, now=platform.clock())
    return Response(status_code=204)


@router.patch(
    "/listings/{listing_id}",
    operation_id="updateListing",
    response_model=ListingOut,
    responses=errors(404, 409, 422),
)
async def update_listing(
    listing_id: uuid.UUID, body: ListingFields, user: ApiUser, db: DbSession, platform: PlatformDep
) -> ListingOut:
    """Change fields of a draft or test-open listing (only the fields sent)."""
    now = platform.clock()
    listing = await service.update_listing(
        db, owner=user, listing_id=listing_id, changes=body, now=now
    )
    return ListingOut.of(listing, now=now)


@router.delete(
    "/listings/{listing_id}",
    operation_id="deleteListing",
    status_code=204,
    responses=errors(404, 409),
)
async def delete_listing(
    listing_id: uuid.UUID, user: ApiUser, db: DbSession, platform: PlatformDep
) -> Response:
    """Delete a listing that no user holds."""
    await workflow.delete_listing(
        db, owner=user, listing_id=listing_id, holders=platform.holders, now=platform.clock()
    )
    return Response(status_code=204)


@upload_router.put(
    "/listings/{listing_id}/icon",
    operation_id="setListingIcon",
    response_model=ListingOut,
    responses=errors(404, 409, 413, 422),
)
async def set_icon(
    listing_id: uuid.UUID, file: UploadFile, user: ApiUser, db: DbSession, platform: PlatformDep
) -> ListingOut:
    """Upload the icon: JPG or PNG, exactly 96×96."""
    data = await read_limited(file, limit=media.ICON_MAX_BYTES, field="icon")
    now = platform.clock()
    listing = await media.set_icon(db, owner=user, listing_id=listing_id, data=data, now=now)
    return ListingOut.of(listing, now=now)


@upload_router.post(
    "/listings/{listing_id}/screenshots",
    operation_id="addListingScreenshots",
    response_model=ListingOut,
    responses=errors(404, 409, 413, 422),
)
async def add_screenshots(
    listing_id: uuid.UUID,
    files: list[UploadFile],
    user: ApiUser,
    db: DbSession,
    platform: PlatformDep,
) -> ListingOut:
    """Add screenshots: JPG or PNG, exactly 1024×768, six at most."""
    data = [
        await read_limited(f, limit=media.SCREENSHOT_MAX_BYTES, field="screenshots")
        for f in files[: media.MAX_SCREENSHOTS + 1]
    ]
    now = platform.clock()
    listing = await media.add_screenshots(
        db, owner=user, listing_id=listing_id, files=data, now=now
    )
    return ListingOut.of(listing, now=now)


@router.delete(
    "/listings/{listing_id}/screenshots/{position}",
    operation_id="removeListingScreenshot",
    response_model=ListingOut,
    responses=errors(404, 409),
)
async def remove_screenshot(
    listing_id: uuid.UUID,
    position: Annotated[int, Path(ge=1, le=1000)],
    user: ApiUser,
    db: DbSession,
    platform: PlatformDep,
) -> ListingOut:
    """Remove one screenshot."""
    now = platform.clock()
    listing = await media.remove_screenshot(
        db, owner=user, listing_id=listing_id, position=position, now=now
    )
    return ListingOut.of(listing, now=now)


@router.post(
    "/listings/{listing_id}/credentials/rotate",
    operation_id="rotateListingSecret",
    response_model=CredentialsOut,
    responses=errors(404, 422),
)
async def rotate_secret(
    listing_id: uuid.UUID,
    response: Response,
    user: ApiUser,
    db: DbSession,
    platform: PlatformDep,
    body: Annotated[RotateIn | None, Body()] = None,
) -> CredentialsOut:
    """A new app secret. The current one keeps working for the overlap (24 h by default),
    so every server of the app can switch first, unless `revoke_previous_now` is sent."""
    now = platform.clock()
    listing, secret = await service.rotate_secret(
        db,
        owner=user,
        listing_id=listing_id,
        box=platform.box,
        overlap_seconds=platform.settings.secret_rotation_overlap_seconds,
        revoke_previous_now=body.revoke_previous_now if body else False,
        now=now,
    )
    response.headers.update(NO_STORE)
    return CredentialsOut(
        app_id=listing.app_id,
        app_secret=secret,
        rotated_at=listing.secret_rotated_at,
        previous_secret_expires_at=listing.previous_secret_expires_at,
    )


@router.post(
    "/listings/{listing_id}/credentials/isv-key",
    operation_id="rotateListingIsvKey",
    response_model=IsvKeyOut,
    responses=errors(404, 422),
)
async def rotate_isv_key(
    listing_id: uuid.UUID,
    response: Response,
    user: ApiUser,
    db: DbSession,
    platform: PlatformDep,
    body: Annotated[IsvKeyIn | None, Body()] = None,
) -> IsvKeyOut:
    """A new DES key for the legacy ISV platform's messages (`isvxml`); the old one stops."""
    derivation = body.derivation if body else "raw"
    _, key = await service.rotate_isv_key(
        db,
        owner=user,
        listing_id=listing_id,
        box=platform.box,
        derivation=derivation,
        now=platform.clock(),
    )
    response.headers.update(NO_STORE)
    return IsvKeyOut(des_key=key, derivation=derivation)


@router.post(
    "/listings/{listing_id}/credentials/revoke-previous",
    operation_id="revokePreviousListingSecret",
    response_model=ListingOut,
    responses=errors(404),
)
async def revoke_previous_secret(
    listing_id: uuid.UUID, user: ApiUser, db: DbSession, platform: PlatformDep
) -> ListingOut:
    """Stop the secret before the last rotation now, instead of at the end of its overlap."""
    now = platform.clock()
    listing = await service.revoke_previous_secret(db, owner=user, listing_id=listing_id, now=now)
    return ListingOut.of(listing, now=now)


@router.post(
    "/listings/{listing_id}/actions",
    operation_id="transitionListing",
    response_model=ListingOut,
    responses=errors(403, 404, 409, 422),
)
async def transition(
    listing_id: uuid.UUID, body: ActionIn, user: ApiUser, db: DbSession, platform: PlatformDep
) -> ListingOut:
    """Move the listing through the workflow (merchant or operator actions)."""
    now = platform.clock()
    listing = await workflow.transition(
        db, actor=user, listing_id=listing_id, action=body.action, reason=body.reason, now=now
    )
    return ListingOut.of(listing, now=now)


@router.get(
    "/listings/{listing_id}/events",
    operation_id="listListingEvents",
    response_model=list[EventOut],
    responses=errors(404),
)
async def events(listing_id: uuid.UUID, user: ApiUser, db: DbSession) -> list[EventOut]:
    """Every state change of the listing: who, when, why."""
    if user.is_operator:
        listing = await workflow.get_for_review(db, operator=user, listing_id=listing_id)
    else:
        listing = await service.get_own_listing(db, owner=user, listing_id=listing_id)
    return [
        EventOut(
            action=e.action,
            from_state=e.from_state,
            to_state=e.to_state,
            reason=e.reason,
            actor=actor,
            at=e.at,
        )
        for e, actor in await workflow.listing_events(db, listing_id=listing.id)
    ]


@router.get(
    "/review-queue",
    operation_id="listReviewQueue",
    response_model=list[ListingOut],
    responses=errors(403),
)
async def review_queue(user: ApiUser, db: DbSession, platform: PlatformDep) -> list[ListingOut]:
    """Listings waiting for an operator's review (operators only)."""
    now = platform.clock()
    return [ListingOut.of(x, now=now) for x in await workflow.review_queue(db, operator=user)]


@router.get("/catalog", operation_id="browseCatalog", response_model=CatalogPage)
async def browse(
    db: DbSession,
    q: Annotated[Line, Query(max_length=100)] = "",
    category: Annotated[Category | None, Query()] = None,
    limit: Annotated[Limit, Query()] = 24,
    offset: Annotated[Offset, Query()] = 0,
) -> CatalogPage:
    """Published applications, searchable by name and summary, filterable by category."""
    items, total = await storefront.browse_catalog(
        db, query=q, category=category or "", limit=limit, offset=offset
    )
    return CatalogPage(
        items=[CatalogItem.of(x) for x in items], total=total, limit=limit, offset=offset
    )


@router.get(
    "/catalog/{listing_id}",
    operation_id="getCatalogItem",
    response_model=CatalogDetail,
    responses=errors(404),
)
async def catalog_item(
    listing_id: uuid.UUID, db: DbSession, platform: PlatformDep
) -> CatalogDetail:
    """A published application's public page, with its plans and prices."""
    listing = await storefront.get_published(db, listing_id=listing_id)
    currency = platform.settings.currency
    offered = [PlanOut.of(p, v, currency=currency) for p, v in await plans.plans_of(db, listing.id)]
    return CatalogDetail.of(listing).model_copy(update={"plans": offered})
