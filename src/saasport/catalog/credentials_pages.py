"""Pages: a listing's credentials — the AppID, a new secret shown once, rotation, revocation.

A new secret is shown by post-redirect-get: the page that made it redirects here with the
secret sealed (AES-GCM) in a cookie bound to this browser's session and this listing, kept ten
minutes or until the merchant says it is stored. A reload shows it again and creates nothing.
"""

from __future__ import annotations

import json
import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from saasport.catalog import service
from saasport.catalog.models import Listing
from saasport.core.crypto import SecretBox, token_digest
from saasport.core.dialects import Dialect, DialectRegistry
from saasport.deps import DbSession, PageUser, PlatformDep
from saasport.web.cookies import SESSION_COOKIE
from saasport.web.errors import NO_STORE
from saasport.web.forms import Form, PagesDep, field, redirect
from saasport.web.routing import PageRoute

router = APIRouter(include_in_schema=False, route_class=PageRoute)

REVEAL_COOKIE = "saasport_reveal"
REVEAL_SECONDS = 600


def _reveal_context(request: Request, listing_id: uuid.UUID) -> str:
    # Bound to this browser's session and this listing: the cookie is useless elsewhere.
    session = request.cookies.get(SESSION_COOKIE, "")
    return f"reveal:{listing_id}:{token_digest(session).hex()}"


def remember_reveal(
    request: Request,
    response: Response,
    box: SecretBox,
    listing: Listing,
    secret: str,
    what: str = "secret",
) -> None:
    """Keep the new secret (or DES key), encrypted, for the credentials page to show (ten
    minutes)."""
    sealed = box.encrypt(json.dumps({what: secret}), context=_reveal_context(request, listing.id))
    response.set_cookie(
        REVEAL_COOKIE,
        sealed,
        max_age=REVEAL_SECONDS,
        path=f"/merchant/listings/{listing.id}/credentials",
        httponly=True,
        samesite="strict",
        secure=request.app.state.platform.settings.secure_cookies,
    )


def _revealed(
    request: Request, box: SecretBox, listing: Listing, what: str = "secret"
) -> str | None:
    sealed = request.cookies.get(REVEAL_COOKIE)
    if not sealed or len(sealed) > 500:
        return None
    try:
        data = json.loads(box.decrypt(sealed, context=_reveal_context(request, listing.id)))
    except Exception:  # any cookie we did not seal, for this listing and this session
        return None
    value = data.get(what) if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


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
        isv_key=_revealed(request, platform.box, listing, "des_key"),
        now=platform.clock(),
        dialect=platform.dialects[listing.dialect]
        if listing.dialect in platform.dialects
        else None,
        base_url=platform.settings.base_url.rstrip("/"),
    )
    response.headers.update(NO_STORE)
    return response


def dialect_of(dialects: DialectRegistry, name: str) -> Dialect | None:
    return dialects[name] if name in dialects else None


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
    remember_reveal(request, response, platform.box, listing, secret)
    return response


@router.post("/merchant/listings/{listing_id}/isv-key")
async def rotate_isv_key(
    listing_id: uuid.UUID,
    request: Request,
    form: Form,
    db: DbSession,
    platform: PlatformDep,
    user: PageUser,
) -> Response:
    derivation = "md5" if field(form, "derivation") == "md5" else "raw"
    listing, key = await service.rotate_isv_key(
        db,
        owner=user,
        listing_id=listing_id,
        box=platform.box,
        derivation=derivation,
        now=platform.clock(),
    )
    response = redirect(f"/merchant/listings/{listing.id}/credentials", flash="isv_key")
    remember_reveal(request, response, platform.box, listing, key, "des_key")
    return response


@router.post("/merchant/listings/{listing_id}/revoke-previous")
async def revoke_previous(
    listing_id: uuid.UUID, form: Form, db: DbSession, platform: PlatformDep, user: PageUser
) -> Response:
    await service.revoke_previous_secret(
        db, owner=user, listing_id=listing_id, now=platform.clock()
    )
    return redirect(f"/merchant/listings/{listing_id}/credentials", flash="previous_revoked")
