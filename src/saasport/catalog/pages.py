"""Pages: the merchant console (listings, credentials) and the operator's review queue."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from saasport.accounts.models import User
from saasport.catalog import media, service, storefront, workflow
from saasport.catalog.models import Listing
from saasport.catalog.schemas import (
    CATEGORIES,
    PERMISSIONS,
    ActionIn,
    ListingCreate,
    ListingFields,
)
from saasport.core.crypto import SecretBox, token_digest
from saasport.core.errors import DomainError, NotFound, ValidationFailed
from saasport.core.messages import N_
from saasport.deps import DbSession, MaybePageUser, PageUser, PlatformDep
from saasport.web.cookies import SESSION_COOKIE
from saasport.web.errors import NO_STORE
from saasport.web.forms import Form, PagesDep, field, form_values, parse_form, redirect
from saasport.web.routing import PageRoute
from saasport.web.uploads import read_limited

router = APIRouter(include_in_schema=False, route_class=PageRoute)
upload_router = APIRouter(include_in_schema=False, route_class=PageRoute)

REVEAL_COOKIE = "saasport_reveal"
REVEAL_SECONDS = 600


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
    _remember_reveal(request, response, platform.box, listing, secret)
    return response


def _reveal_context(request: Request, listing_id: uuid.UUID) -> str:
    # Bound to this browser's session and this listing: the cookie is useless elsewhere.
    session = request.cookies.get(SESSION_COOKIE, "")
    return f"reveal:{listing_id}:{token_digest(session).hex()}"


def _remember_reveal(
    request: Request, response: Response, box: SecretBox, listing: Listing, secret: str
) -> None:
    """Keep the new secret, encrypted, for the credentials page to show (ten minutes)."""
    sealed = box.encrypt(
        json.dumps({"secret": secret}), context=_reveal_context(request, listing.id)
    )
    response.set_cookie(
        REVEAL_COOKIE,
        sealed,
        max_age=REVEAL_SECONDS,
        path=f"/merchant/listings/{listing.id}/credentials",
        httponly=True,
        samesite="strict",
        secure=request.app.state.platform.settings.secure_cookies,
    )


def _revealed(request: Request, box: SecretBox, listing: Listing) -> str | None:
    sealed = request.cookies.get(REVEAL_COOKIE)
    if not sealed or len(sealed) > 500:
        return None
    try:
        data = json.loads(box.decrypt(sealed, context=_reveal_context(request, listing.id)))
    except Exception:  # any cookie we did not seal, for this listing and this session
        return None
    secret = data.get("secret") if isinstance(data, dict) else None
    return secret if isinstance(secret, str) else None


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


@router.get("/merchant/listings/{listing_id}/credentials", response_class=HTMLResponse)
async def credentials(
    listing_id: uuid.UUID,
    request: Request,
    db: DbSession,
    platform: PlatformDep,
    pages: PagesDep,
    user: PageUser,
) -> Response:
    """AppID, the ages of the live secrets, rotation; and a new secret, once, after a change."""
    listing = await service.get_own_listing(db, owner=user, listing_id=listing_id)
    response = pages.render(
        request,
        "catalog/credentials.html",
        listing=listing,
        secret=_revealed(request, platform.box, listing),
        now=platform.clock(),
    )
    response.headers.update(NO_STORE)
    return response


@router.post("/merchant/listings/{listing_id}/credentials/stored")
async def secret_stored(
    listing_id: uuid.UUID, form: Form, db: DbSession, user: PageUser
) -> Response:
    """The merchant has stored the secret: stop showing it."""
    await service.get_own_listing(db, owner=user, listing_id=listing_id)
    response = redirect(f"/merchant/listings/{listing_id}/credentials")
    response.delete_cookie(REVEAL_COOKIE, path=f"/merchant/listings/{listing_id}/credentials")
    return response


@router.post("/merchant/listings/{listing_id}/rotate")
async def rotate(
    listing_id: uuid.UUID,
    request: Request,
    form: Form,
    db: DbSession,
    platform: PlatformDep,
    user: PageUser,
) -> Response:
    listing, secret = await service.rotate_secret(
        db,
        owner=user,
        listing_id=listing_id,
        box=platform.box,
        overlap_seconds=platform.settings.secret_rotation_overlap_seconds,
        revoke_previous_now=field(form, "revoke_previous_now") == "on",
        now=platform.clock(),
    )
    response = redirect(f"/merchant/listings/{listing.id}/credentials", flash="rotated")
    _remember_reveal(request, response, platform.box, listing, secret)
    return response


@router.post("/merchant/listings/{listing_id}/revoke-previous")
async def revoke_previous(
    listing_id: uuid.UUID, form: Form, db: DbSession, platform: PlatformDep, user: PageUser
) -> Response:
    await service.revoke_previous_secret(
        db, owner=user, listing_id=listing_id, now=platform.clock()
    )
    return redirect(f"/merchant/listings/{listing_id}/credentials", flash="previous_revoked")


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


# Operator console ---------------------------------------------------------------------------


@router.get("/operator/review", response_class=HTMLResponse)
async def review_queue(
    request: Request, db: DbSession, pages: PagesDep, user: PageUser
) -> Response:
    queue = await workflow.review_queue(db, operator=user)
    return pages.render(request, "catalog/review_queue.html", queue=queue)


@router.get("/operator/review/{listing_id}", response_class=HTMLResponse)
async def review_listing(
    listing_id: uuid.UUID,
    request: Request,
    db: DbSession,
    platform: PlatformDep,
    pages: PagesDep,
    user: PageUser,
) -> Response:
    return await _review_page(listing_id, request, db, platform, pages, user)


async def _review_page(
    listing_id: uuid.UUID,
    request: Request,
    db: DbSession,
    platform: PlatformDep,
    pages: PagesDep,
    user: User,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    listing = await workflow.get_for_review(db, operator=user, listing_id=listing_id)
    owner = await db.get_one(User, listing.owner_id)
    return pages.render(
        request,
        "catalog/review.html",
        status_code=status_code,
        listing=listing,
        owner=owner,
        events=await workflow.listing_events(db, listing_id=listing.id),
        errors=errors or {},
        dialects=platform.dialects.labels,
    )


@router.post("/operator/review/{listing_id}", response_class=HTMLResponse)
async def review_decide(
    listing_id: uuid.UUID,
    request: Request,
    form: Form,
    db: DbSession,
    platform: PlatformDep,
    pages: PagesDep,
    user: PageUser,
) -> Response:
    action = field(form, "action")
    if action not in ("approve", "reject", "unpublish", "take_down"):
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
        return await _review_page(listing_id, request, db, platform, pages, user, exc.fields, 422)
    return redirect("/operator/review", flash=action)
