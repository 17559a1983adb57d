"""Pages: the storefront, the merchant console and the operator's review queue."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData, UploadFile

from saasport.accounts.models import User
from saasport.accounts.service import list_memberships
from saasport.catalog import service
from saasport.catalog.media import (
    ICON_MAX_BYTES,
    MAX_SCREENSHOTS,
    SCREENSHOT_MAX_BYTES,
    read_limited,
)
from saasport.catalog.models import Listing
from saasport.commerce.service import held_apps
from saasport.core.errors import DomainError, NotFound, ValidationFailed
from saasport.deps import DbSession, MaybePageUser, PageUser, PlatformDep
from saasport.dialects import DIALECTS
from saasport.web.forms import Form, PagesDep, field, redirect

router = APIRouter(include_in_schema=False)

FORM_FIELDS = service.TEXT_FIELDS


@router.get("/", response_class=HTMLResponse)
async def storefront(
    request: Request, db: DbSession, pages: PagesDep, user: MaybePageUser
) -> Response:
    q = request.query_params.get("q", "")[:100]
    category = request.query_params.get("category", "")
    if category not in service.CATEGORIES:
        category = ""
    try:
        page = max(int(request.query_params.get("page", "1")), 1)
    except ValueError:
        page = 1
    per_page = 24
    items, total = await service.browse_catalog(
        db, query=q, category=category, limit=per_page, offset=(page - 1) * per_page
    )
    return pages.render(
        request,
        "catalog/storefront.html",
        items=items,
        total=total,
        q=q,
        category=category,
        categories=service.CATEGORIES,
        page=page,
        pages_total=max((total + per_page - 1) // per_page, 1),
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
    listing = await service.get_published(db, listing_id=listing_id)
    held = None
    if user is not None:
        held = next(
            (
                h
                for h in await held_apps(db, user=user, now=platform.clock())
                if h.listing.id == listing.id and h.org is None
            ),
            None,
        )
    admin_orgs = (
        [org for org, m in await list_memberships(db, user=user) if m.role == "admin"]
        if user is not None
        else []
    )
    return pages.render(
        request, "catalog/detail.html", listing=listing, held=held, admin_orgs=admin_orgs
    )


@router.get("/media/{media_id}")
async def media(media_id: uuid.UUID, db: DbSession, user: MaybePageUser) -> Response:
    found = await service.get_visible_media(db, media_id=media_id, viewer=user)
    if found is None:
        raise NotFound("No such image.")
    return Response(
        found.data,
        media_type=found.content_type,
        headers={
            "Cache-Control": "private, max-age=3600",
            "Content-Security-Policy": "default-src 'none'",
        },
    )


# Merchant console ---------------------------------------------------------------------------


def _form_values(form: FormData) -> dict[str, object]:
    values: dict[str, object] = {k: field(form, k) for k in FORM_FIELDS}
    try:
        values["integration_mode"] = int(field(form, "integration_mode") or "1")
    except ValueError:
        values["integration_mode"] = 0
    values["dialect"] = field(form, "dialect") or "native"
    values["permissions"] = [p for p in form.getlist("permissions") if isinstance(p, str)]
    return values


def _editor(
    request: Request,
    pages: PagesDep,
    *,
    listing: Listing | None,
    values: dict[str, object],
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
        categories=service.CATEGORIES,
        permissions=service.PERMISSIONS,
        dialects=DIALECTS,
        max_screenshots=MAX_SCREENSHOTS,
        **extra,
    )


def _values_of(listing: Listing) -> dict[str, object]:
    keys = (*FORM_FIELDS, "integration_mode", "dialect", "permissions")
    return {k: getattr(listing, k) for k in keys}


@router.get("/merchant/listings", response_class=HTMLResponse)
async def merchant_listings(
    request: Request, db: DbSession, pages: PagesDep, user: PageUser
) -> Response:
    if not user.is_merchant:
        return pages.render(request, "catalog/become_merchant.html")
    listings = await service.list_own_listings(db, owner=user)
    return pages.render(request, "catalog/merchant_listings.html", listings=listings)


@router.get("/merchant/listings/new", response_class=HTMLResponse)
async def new_listing(request: Request, pages: PagesDep, user: PageUser) -> Response:
    service.require_merchant(user)
    values: dict[str, object] = {
        "permissions": list(service.PERMISSIONS),
        "dialect": "native",
        "integration_mode": 1,
        "category": "other",
    }
    return _editor(request, pages, listing=None, values=values, errors={})


@router.post("/merchant/listings", response_class=HTMLResponse)
async def create_listing(
    request: Request,
    form: Form,
    db: DbSession,
    platform: PlatformDep,
    pages: PagesDep,
    user: PageUser,
) -> Response:
    values = _form_values(form)
    try:
        listing, secret = await service.create_listing(
            db,
            owner=user,
            data=values,
            box=platform.box,
            dev_mode=platform.settings.dev_mode,
            now=platform.clock(),
        )
    except ValidationFailed as exc:
        return _editor(
            request, pages, listing=None, values=values, errors=exc.fields, status_code=422
        )
    await db.commit()
    return pages.render(
        request, "catalog/secret.html", listing=listing, secret=secret, created=True
    )


async def _own_editor(
    request: Request,
    db: DbSession,
    pages: PagesDep,
    user: User,
    listing_id: uuid.UUID,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    values: dict[str, object] | None = None,
    error: str = "",
) -> Response:
    listing = await service.get_own_listing(db, owner=user, listing_id=listing_id)
    return _editor(
        request,
        pages,
        listing=listing,
        values=values or _values_of(listing),
        errors=errors or {},
        status_code=status_code,
        events=await service.listing_events(db, listing_id=listing.id),
        rejection=await service.last_rejection(db, listing=listing),
        editable=listing.state in service.EDITABLE_STATES,
        error=error,
        missing=service.missing_for_submission(listing),
    )


@router.get("/merchant/listings/{listing_id}", response_class=HTMLResponse)
async def edit_listing(
    listing_id: uuid.UUID, request: Request, db: DbSession, pages: PagesDep, user: PageUser
) -> Response:
    return await _own_editor(request, db, pages, user, listing_id)


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
    values = _form_values(form)
    try:
        await service.update_listing(
            db,
            owner=user,
            listing_id=listing_id,
            data=values,
            dev_mode=platform.settings.dev_mode,
            now=platform.clock(),
        )
    except ValidationFailed as exc:
        return await _own_editor(
            request, db, pages, user, listing_id, errors=exc.fields, status_code=422, values=values
        )
    await db.commit()
    return redirect(f"/merchant/listings/{listing_id}", flash="saved")


async def _upload(value: object, *, limit: int, field: str) -> bytes:
    """A form's file field (empty when none was chosen); oversized ones are refused."""
    if not isinstance(value, UploadFile):
        return b""
    return await read_limited(value, limit=limit, field=field)


@router.post("/merchant/listings/{listing_id}/icon", response_class=HTMLResponse)
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
        data = await _upload(form.get("icon"), limit=ICON_MAX_BYTES, field="icon")
        await service.set_icon(
            db, owner=user, listing_id=listing_id, data=data, now=platform.clock()
        )
    except ValidationFailed as exc:
        return await _own_editor(
            request, db, pages, user, listing_id, errors=exc.fields, status_code=422
        )
    await db.commit()
    return redirect(f"/merchant/listings/{listing_id}", flash="saved")


@router.post("/merchant/listings/{listing_id}/screenshots", response_class=HTMLResponse)
async def upload_screenshots(
    listing_id: uuid.UUID,
    request: Request,
    form: Form,
    db: DbSession,
    platform: PlatformDep,
    pages: PagesDep,
    user: PageUser,
) -> Response:
    files: list[bytes] = []
    try:
        for value in form.getlist("screenshots"):
            data = await _upload(value, limit=SCREENSHOT_MAX_BYTES, field="screenshots")
            if data:
                files.append(data)
        if not files:
            raise ValidationFailed({"screenshots": "Choose at least one file."})
        await service.add_screenshots(
            db, owner=user, listing_id=listing_id, files=files, now=platform.clock()
        )
    except ValidationFailed as exc:
        return await _own_editor(
            request, db, pages, user, listing_id, errors=exc.fields, status_code=422
        )
    await db.commit()
    return redirect(f"/merchant/listings/{listing_id}", flash="saved")


@router.post("/merchant/listings/{listing_id}/screenshots/{position}/remove")
async def remove_screenshot(
    listing_id: uuid.UUID,
    position: int,
    form: Form,
    db: DbSession,
    platform: PlatformDep,
    user: PageUser,
) -> Response:
    await service.remove_screenshot(
        db, owner=user, listing_id=listing_id, position=position, now=platform.clock()
    )
    await db.commit()
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
    if action in ("approve", "reject"):
        raise NotFound("No such action.")
    try:
        await service.transition(
            db,
            actor=user,
            listing_id=listing_id,
            action=action,
            reason=field(form, "reason"),
            now=platform.clock(),
        )
    except ValidationFailed as exc:
        return await _own_editor(
            request,
            db,
            pages,
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
            request, db, pages, user, listing_id, status_code=exc.status, error=exc.message
        )
    await db.commit()
    return redirect(f"/merchant/listings/{listing_id}", flash=action)


@router.post("/merchant/listings/{listing_id}/rotate", response_class=HTMLResponse)
async def rotate(
    listing_id: uuid.UUID,
    request: Request,
    form: Form,
    db: DbSession,
    platform: PlatformDep,
    pages: PagesDep,
    user: PageUser,
) -> Response:
    listing, secret = await service.rotate_secret(
        db, owner=user, listing_id=listing_id, box=platform.box, now=platform.clock()
    )
    await db.commit()
    return pages.render(
        request, "catalog/secret.html", listing=listing, secret=secret, created=False
    )


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
        await service.delete_listing(db, owner=user, listing_id=listing_id, now=platform.clock())
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        return await _own_editor(
            request, db, pages, user, listing_id, status_code=exc.status, error=exc.message
        )
    await db.commit()
    return redirect("/merchant/listings", flash="deleted")


# Operator console ---------------------------------------------------------------------------


@router.get("/operator/review", response_class=HTMLResponse)
async def review_queue(
    request: Request, db: DbSession, pages: PagesDep, user: PageUser
) -> Response:
    queue = await service.review_queue(db, operator=user)
    return pages.render(request, "catalog/review_queue.html", queue=queue)


@router.get("/operator/review/{listing_id}", response_class=HTMLResponse)
async def review_listing(
    listing_id: uuid.UUID, request: Request, db: DbSession, pages: PagesDep, user: PageUser
) -> Response:
    return await _review_page(listing_id, request, db, pages, user)


async def _review_page(
    listing_id: uuid.UUID,
    request: Request,
    db: DbSession,
    pages: PagesDep,
    user: User,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    listing = await service.get_for_review(db, operator=user, listing_id=listing_id)
    owner = await db.get_one(User, listing.owner_id)
    return pages.render(
        request,
        "catalog/review.html",
        status_code=status_code,
        listing=listing,
        owner=owner,
        events=await service.listing_events(db, listing_id=listing.id),
        errors=errors or {},
        dialects=DIALECTS,
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
    if action not in ("approve", "reject", "unpublish"):
        raise NotFound("No such action.")
    try:
        await service.transition(
            db,
            actor=user,
            listing_id=listing_id,
            action=action,
            reason=field(form, "reason"),
            now=platform.clock(),
        )
    except ValidationFailed as exc:
        return await _review_page(listing_id, request, db, pages, user, exc.fields, 422)
    await db.commit()
    return redirect("/operator/review", flash=action)
