"""Native API v1: launching an application, and the app's redemption of the jump token."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from saasport.deps import ApiUser, DbSession, PlatformDep
from saasport.sso import flows, service
from saasport.sso.service import AppAuthFailed, AppCredentials

router = APIRouter(prefix="/api/v1", tags=["sso"])


class LaunchOut(BaseModel):
    redirect_url: str = Field(description="Send the user's browser here within the token's TTL.")


class RedeemIn(BaseModel):
    token: str = Field(default="", max_length=200)


class IdentityUser(BaseModel):
    id: uuid.UUID
    username: str
    display_name: str
    email: str | None
    phone: str | None


class IdentityOrg(BaseModel):
    id: uuid.UUID
    name: str


class RedeemOut(BaseModel):
    user: IdentityUser
    org: IdentityOrg | None
    access_token: str = Field(description="Acts for this user toward this app's platform APIs.")
    access_token_expires_at: datetime


@router.post(
    "/entitlements/{entitlement_id}/launch", operation_id="launchApp", response_model=LaunchOut
)
async def launch(
    entitlement_id: uuid.UUID, user: ApiUser, db: DbSession, platform: PlatformDep
) -> LaunchOut:
    """ "Use": issue a one-time jump token and return the entry URL carrying it."""
    url = await service.launch(
        db,
        user=user,
        entitlement_id=entitlement_id,
        ttl=platform.settings.jump_token_ttl,
        now=platform.clock(),
    )
    await db.commit()
    return LaunchOut(redirect_url=url)


@router.post(
    "/listings/{listing_id}/launch", operation_id="launchOwnListing", response_model=LaunchOut
)
async def launch_own(
    listing_id: uuid.UUID, user: ApiUser, db: DbSession, platform: PlatformDep
) -> LaunchOut:
    """The merchant's test launch of its own test-open or published listing."""
    url = await service.launch_as_owner(
        db,
        owner=user,
        listing_id=listing_id,
        ttl=platform.settings.jump_token_ttl,
        now=platform.clock(),
    )
    await db.commit()
    return LaunchOut(redirect_url=url)


def basic_credentials(request: Request) -> tuple[str, str]:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        raise AppAuthFailed("Authenticate with HTTP Basic: AppID and app secret.")
    try:
        app_id, sep, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise AppAuthFailed("Malformed Basic credentials.") from None
    if not sep:
        raise AppAuthFailed("Malformed Basic credentials.")
    return app_id, secret


@router.post("/sso/redeem", operation_id="redeemJumpToken", response_model=RedeemOut)
async def redeem(body: RedeemIn, request: Request, platform: PlatformDep) -> RedeemOut:
    """For merchant apps (HTTP Basic with AppID and secret): spend a jump token, learn the user."""
    app_id, secret = basic_credentials(request)
    identity = await flows.redeem(
        platform, credentials=AppCredentials(app_id=app_id, secret=secret), token=body.token
    )
    return RedeemOut(
        user=IdentityUser(
            id=identity.user_id,
            username=identity.username,
            display_name=identity.display_name,
            email=identity.email,
            phone=identity.phone,
        ),
        org=IdentityOrg(id=identity.org_id, name=identity.org_name or "")
        if identity.org_id
        else None,
        access_token=identity.access_token,
        access_token_expires_at=identity.access_token_expires_at,
    )
