"""Native dialect: the app redeems the jump token with `POST /api/v1/sso/redeem`, asks
whether an access token still holds (`/api/v1/sso/token-state`), finds its subscriptions
(`GET /api/v1/app/subscriptions`), reports usage (`POST /api/v1/usage`, running totals at
`/api/v1/usage/totals`) and reads it back (`GET /api/v1/usage`).

The app authenticates with HTTP Basic (AppID, app secret); refusals are the platform's own
error shape, `{"error": {"code", "message"}}`, with 401 for the app and 400 for the token.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from saasport.commerce import metering
from saasport.core.messages import N_
from saasport.deps import get_platform
from saasport.sso.redemption import AppAuthFailed, AppCredentials, JumpTokenRefused
from saasport.sso.service import access_token_state, app_listing
from saasport.web.errors import NO_STORE, errors
from saasport.web.routing import UnitOfWorkRoute, unit_of_work

router = APIRouter(prefix="/api/v1", tags=["dialect: native"], route_class=UnitOfWorkRoute)

ERROR_CODES = {
    "token_missing": "token_missing",
    "token_malformed": "token_malformed",
    "token_invalid": "token_invalid",
    "token_expired": "token_expired",
    "token_used": "token_used",
    "invalid_client": "invalid_client",
}
CHALLENGE = {"WWW-Authenticate": 'Basic realm="saasport apps"'}


class RedeemIn(BaseModel):
    token: str = Field(
        default="",
        description="The jump token the user's browser brought (`jump_token` query parameter); "
        "43 URL-safe characters. Anything else is refused as `token_malformed`.",
    )


class IdentityUser(BaseModel):
    id: uuid.UUID
    username: str
    display_name: str
    email: str | None = Field(description="Only when the listing was granted `email`.")
    email_verified: bool = Field(description="Whether the user proved they read that address.")
    phone: str | None = Field(description="Only when the listing was granted `phone`.")


class IdentityOrg(BaseModel):
    id: uuid.UUID
    name: str


class RedeemOut(BaseModel):
    user: IdentityUser
    org: IdentityOrg | None = Field(
        description="The enterprise the user came through (granted `enterprise` only)."
    )
    access_token: str = Field(description="Acts for this user toward this app's platform APIs.")
    access_token_expires_at: datetime


def basic_credentials(request: Request) -> tuple[str, str]:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        raise AppAuthFailed(N_("Authenticate with HTTP Basic: AppID and app secret."))
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise AppAuthFailed(N_("Malformed Basic credentials.")) from None
    app_id, sep, secret = decoded.partition(":")
    if not sep:
        raise AppAuthFailed(N_("Malformed Basic credentials."))
    return app_id, secret


def _refused(status: int, code: str, message: str, **headers: str) -> JSONResponse:
    body = {"error": {"code": ERROR_CODES.get(code, code), "message": message}}
    return JSONResponse(body, status_code=status, headers=NO_STORE | headers)


@router.post(
    "/sso/redeem",
    operation_id="redeemJumpToken",
    response_model=RedeemOut,
    responses=errors(400, 401),
    openapi_extra={"security": [{"appCredentials": []}]},
)
async def redeem(body: RedeemIn, request: Request) -> JSONResponse:
    """For merchant apps (HTTP Basic with AppID and secret): spend a jump token, learn the user."""
    platform = get_platform(request)
    try:
        app_id, secret = basic_credentials(request)
        identity = await platform.jump_tokens.redeem(
            AppCredentials(app_id=app_id, secret=secret), body.token, now=platform.clock()
        )
    except AppAuthFailed as exc:
        return _refused(401, exc.code, exc.message, **CHALLENGE)
    except JumpTokenRefused as exc:
        return _refused(400, exc.code, exc.message)
    answer = RedeemOut(
        user=IdentityUser(
            id=identity.user_id,
            username=identity.username,
            display_name=identity.display_name,
            email=identity.email,
            email_verified=identity.email_verified,
            phone=identity.phone,
        ),
        org=IdentityOrg(id=identity.org_id, name=identity.org_name or "")
        if identity.org_id
        else None,
        access_token=identity.access_token,
        access_token_expires_at=identity.access_token_expires_at,
    )
    return JSONResponse(answer.model_dump(mode="json"), headers=NO_STORE)


class TokenStateIn(BaseModel):
    access_token: str = Field(default="", max_length=512)


class TokenStateOut(BaseModel):
    active: bool = Field(
        description="False once the user signed out of the platform (or the token expired, or "
        "is not this app's): end the app's own session."
    )


@router.post(
    "/sso/token-state",
    operation_id="accessTokenState",
    response_model=TokenStateOut,
    responses=errors(401),
    openapi_extra={"security": [{"appCredentials": []}]},
)
async def token_state(body: TokenStateIn, request: Request) -> JSONResponse:
    """For merchant apps (HTTP Basic): is the access token from redemption still live?"""
    platform = get_platform(request)
    try:
        app_id, secret = basic_credentials(request)
    except AppAuthFailed as exc:
        return _refused(401, exc.code, exc.message, **CHALLENGE)
    db = unit_of_work(request).session
    active = await access_token_state(
        db,
        box=platform.box,
        app_id=app_id,
        secret=secret,
        token=body.access_token,
        now=platform.clock(),
    )
    if active is None:
        return _refused(401, "invalid_client", N_("Unknown AppID or wrong secret."), **CHALLENGE)
    return JSONResponse({"active": active}, headers=NO_STORE)


class UsageBatchIn(BaseModel):
    records: list[Any] = Field(
        description="Up to 1000 records, each `{metering_sn, subscription_id, dimension, "
        "quantity, begin_time, end_time}`: `quantity` a decimal string (at most four "
        "decimals), times ISO 8601 with their offset. Each is checked on its own."
    )


class UsageResultOut(BaseModel):
    metering_sn: str
    status: Literal["accepted", "duplicate", "conflict", "not_subscribed", "too_late", "invalid"]
    message: str = ""


class UsageBatchOut(BaseModel):
    results: list[UsageResultOut] = Field(description="One per record, in the order sent.")
    accepted: int


@router.post(
    "/usage",
    operation_id="reportUsage",
    response_model=UsageBatchOut,
    responses=errors(401, 413, 422),
    openapi_extra={"security": [{"appCredentials": []}]},
)
async def report_usage(body: UsageBatchIn, request: Request) -> JSONResponse:
    """For merchant apps (HTTP Basic): report usage of your subscriptions' metered
    dimensions. Each record is idempotent on its `metering_sn`: a resend is a `duplicate`,
    the same key with another quantity a `conflict`."""
    if len(body.records) > metering.MAX_RECORDS:
        return _refused(413, "too_many_records", N_("At most 1000 records a batch."))
    app = await _app(request)
    if isinstance(app, JSONResponse):
        return app
    listing_id, db, platform, now = app
    results = await metering.ingest(
        db,
        listing_id=listing_id,
        records=body.records,
        now=now,
        late=timedelta(days=platform.settings.usage_late_days),
    )
    # The answer's shape is UsageBatchOut; built as plain dicts (a model per record costs
    # more than checking the record did).
    answer = {
        "results": [
            {"metering_sn": r.metering_sn, "status": r.status, "message": r.message}
            for r in results
        ],
        "accepted": sum(r.status == "accepted" for r in results),
    }
    return JSONResponse(answer, headers=NO_STORE)


async def _app(request: Request) -> tuple[uuid.UUID, Any, Any, datetime] | JSONResponse:
    """The listing whose app is calling (HTTP Basic), with the request's session and time;
    else the 401 to answer."""
    platform = get_platform(request)
    try:
        app_id, secret = basic_credentials(request)
    except AppAuthFailed as exc:
        return _refused(401, exc.code, exc.message, **CHALLENGE)
    db = unit_of_work(request).session
    now = platform.clock()
    listing_id = await app_listing(db, box=platform.box, app_id=app_id, secret=secret, now=now)
    if listing_id is None:
        return _refused(401, "invalid_client", N_("Unknown AppID or wrong secret."), **CHALLENGE)
    return listing_id, db, platform, now


class UsageTotalsIn(BaseModel):
    totals: list[Any] = Field(
        description="Up to 1000 running totals, each `{subscription_id, dimension, month, "
        "total}`: the total so far of the dimension in the month (YYYY-MM, UTC), a decimal "
        "string. Each replaces the month's total reported before; it never goes down."
    )


class UsageTotalOut(BaseModel):
    key: str = Field(description="`~total/{subscription_id}/{dimension}/{month}`.")
    status: Literal["accepted", "duplicate", "conflict", "not_subscribed", "too_late", "invalid"]
    message: str = ""


class UsageTotalsOut(BaseModel):
    results: list[UsageTotalOut] = Field(description="One per total, in the order sent.")
    accepted: int


@router.post(
    "/usage/totals",
    operation_id="reportUsageTotals",
    response_model=UsageTotalsOut,
    responses=errors(401, 413, 422),
    openapi_extra={"security": [{"appCredentials": []}]},
)
async def report_usage_totals(body: UsageTotalsIn, request: Request) -> JSONResponse:
    """For merchant apps (HTTP Basic): report running totals, the style HPC sites report in.
    Sending a month's total again is harmless (`duplicate`); a higher one replaces it and is
    charged the difference; a lower one is a `conflict`."""
    if len(body.totals) > metering.MAX_RECORDS:
        return _refused(413, "too_many_records", N_("At most 1000 totals a batch."))
    app = await _app(request)
    if isinstance(app, JSONResponse):
        return app
    listing_id, db, platform, now = app
    results = await metering.ingest_totals(
        db,
        listing_id=listing_id,
        totals=body.totals,
        now=now,
        late=timedelta(days=platform.settings.usage_late_days),
    )
    answer = {
        "results": [
            {"key": r.metering_sn, "status": r.status, "message": r.message} for r in results
        ],
        "accepted": sum(r.status == "accepted" for r in results),
    }
    return JSONResponse(answer, headers=NO_STORE)


class UsageRecordOut(BaseModel):
    metering_sn: str
    dimension: str
    quantity: str
    begin_time: datetime
    end_time: datetime
    received_at: datetime


class UsageMonthOut(BaseModel):
    subscription_id: uuid.UUID
    month: str
    totals: dict[str, str] = Field(description="Per dimension, what the month's records hold.")
    charged: dict[str, str] = Field(description="Per dimension, the quantity charged so far.")
    records: list[UsageRecordOut] = Field(description="By metering_sn, from `after`.")
    next_after: str | None = Field(description="Pass as `after` for the next page.")


@router.get(
    "/usage",
    operation_id="queryUsage",
    response_model=UsageMonthOut,
    responses=errors(401, 404, 422),
    openapi_extra={"security": [{"appCredentials": []}]},
)
async def query_usage(
    request: Request,
    subscription_id: uuid.UUID,
    month: Annotated[str, Query(pattern=r"^[0-9]{4}-[0-9]{2}$")],
    after: Annotated[str, Query(max_length=128)] = "",
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
) -> JSONResponse:
    """For merchant apps (HTTP Basic), to reconcile: the usage the platform holds for one of
    your subscriptions in a month (records begin in it, UTC), and what has been charged."""
    app = await _app(request)
    if isinstance(app, JSONResponse):
        return app
    listing_id, db, _, _ = app
    held = await metering.usage_month(
        db, listing_id=listing_id, subscription_id=subscription_id, month=month,
        after=after, limit=limit,
    )  # fmt: skip
    if held is None:
        return _refused(404, "not_found", N_("No such subscription of this app."))
    return JSONResponse(held, headers=NO_STORE)


class AppDimensionOut(BaseModel):
    code: str
    unit: str


class AppSubscriptionOut(BaseModel):
    id: uuid.UUID
    user_id: uuid.UUID | None
    org_id: uuid.UUID | None
    plan: str
    quantity: int
    state: Literal["active", "suspended"]
    period_end: datetime | None
    dimensions: list[AppDimensionOut] = Field(description="What usage reports may name.")


@router.get(
    "/app/subscriptions",
    operation_id="listAppSubscriptions",
    response_model=list[AppSubscriptionOut],
    responses=errors(401, 422),
    openapi_extra={"security": [{"appCredentials": []}]},
)
async def app_subscriptions(
    request: Request,
    user_id: uuid.UUID | None = None,
    org_id: uuid.UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> JSONResponse:
    """For merchant apps (HTTP Basic): your listing's live subscriptions — of the user who
    jumped in (`user_id`) or their enterprise (`org_id`) — to report their usage against."""
    app = await _app(request)
    if isinstance(app, JSONResponse):
        return app
    listing_id, db, _, _ = app
    found = await metering.app_subscriptions(
        db, listing_id=listing_id, user_id=user_id, org_id=org_id, limit=limit
    )
    return JSONResponse(found, headers=NO_STORE)
