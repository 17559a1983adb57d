"""OpenID Connect 1.0 provider endpoints over the OAuth core (`sso.oauth`).

Discovery at `/.well-known/openid-configuration` (the issuer is the platform's base URL);
`/oidc/authorize` (code flow, PKCE S256 required), `/oidc/token` (authorization code and
refresh grants, `client_secret_basic` or `client_secret_post`), `/oidc/userinfo`,
`/oidc/jwks`, `/oidc/revoke` (RFC 7009), `/oidc/introspect` (RFC 7662: a listing's own
tokens only). The client id is the listing's AppID, the client secret its app secret.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from saasport.deps import DbSession, PlatformDep
from saasport.sso import oauth_http
from saasport.sso.oauth import SCOPES, Policy
from saasport.web.routing import PageRoute, UnitOfWorkRoute

POLICY = Policy(dialect="oidc", require_pkce=True)
ERROR_CODES = {
    "token_missing": "invalid_request",
    "token_malformed": "invalid_grant",
    "token_invalid": "invalid_grant",
    "token_expired": "invalid_grant",
    "token_used": "invalid_grant",
    "invalid_client": "invalid_client",
}

router = APIRouter(tags=["dialect: oidc"], route_class=UnitOfWorkRoute)


# What the OpenAPI document says of these endpoints (their answers are Authlib's, as they are).
class OAuthErrorOut(BaseModel):
    error: str = Field(description="`invalid_request`, `invalid_client`, `invalid_grant`, …")
    error_description: str | None = None


class TokenOut(BaseModel):
    access_token: str
    token_type: str = Field(description="`Bearer`")
    expires_in: int
    scope: str = Field(description="What was granted (may be less than what was asked).")
    refresh_token: str | None = Field(default=None, description="Rotates on every refresh.")
    id_token: str | None = Field(default=None, description="With the `openid` scope.")


class TokenForm(BaseModel):
    grant_type: str = Field(description="`authorization_code` or `refresh_token`")
    code: str | None = None
    redirect_uri: str | None = None
    code_verifier: str | None = Field(default=None, description="PKCE (S256): required.")
    refresh_token: str | None = None
    scope: str | None = None
    client_id: str | None = Field(default=None, description="With `client_secret_post`.")
    client_secret: str | None = None


class TokenParamForm(BaseModel):
    token: str
    token_type_hint: str | None = Field(default=None, description="access_token, refresh_token")
    client_id: str | None = None
    client_secret: str | None = None


class IntrospectionOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    active: bool
    client_id: str | None = None
    scope: str | None = None
    sub: str | None = None
    username: str | None = None
    exp: int | None = None


class UserInfoOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    sub: str


def _oauth_error(description: str) -> dict[str, Any]:
    return {"description": description, "model": OAuthErrorOut}


def _form(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema()
    return {
        "requestBody": {
            "required": True,
            "content": {"application/x-www-form-urlencoded": {"schema": schema}},
        },
        "security": [{"appCredentials": []}, {}],
    }


CLIENT_ERRORS: dict[int | str, dict[str, Any]] = {
    400: _oauth_error("The request or the grant is refused (RFC 6749 §5.2)."),
    401: _oauth_error("Client authentication failed (`invalid_client`)."),
    413: _oauth_error("The body is larger than 64 KB."),
}
pages = APIRouter(route_class=PageRoute, include_in_schema=False)


def metadata(issuer: str) -> dict[str, Any]:
    """The provider's discovery document (OpenID Connect Discovery 1.0, RFC 8414)."""
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/oidc/authorize",
        "token_endpoint": f"{issuer}/oidc/token",
        "userinfo_endpoint": f"{issuer}/oidc/userinfo",
        "jwks_uri": f"{issuer}/oidc/jwks",
        "revocation_endpoint": f"{issuer}/oidc/revoke",
        "introspection_endpoint": f"{issuer}/oidc/introspect",
        "end_session_endpoint": f"{issuer}/oidc/logout",
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
        ],
        "introspection_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
        ],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "sid",
            "at_hash",
            "name",
            "preferred_username",
            "email",
            "email_verified",
            "phone_number",
            "phone_number_verified",
            "org_id",
            "org_name",
        ],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
    }


@router.get("/.well-known/openid-configuration", operation_id="oidcDiscovery")
async def discovery(platform: PlatformDep) -> JSONResponse:
    """The OpenID Provider metadata."""
    return JSONResponse(
        metadata(platform.oauth.issuer), headers={"Cache-Control": "public, max-age=300"}
    )


@router.get("/oidc/jwks", operation_id="oidcJwks")
async def jwks(db: DbSession, platform: PlatformDep) -> JSONResponse:
    """The keys ID tokens are signed with (a retired key stays until its tokens expire)."""
    return JSONResponse(await platform.oauth.jwks(db), headers={"Cache-Control": "max-age=300"})


@pages.api_route("/oidc/authorize", methods=["GET", "POST"])
async def authorize(request: Request) -> Response:
    return await oauth_http.authorize(request, policy=POLICY)


@pages.api_route("/oidc/logout", methods=["GET", "POST"])
async def logout(request: Request) -> Response:
    return await oauth_http.end_session(request, policy=POLICY)


@router.post(
    "/oidc/token",
    operation_id="oidcToken",
    response_model=TokenOut,
    responses=CLIENT_ERRORS,
    openapi_extra=_form(TokenForm),
)
async def token(request: Request) -> Response:
    """Exchange a code (with its PKCE verifier), or a refresh token (which rotates)."""
    return await oauth_http.token(request, policy=POLICY)


@router.post(
    "/oidc/revoke",
    operation_id="oidcRevoke",
    responses={200: {"description": "Revoked, or not a token of this client."}, **CLIENT_ERRORS},
    openapi_extra=_form(TokenParamForm),
)
async def revoke(request: Request) -> Response:
    """Revoke a token: the whole grant it belongs to stops working."""
    return await oauth_http.revoke(request, policy=POLICY)


@router.post(
    "/oidc/introspect",
    operation_id="oidcIntrospect",
    response_model=IntrospectionOut,
    responses=CLIENT_ERRORS,
    openapi_extra=_form(TokenParamForm),
)
async def introspect(request: Request) -> Response:
    """Whether one of the calling listing's tokens is active, and what it allows."""
    return await oauth_http.introspect(request, policy=POLICY)


BEARER_ERRORS: dict[int | str, dict[str, Any]] = {
    401: _oauth_error("No access token, or one that is unknown, expired or revoked.")
}


@router.get(
    "/oidc/userinfo",
    operation_id="oidcUserinfo",
    response_model=UserInfoOut,
    responses=BEARER_ERRORS,
)
async def userinfo(request: Request, db: DbSession, platform: PlatformDep) -> Response:
    """The signed-in user's claims, as the access token's scope allows (Bearer token)."""
    grant = await platform.oauth.bearer(db, oauth_http.bearer_token(request), dialect="oidc")
    if grant is None:
        return oauth_http.invalid_token()
    return JSONResponse(grant.claims, headers={"Cache-Control": "no-store"})


@router.post(
    "/oidc/userinfo",
    operation_id="oidcUserinfoPost",
    response_model=UserInfoOut,
    responses=BEARER_ERRORS,
)
async def userinfo_post(request: Request, db: DbSession, platform: PlatformDep) -> Response:
    """The same, by POST (OpenID Connect Core §5.3.1)."""
    return await userinfo(request, db, platform)
