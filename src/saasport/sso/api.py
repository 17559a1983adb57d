"""Native API v1: "Use" — launching an application — for its users and its merchant."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from saasport.deps import ApiUser, DbSession, PlatformDep
from saasport.web.errors import NO_STORE, errors
from saasport.web.routing import UnitOfWorkRoute

router = APIRouter(prefix="/api/v1", tags=["sso"], route_class=UnitOfWorkRoute)


class LaunchOut(BaseModel):
    redirect_url: str = Field(description="Send the user's browser here within the token's TTL.")


@router.post(
    "/entitlements/{entitlement_id}/launch",
    operation_id="launchApp",
    response_model=LaunchOut,
    responses=errors(404, 409),
)
async def launch(
    entitlement_id: uuid.UUID,
    response: Response,
    user: ApiUser,
    db: DbSession,
    platform: PlatformDep,
) -> LaunchOut:
    """ "Use": issue a one-time jump token and return the entry URL carrying it."""
    url = await platform.launcher.launch(
        db, user=user, entitlement_id=entitlement_id, now=platform.clock()
    )
    response.headers.update(NO_STORE)
    return LaunchOut(redirect_url=url)


@router.post(
    "/listings/{listing_id}/launch",
    operation_id="launchOwnListing",
    response_model=LaunchOut,
    responses=errors(404, 409),
)
async def launch_own(
    listing_id: uuid.UUID, response: Response, user: ApiUser, db: DbSession, platform: PlatformDep
) -> LaunchOut:
    """The merchant's test launch of its own test-open or published listing."""
    url = await platform.launcher.launch_as_owner(
        db, owner=user, listing_id=listing_id, now=platform.clock()
    )
    response.headers.update(NO_STORE)
    return LaunchOut(redirect_url=url)
