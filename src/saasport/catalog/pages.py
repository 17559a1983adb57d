"""Pages: the merchant console — listings, their editor, images, workflow, deletion — and images."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from saasport.accounts.models import User
from saasport.catalog import media, plans, service, storefront, workflow
from saasport.catalog.credentials_pages import remember_reveal
from saasport.catalog.models import Listing
from saasport.catalog.schemas import (
    CATEGORIES,
    PERMISSIONS,
    ActionIn,
    ListingCreate,
    ListingFields,
)
from saasport.core.errors import DomainError, NotFound, ValidationFailed
from saasport.core.messages import N_
from saasport.deps import DbSession, MaybePageUser, PageUser, PlatformDep
from saasport.web.forms import Form, PagesDep, field, form_values, parse_form, redirect
from saasport.web.routing import PageRoute
from saasport.web.uploads import read_limited

router = APIRouter(include_in_schema=False, route_class=PageRoute)
upload_router = APIRouter(include_in_schema=False, route_class=PageRoute)


@router.get("/media/{media_id}")
async def image(media_id: uuid.UUID, db: DbSession, user: MaybePageUser) -> Response:
    found = await storefront.get_visible_media(db, media_id=media_id, viewer=user)
    if found is None:
        raise NotFound(N_("No such image."))
    return Response(
        found.data,
        media_type=found.content_type,
        headers={
            "Cache-Control": "private, max-age=3600",
            "Content-Security-Policy": "default-src 'none'",
        },
    )


# Merchant console ---------------------------------------------------------------------------


def _editor(
    request: Request,
    pages: PagesDep,
    platform: PlatformDep,
    *,
    listing: Listing | None,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
    **extra: object,
) -> Response:
    return pages.render(
        request,
        "catalog/editor.html",
        status_code=status_code,
        listing=listing,
        values=values,
        errors=errors,
        categories=CATEGORIES,
        permissions=PERMISSIONS,
        dialects=platform.dialects.labels,
        max_screenshots=media.MAX_SCREENSHOTS,
        now=platform.clock(),
        **extra,
    )


def _typed(form: FormData) -> dict[str, Any]:
    """What was typed, to show again beside the errors (mode as a number, as the page has it)."""
    values = form_values(form, ListingFields)
    mode = values.get("integration_mode", "")
    values["integration_mode"] = int(mode) if mode.isdigit() and len(mode) < 3 else 0
    return values


def _values_of(listing: Listing) -> dict[str, Any]:
    return {k: getattr(listing, k) for k in ListingFields.model_fields}


@router.get("/merchant/listings", response_class=HTMLResponse)
async def merchant_listings(
    request: Request, db: DbSession, pages: PagesDep, user: PageUser
) -> Response:
    if not user.is_merchant:
        return pages.render(request, "catalog/become_merchant.html")
    listings = await service.list_own_listings(db, owner=user)
    return pages.render(request, "catalog/merchant_listings.html", listings=listings)


@router.get("/merchant/listings/new", response_class=HTMLResponse)
async def new_listing(
    request: Request, pages: PagesDep, platform: PlatformDep, user: PageUser
) -> Response:
    service.require_merchant(user)
    values = ListingFields().model_dump()
    return _editor(request, pages, platform, listing=None, values=values, errors={})


@router.post("/merchant/listings", response_class=HTMLResponse)
async def create_listing(
    request: Request,
    form: Form,
    db: DbSession,
    platform: PlatformDep,
    pages: PagesDep,
    user: PageUser,
) -> Response:
    try:
        fields = parse_form(form, ListingCreate)
        listing, secret = await service.create_listing(
            db, owner=user, fields=fields, box=platform.box, now=platform.clock()
        )
    except ValidationFailed as exc:
        return _editor(
            request,
            pages,
            platform,
            listing=None,
            values=_typed(form),
            errors=exc.fields,
            status_code=422,
        )
    # Post, redirect, get: a reload of the page that shows the secret creates nothing.
    response = redirect(f"/merchant/listings/{listing.id}/credentials", flash="created")
    remember_reveal(request, response, platform.box, listing, secret)
    return response


async def _own_editor(
    request: Request,
    db: DbSession,
    pages: PagesDep,
    platform: PlatformDep,
    user: User,
    listing_id: uuid.UUID,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    values: dict[str, Any] | None = None,
    error: str = "",
) -> Response:
    listing = await service.get_own_listing(db, owner=user, listing_id=listing_id)
    return _editor(
        request,
        pages,
        platform,
        listing=listing,
        values=values or _values_of(listing),
        errors=errors or {},
        status_code=status_code,
        events=await workflow.listing_events(db, listing_id=listing.id),
        decision=await workflow.last_decision(db, listing=listing),
        editable=listing.state in service.EDITABLE_STATES,
        error=error,
        missing=service.missing_for_submission(listing),
        plan_count=len(await plans.plans_of(db, listing.id)),
    )


@router.get("/merchant/listings/{listing_id}", response_class=HTMLResponse)
async def edit_listing(
    listing_id: uuid.UUID,
    request: Request,
    db: DbSession,
    platform: PlatformDep,
    pages: PagesDep,
    user: PageUser,
) -> Response:
    return await _own_editor(request, db, pages, platform, user, listing_id)


@router.post("/merchant/listings/{listing_id}", response_class=HTMLResponse)
async def save_listing(
    listing_id: uuid.UUID,
    request: Request,
    form: Form,
    db: DbSession,
    platform: PlatformDep,
    pages: PagesDep,
    user: PageUser,
) -> Response:
    try:
        changes = parse_form(form, ListingFields)
        await service.update_listing(
            db, owner=user, listing_id=listing_id, changes=changes, now=platform.clock()
        )
    except ValidationFailed as exc:
        return await _own_editor(
            request,
            db,
            pages,
            platform,
            user,
            listing_id,
            errors=exc.fields,
            status_code=422,
            values=_typed(form),
        )
    return redirect(f"/merchant/listings/{listing_id}", flash="saved")


@upload_router.post("/merchant/listings/{listing_id}/icon", response_class=HTMLResponse)
async def upload_icon(
    listing_id: uuid.UUID,
    request: Request,
    form: Form,
    db: DbSession,
    platform: PlatformDep,
    pages: PagesDep,
    user: PageUser,
) -> Response:
    try:
        data = await read_limited(form.get("icon"), limit=media.ICON_MAX_BYTES, field="icon")
        await media.set_icon(db, owner=user, listing_id=listing_id, data=data, now=platform.clock())
    except ValidationFailed as exc:
        return await _own_editor(
            request, db, pages, platform, user, listing_id, errors=exc.fields, status_code=422
        )
    return redirect(f"/merchant/listings/{listing_id}", flash="saved")


@upload_router.post("/merchant/listings/{listing_id}/screenshots", response_class=HTMLResponse)
async def upload_screenshots(
    listing_id: uuid.UUID,
    request: Request,
    form: Form,
    db: DbSession,
    platform: PlatformDep,
    pages: PagesDep,
    user: PageUser,
) -> Response:
    try:
        files = [
            data
            for value in form.getlist("screenshots")[: media.MAX_SCREENSHOTS + 1]
            if (
                data := await read_limited(
                    value, limit=media.SCREENSHOT_MAX_BYTES, field="screenshots"
                )
            )
        ]
        await media.add_screenshots(
            db, owner=user, listing_id=listing_id, files=files, now=platform.clock()
        )
    except ValidationFailed as exc:
        return await _own_editor(
            request, db, pages, platform, user, listing_id, errors=exc.fields, status_code=422
        )
    return redirect(f"/merchant/listings/{listing_id}", flash="saved")


@router.post("/merchant/listings/{listing_id}/screenshots/{position}/remove")
async def remove_screenshot(
    listing_id: uuid.UUID,
    position: Annotated[int, Path(ge=1, le=1000)],
    form: Form,
    db: DbSession,
    platform: PlatformDep,
    user: PageUser,
) -> Response:
    await media.remove_screenshot(
        db, owner=user, listing_id=listing_id, position=position, now=platform.clock()
    )
    return redirect(f"/merchant/listings/{listing_id}", flash="saved")


@router.post("/merchant/listings/{listing_id}/action", response_class=HTMLResponse)
async def listing_action(
    listing_id: uuid.UUID,
    request: Request,
    form: Form,
    db: DbSession,
    platform: PlatformDep,
    pages: PagesDep,
    user: PageUser,
) -> Response:
    action = field(form, "action")
    if action not in workflow.TRANSITIONS or workflow.TRANSITIONS[action].by == "operator":
        raise NotFound(N_("No such action."))
    try:
        body = parse_form(form, ActionIn)
        await workflow.transition(
            db,
            actor=user,
            listing_id=listing_id,
            action=body.action,
            reason=body.reason,
            now=platform.clock(),
        )
    except ValidationFailed as exc:
        return await _own_editor(
            request,
            db,
            pages,
            platform,
            user,
            listing_id,
            errors=exc.fields,
            status_code=422,
            error=exc.message,
        )
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        return await _own_editor(
            request,
            db,
            pages,
            platform,
            user,
            listing_id,
            status_code=exc.status,
            error=exc.message,
        )
    return redirect(f"/merchant/listings/{listing_id}", flash=action)


@router.get("/merchant/listings/{listing_id}/delete", response_class=HTMLResponse)
async def confirm_delete(
    listing_id: uuid.UUID, request: Request, db: DbSession, pages: PagesDep, user: PageUser
) -> Response:
    listing = await service.get_own_listing(db, owner=user, listing_id=listing_id)
    return pages.render(request, "catalog/confirm_delete.html", listing=listing)


@router.post("/merchant/listings/{listing_id}/delete", response_class=HTMLResponse)
async def delete(
    listing_id: uuid.UUID,
    request: Request,
    form: Form,
    db: DbSession,
    platform: PlatformDep,
    pages: PagesDep,
    user: PageUser,
) -> Response:
    try:
        await workflow.delete_listing(
            db, owner=user, listing_id=listing_id, holders=platform.holders, now=platform.clock()
        )
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        return await _own_editor(
            request,
            db,
            pages,
            platform,
            user,
            listing_id,
            status_code=exc.status,
            error=exc.message,
        )
    return redirect("/merchant/listings", flash="deleted")
