"""Pages: "My applications", taking a free trial, and "Use" (the jump into the app)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from saasport.commerce import service
from saasport.core.errors import NotFound
from saasport.deps import DbSession, PageUser, PlatformDep
from saasport.sso import service as sso
from saasport.web.forms import Form, PagesDep, field, redirect

router = APIRouter(include_in_schema=False)


def _jump(url: str) -> Response:
    # The token rides in the URL; keep it out of Referer headers and caches.
    return RedirectResponse(
        url,
        status_code=303,
        headers={"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"},
    )


@router.get("/console/apps", response_class=HTMLResponse)
async def my_apps(
    request: Request, db: DbSession, platform: PlatformDep, pages: PagesDep, user: PageUser
) -> Response:
    held = await service.held_apps(db, user=user, now=platform.clock())
    return pages.render(request, "commerce/my_apps.html", held=held)


@router.post("/apps/{listing_id}/trial")
async def take_trial(
    listing_id: uuid.UUID, form: Form, db: DbSession, platform: PlatformDep, user: PageUser
) -> Response:
    try:
        org_id = uuid.UUID(field(form, "org_id")) if field(form, "org_id") else None
    except ValueError:
        raise NotFound("No such enterprise.") from None
    await service.take_trial(
        db, user=user, listing_id=listing_id, org_id=org_id, now=platform.clock()
    )
    await db.commit()
    return redirect("/console/apps", flash="trial_started")


@router.post("/console/apps/{entitlement_id}/launch")
async def launch(
    entitlement_id: uuid.UUID, form: Form, db: DbSession, platform: PlatformDep, user: PageUser
) -> Response:
    url = await sso.launch(
        db,
        user=user,
        entitlement_id=entitlement_id,
        ttl=platform.settings.jump_token_ttl,
        now=platform.clock(),
    )
    await db.commit()
    return _jump(url)


@router.post("/merchant/listings/{listing_id}/launch")
async def launch_own(
    listing_id: uuid.UUID, form: Form, db: DbSession, platform: PlatformDep, user: PageUser
) -> Response:
    url = await sso.launch_as_owner(
        db,
        owner=user,
        listing_id=listing_id,
        ttl=platform.settings.jump_token_ttl,
        now=platform.clock(),
    )
    await db.commit()
    return _jump(url)
