"""Native API v1: the merchant's listings, the operator's review queue, the public catalog."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query, Response, UploadFile

from saasport.catalog import service
from saasport.catalog.media import ICON_MAX_BYTES, SCREENSHOT_MAX_BYTES, read_limited
from saasport.catalog.schemas import (
    ActionIn,
    CatalogDetail,
    CatalogItem,
    CatalogPage,
    CredentialsOut,
    EventOut,
    ListingCreate,
    ListingCreated,
    ListingFields,
    ListingOut,
)
from saasport.deps import ApiUser, DbSession, PlatformDep

router = APIRouter(prefix="/api/v1", tags=["listings"])


@router.get("/listings", operation_id="listMyListings", response_model=list[ListingOut])
async def list_listings(user: ApiUser, db: DbSession) -> list[ListingOut]:
    """The caller's listings (merchants)."""
    service.require_merchant(user)
    return [ListingOut.of(x) for x in await service.list_own_listings(db, owner=user)]


@router.post(
    "/listings", operation_id="createListing", status_code=201, response_model=ListingCreated
)
async def create_listing(
    body: ListingCreate, user: ApiUser, db: DbSession, platform: PlatformDep
) -> ListingCreated:
    """Create a draft listing with new credentials (the secret is in this answer only)."""
    listing, secret = await service.create_listing(
        db,
        owner=user,
        data=body.model_dump(exclude_none=True),
        box=platform.box,
        dev_mode=platform.settings.dev_mode,
        now=platform.clock(),
    )
    await db.commit()
    return ListingCreated(**ListingOut.of(listing).model_dump(), app_secret=secret)


@router.get("/listings/{listing_id}", operation_id="getListing", response_model=ListingOut)
async def get_listing(listing_id: uuid.UUID, user: ApiUser, db: DbSession) -> ListingOut:
    """One of the caller's listings."""
    return ListingOut.of(await service.get_own_listing(db, owner=user, listing_id=listing_id))


@router.patch("/listings/{listing_id}", operation_id="updateListing", response_model=ListingOut)
async def update_listing(
    listing_id: uuid.UUID, body: ListingFields, user: ApiUser, db: DbSession, platform: PlatformDep
) -> ListingOut:
    """Change fields of a draft or test-open listing."""
    listing = await service.update_listing(
        db,
        owner=user,
        listing_id=listing_id,
        data=body.model_dump(exclude_none=True),
        dev_mode=platform.settings.dev_mode,
        now=platform.clock(),
    )
    await db.commit()
    return ListingOut.of(listing)


@router.delete("/listings/{listing_id}", operation_id="deleteListing", status_code=204)
async def delete_listing(
    listing_id: uuid.UUID, user: ApiUser, db: DbSession, platform: PlatformDep
) -> Response:
    """Delete a listing that no user holds."""
    await service.delete_listing(db, owner=user, listing_id=listing_id, now=platform.clock())
    await db.commit()
    return Response(status_code=204)


@router.put("/listings/{listing_id}/icon", operation_id="setListingIcon", response_model=ListingOut)
async def set_icon(
    listing_id: uuid.UUID, file: UploadFile, user: ApiUser, db: DbSession, platform: PlatformDep
) -> ListingOut:
    """Upload the icon: JPG or PNG, exactly 96×96."""
    data = await read_limited(file, limit=ICON_MAX_BYTES, field="icon")
    listing = await service.set_icon(
        db, owner=user, listing_id=listing_id, data=data, now=platform.clock()
    )
    await db.commit()
    return ListingOut.of(listing)


@router.post(
    "/listings/{listing_id}/screenshots",
    operation_id="addListingScreenshots",
    response_model=ListingOut,
)
async def add_screenshots(
    listing_id: uuid.UUID,
    files: list[UploadFile],
    user: ApiUser,
    db: DbSession,
    platform: PlatformDep,
) -> ListingOut:
    """Add screenshots: JPG or PNG, exactly 1024×768, six at most."""
    data = [await read_limited(f, limit=SCREENSHOT_MAX_BYTES, field="screenshots") for f in files]
    listing = await service.add_screenshots(
        db, owner=user, listing_id=listing_id, files=data, now=platform.clock()
    )
    await db.commit()
    return ListingOut.of(listing)


@router.delete(
    "/listings/{listing_id}/screenshots/{position}",
    operation_id="removeListingScreenshot",
    response_model=ListingOut,
)
async def remove_screenshot(
    listing_id: uuid.UUID, position: int, user: ApiUser, db: DbSession, platform: PlatformDep
) -> ListingOut:
    """Remove one screenshot."""
    listing = await service.remove_screenshot(
        db, owner=user, listing_id=listing_id, position=position, now=platform.clock()
    )
    await db.commit()
    return ListingOut.of(listing)


@router.post(
    "/listings/{listing_id}/credentials/rotate",
    operation_id="rotateListingSecret",
    response_model=CredentialsOut,
)
async def rotate_secret(
    listing_id: uuid.UUID, user: ApiUser, db: DbSession, platform: PlatformDep
) -> CredentialsOut:
    """Replace the app secret; the old one stops working now."""
    listing, secret = await service.rotate_secret(
        db, owner=user, listing_id=listing_id, box=platform.box, now=platform.clock()
    )
    await db.commit()
    return CredentialsOut(
        app_id=listing.app_id, app_secret=secret, rotated_at=listing.secret_rotated_at
    )


@router.post(
    "/listings/{listing_id}/actions", operation_id="transitionListing", response_model=ListingOut
)
async def transition(
    listing_id: uuid.UUID, body: ActionIn, user: ApiUser, db: DbSession, platform: PlatformDep
) -> ListingOut:
    """Move the listing through the workflow (merchant or operator actions)."""
    listing = await service.transition(
        db,
        actor=user,
        listing_id=listing_id,
        action=body.action,
        reason=body.reason,
        now=platform.clock(),
    )
    await db.commit()
    return ListingOut.of(listing)


@router.get(
    "/listings/{listing_id}/events", operation_id="listListingEvents", response_model=list[EventOut]
)
async def events(listing_id: uuid.UUID, user: ApiUser, db: DbSession) -> list[EventOut]:
    """Every state change of the listing: who, when, why."""
    if user.is_operator:
        listing = await service.get_for_review(db, operator=user, listing_id=listing_id)
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
        for e, actor in await service.listing_events(db, listing_id=listing.id)
    ]


@router.get("/review-queue", operation_id="listReviewQueue", response_model=list[ListingOut])
async def review_queue(user: ApiUser, db: DbSession) -> list[ListingOut]:
    """Listings waiting for an operator's review (operators only)."""
    return [ListingOut.of(x) for x in await service.review_queue(db, operator=user)]


@router.get("/catalog", operation_id="browseCatalog", response_model=CatalogPage)
async def browse(
    db: DbSession,
    q: str = Query(default="", max_length=100),
    category: str = Query(default="", max_length=32),
    limit: int = Query(default=24, ge=1, le=100),
    offset: int = Query(default=0, ge=0),
) -> CatalogPage:
    """Published applications, searchable by name and summary, filterable by category."""
    items, total = await service.browse_catalog(
        db, query=q, category=category, limit=limit, offset=offset
    )
    return CatalogPage(
        items=[CatalogItem.of(x) for x in items], total=total, limit=limit, offset=offset
    )


@router.get("/catalog/{listing_id}", operation_id="getCatalogItem", response_model=CatalogDetail)
async def catalog_item(listing_id: uuid.UUID, db: DbSession) -> CatalogDetail:
    """A published application's public page."""
    return CatalogDetail.of(await service.get_published(db, listing_id=listing_id))
