"""Pages: "Use" — the jump into an application — for users, merchants and reviewers; and the
applications a user allowed to know more about them."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from saasport.deps import DbSession, PageUser, PlatformDep, web_session_id
from saasport.sso.oauth_http import SCOPE_NAMES
from saasport.sso.provider import consents_of, revoke_consent
from saasport.web.forms import Form, PagesDep, redirect
from saasport.web.routing import PageRoute

router = APIRouter(include_in_schema=False, route_class=PageRoute)


def jump(url: str) -> Response:
    # The token rides in the URL; keep it out of Referer headers and caches.
    return RedirectResponse(
        url,
        status_code=303,
        headers={"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"},
    )


@router.post("/console/apps/{entitlement_id}/launch")
async def launch(
    entitlement_id: uuid.UUID,
    request: Request,
    form: Form,
    db: DbSession,
    platform: PlatformDep,
    user: PageUser,
) -> Response:
    url = await platform.launcher.launch(
        db,
        user=user,
        entitlement_id=entitlement_id,
        now=platform.clock(),
        web_session_id=web_session_id(request),
    )
    return jump(url)


@router.post("/merchant/listings/{listing_id}/launch")
async def launch_own(
    listing_id: uuid.UUID,
    request: Request,
    form: Form,
    db: DbSession,
    platform: PlatformDep,
    user: PageUser,
) -> Response:
    url = await platform.launcher.launch_as_owner(
        db,
        owner=user,
        listing_id=listing_id,
        now=platform.clock(),
        web_session_id=web_session_id(request),
    )
    return jump(url)


@router.post("/operator/review/{listing_id}/launch")
async def launch_for_review(
    listing_id: uuid.UUID,
    request: Request,
    form: Form,
    db: DbSession,
    platform: PlatformDep,
    user: PageUser,
) -> Response:
    url = await platform.launcher.launch_for_review(
        db,
        operator=user,
        listing_id=listing_id,
        now=platform.clock(),
        web_session_id=web_session_id(request),
    )
    return jump(url)


@router.get("/account/connected")
async def connected_apps(
    request: Request, db: DbSession, platform: PlatformDep, user: PageUser, pages: PagesDep
) -> Response:
    """The applications the user allowed to know more than the basic profile."""
    consents = await consents_of(db, user=user)
    return pages.render(request, "sso/connected.html", consents=consents, scope_names=SCOPE_NAMES)


@router.post("/account/consents/{listing_id}/revoke")
async def revoke_app_consent(
    listing_id: uuid.UUID, form: Form, db: DbSession, platform: PlatformDep, user: PageUser
) -> Response:
    await revoke_consent(db, user=user, listing_id=listing_id, now=platform.clock())
    return redirect("/account/connected", flash="consent_revoked")
