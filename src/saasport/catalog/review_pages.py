"""Pages: the operator's review queue, a listing's review, and the decision on it."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from saasport.accounts.models import User
from saasport.catalog import plans, workflow
from saasport.catalog.schemas import ActionIn
from saasport.core.errors import NotFound, ValidationFailed
from saasport.core.messages import N_
from saasport.deps import DbSession, PageUser, PlatformDep
from saasport.web.forms import Form, PagesDep, field, parse_form, redirect
from saasport.web.routing import PageRoute

router = APIRouter(include_in_schema=False, route_class=PageRoute)


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
        plans=await plans.plans_of(db, listing.id),
        currency=platform.settings.currency,
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
