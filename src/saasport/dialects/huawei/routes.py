"""Huawei KooGallery 联营 OAuth 2 (seed 002, PROTOCOLS.md §3) over the OAuth core.

`GET /api/v1/oauth2/authorize` (`scope=get_user_info`: everything the listing was granted),
`POST /api/v1/oauth2/token` (authorization code and refresh; access 2 h, refresh 30 d, the
refresh token rotating), `GET /api/v1/oauth2/userinfo` with Huawei's field names, and — ours to
decide — `GET /api/v1/oauth2/logout?client_id=…&redirect_uri=…`: the platform signs the user
out (asking first), then back to a registered post-logout URI.

The 联营 CAS variant (ours to decide where): CAS 2.0 / 3.0 at `/api/v1/cas/login`, `/validate`,
`/serviceValidate`, `/p3/serviceValidate` and `/logout` for the same listings, their redirect
URIs being the service URLs, with the attributes in the field names of `userinfo`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from saasport.catalog.credentials import listing_of_app, live_secrets
from saasport.commerce import metering
from saasport.deps import DbSession, PlatformDep
from saasport.sso import oauth_http
from saasport.sso.cas import Validated
from saasport.sso.cas_http import CasRoutes
from saasport.sso.oauth import PlainRequest, Policy
from saasport.sso.signed import remember_once
from saasport.web.errors import NO_STORE
from saasport.web.routing import PageRoute, UnitOfWorkRoute
from saasport.web.uploads import BodyTooLarge, read_body

POLICY = Policy(dialect="huawei", access_ttl=timedelta(hours=2), refresh_ttl=timedelta(days=30))
HUAWEI_SCOPE = "get_user_info"
ERROR_CODES = {
    "token_missing": "invalid_request",
    "token_malformed": "invalid_grant",
    "token_invalid": "invalid_grant",
    "token_expired": "invalid_grant",
    "token_used": "invalid_grant",
    "invalid_client": "invalid_client",
}

router = APIRouter(tags=["dialect: huawei"], route_class=UnitOfWorkRoute)
pages = APIRouter(route_class=PageRoute, include_in_schema=False)


class HuaweiUser(BaseModel):
    id: str = Field(description="The user's stable id (also `userId`).")
    userId: str
    userName: str
    name: str
    email: str = Field(description="Empty unless the listing was granted `email`.")
    mobile: str = Field(description="Empty unless the listing was granted `phone`.")
    role: str = Field(description="`user`")
    organizationName: str = Field(description="The enterprise, when granted `enterprise`.")
    organizationCode: str
    projectName: str
    tenant: str = Field(description="The enterprise's id, or the user's own.")


class HuaweiError(BaseModel):
    error: str
    error_description: str | None = None


def huawei_user(
    *, user_id: str, username: str, name: str, email: str, mobile: str, org_id: str, org_name: str
) -> HuaweiUser:
    """The user in Huawei's field names (what the listing was not granted is empty)."""
    return HuaweiUser(
        id=user_id,
        userId=user_id,
        userName=username,
        name=name,
        email=email,
        mobile=mobile,
        role="user",
        organizationName=org_name,
        organizationCode=org_id,
        projectName="",
        tenant=org_id or user_id,
    )


def cas_attributes(outcome: Validated) -> dict[str, str]:
    """CAS 3 attributes of the 联营 CAS variant: `userinfo`'s fields, from what was granted."""
    a = outcome.attributes
    return huawei_user(
        user_id=a["id"],
        username=outcome.user.username,
        name=a["displayName"],
        email=a.get("email", ""),
        mobile=a.get("phone", ""),
        org_id=a.get("orgId", ""),
        org_name=a.get("orgName", ""),
    ).model_dump()


def huawei_scope(request: PlainRequest) -> PlainRequest:
    """`get_user_info` (or nothing) asks for everything the listing was granted."""
    scope = request.args.get("scope", "")
    if not scope or scope.split() == [HUAWEI_SCOPE]:
        return oauth_http.with_query(request, scope=None)
    return request


def logout_params(request: PlainRequest) -> PlainRequest:
    """Huawei apps send `redirect_uri`; the core reads OpenID Connect's name for it."""
    return oauth_http.with_query(
        request, redirect_uri=None, post_logout_redirect_uri=request.args.get("redirect_uri")
    )


@pages.get("/api/v1/oauth2/authorize")
async def authorize(request: Request) -> Response:
    return await oauth_http.authorize(request, policy=POLICY, adapt=huawei_scope)


@pages.post("/api/v1/oauth2/authorize")
async def authorize_answer(request: Request) -> Response:
    return await oauth_http.authorize(request, policy=POLICY, adapt=huawei_scope)


@router.post(
    "/api/v1/oauth2/token",
    operation_id="huaweiToken",
    responses={
        400: {"model": HuaweiError, "description": "Refused (RFC 6749 §5.2)."},
        401: {"model": HuaweiError, "description": "Bad client credentials."},
        413: {"model": HuaweiError, "description": "Body over 64 KB."},
    },
)
async def token(request: Request) -> Response:
    """`authorization_code` (code, client_id, client_secret, redirect_uri) or `refresh_token`."""
    return await oauth_http.token(request, policy=POLICY)


@router.get(
    "/api/v1/oauth2/userinfo",
    operation_id="huaweiUserinfo",
    response_model=HuaweiUser,
    responses={401: {"model": HuaweiError, "description": "Unknown, expired or revoked token."}},
)
async def userinfo(request: Request, db: DbSession, platform: PlatformDep) -> Response:
    """The signed-in user, in Huawei's field names (`Authorization: Bearer <access token>`)."""
    grant = await platform.oauth.bearer(db, oauth_http.bearer_token(request), dialect="huawei")
    if grant is None:
        return oauth_http.invalid_token()
    c = grant.claims
    user = huawei_user(
        user_id=c["sub"],
        username=c.get("preferred_username", ""),
        name=c.get("name", ""),
        email=c.get("email", ""),
        mobile=c.get("phone_number", ""),
        org_id=c.get("org_id", ""),
        org_name=c.get("org_name", ""),
    )
    return JSONResponse(user.model_dump(), headers=NO_STORE)


@pages.api_route("/api/v1/oauth2/logout", methods=["GET", "POST"])
async def logout(request: Request) -> Response:
    return await oauth_http.end_session(request, policy=POLICY, adapt=logout_params)


CAS = CasRoutes(
    prefix="/api/v1/cas", dialect="huawei", operation_prefix="huaweiCas", attributes=cas_attributes
)


# -- usage data (merchant → platform) ---------------------------------------------------------

USAGE_WINDOW = timedelta(minutes=5)  # how far `ts` may be from the platform's clock
USAGE_BODY_LIMIT = 2 * 1024 * 1024
HUAWEI_TIME = "%Y%m%dT%H%M%SZ"


def _usage_answer(code: str, message: str, status: int = 200, **data: Any) -> JSONResponse:
    body: dict[str, Any] = {"error_code": code, "error_msg": message}
    if data:
        body["data"] = data
    return JSONResponse(body, status_code=status, headers=NO_STORE)


def _record(raw: Any) -> Any:
    """A Huawei usage record in the native shape the metering service checks."""
    if not isinstance(raw, dict):
        return raw
    times = {}
    for name in ("begin_time", "end_time"):
        try:
            moment = datetime.strptime(str(raw.get(name)), HUAWEI_TIME).replace(tzinfo=UTC)
            times[name] = moment.isoformat()
        except ValueError:
            times[name] = "not a yyyyMMdd'T'HHmmss'Z' time"
    value = raw.get("usage_value")
    return {
        "metering_sn": raw.get("metering_sn"),
        "subscription_id": raw.get("instance_id"),
        "dimension": raw.get("dimension", ""),
        # A JSON number, read exactly, written out in plain digits (1e3 as "1000").
        "quantity": (
            f"{value:f}"
            if isinstance(value, Decimal) and value.is_finite()
            else str(value)
            if isinstance(value, int) and not isinstance(value, bool)
            else value
        ),
        **times,
    }


@router.post(
    "/api/v1/isv/usage-data",
    operation_id="huaweiUsageData",
    responses={
        200: {"description": "`error_code` MKT.0000, or the batch's worst: MKT.9002, MKT.9004."},
        401: {
            "description": "MKT.9001: unknown app, bad signature, stale `ts` or a replayed nonce."
        },
        413: {"description": "MKT.9003: more than 1000 records (nothing stored)."},
    },
)
async def usage_data(request: Request, db: DbSession, platform: PlatformDep) -> Response:
    """KooGallery usage data: `usage_records[]` (≤ 1000: `instance_id` — the subscription —,
    `metering_sn`, `usage_value`, `begin_time`, `end_time`, `record_time`), signed with the
    app secret: headers `X-App-Id`, `ts` (ms), `nonce`, `signature` = base64(HMAC-SHA256(secret,
    "ts={ts}&nonce={nonce}&body={body}")). Each record's own status is in `data.results`."""
    now = platform.clock()
    try:
        raw = await read_body(request, limit=USAGE_BODY_LIMIT)
    except BodyTooLarge:
        return _usage_answer("MKT.9003", "Too many records.", 413)
    app_id = request.headers.get("x-app-id", "")
    ts, nonce = request.headers.get("ts", ""), request.headers.get("nonce", "")
    signature = request.headers.get("signature", "")
    refused = _usage_answer("MKT.9001", "Unknown app, bad signature or stale request.", 401)
    if not ts.isdigit() or abs(int(ts) / 1000 - now.timestamp()) > USAGE_WINDOW.total_seconds():
        return refused
    if not 8 <= len(nonce) <= 64 or not nonce.isprintable() or len(signature) > 100:
        return refused
    listing = await listing_of_app(db, app_id=app_id, dialect="huawei")
    if listing is None:
        return refused
    signed = f"ts={ts}&nonce={nonce}&body=".encode() + raw
    if not any(
        hmac.compare_digest(
            base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode(),
            signature,
        )
        for secret in live_secrets(platform.box, listing, now=now)
    ):
        return refused
    if not await remember_once(
        db, key=f"huawei-usage:{app_id}:{nonce}", window=USAGE_WINDOW, now=now
    ):
        return refused
    try:
        body = json.loads(raw, parse_float=Decimal)  # 1.2345 stays exact, never a float
    except (ValueError, UnicodeDecodeError):
        return _usage_answer("MKT.9002", "The body is not JSON.", 400)
    records = body.get("usage_records") if isinstance(body, dict) else None
    if not isinstance(records, list):
        return _usage_answer("MKT.9002", "usage_records is required.", 400)
    if len(records) > metering.MAX_RECORDS:
        return _usage_answer("MKT.9003", "Too many records.", 413)
    results = await metering.ingest(
        db,
        listing_id=listing.id,
        records=[_record(r) for r in records],
        now=now,
        late=timedelta(days=21),
    )
    statuses = {r.status for r in results}
    code, message = "MKT.0000", "success"
    if "too_late" in statuses:
        code, message = "MKT.9004", "Some records began more than 21 days ago."
    if statuses & {"invalid", "conflict", "not_subscribed"}:
        code, message = "MKT.9002", "Some records are invalid."
    return _usage_answer(
        code,
        message,
        results=[
            {"metering_sn": r.metering_sn, "status": r.status, "message": r.message}
            for r in results
        ],
    )
