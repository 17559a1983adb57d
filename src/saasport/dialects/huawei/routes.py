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

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from saasport.deps import DbSession, PlatformDep
from saasport.sso import oauth_http
from saasport.sso.cas import Validated
from saasport.sso.cas_http import CasRoutes
from saasport.sso.oauth import PlainRequest, Policy
from saasport.web.errors import NO_STORE
from saasport.web.routing import PageRoute, UnitOfWorkRoute

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
