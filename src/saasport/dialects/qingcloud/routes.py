"""QingCloud AppCenter's wire format (seed 001, PROTOCOLS.md §2) over the OAuth core.

SSO: "Use" sends the user to the app's URL with `?access_token=…&refresh_token=…`; an app may
instead sign users in with `GET /sso/oauth2/` and `POST /sso/token/`. `POST /sso/check_token/`
(Bearer access token) trades the access token for temporary keys, an id token and the user;
`POST /sso/refresh_token/` refreshes (rotating the refresh token) and answers the same.

Signed API calls: `GET` or `POST /iam/` (and `/api/`, AppCenter's path), parameters signed
with the temporary secret key (HmacSHA256, `saasport.sdk.qingcloud.signature`, which is what
`qingcloud-sdk` computes) and carrying the id token as `token`. A time stamp outside the window,
a replayed signature or a bad one is refused with `ret_code` 1200; an expired key or id token
answers HTTP 401, so the app refreshes and checks again; an action the listing was not granted
is refused with 1400.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from saasport.core.crypto import constant_time_equal
from saasport.deps import DbSession, PlatformDep, get_platform
from saasport.sdk.qingcloud import TIME_FORMAT, signature
from saasport.sso import oauth_http
from saasport.sso.oauth import Policy
from saasport.sso.provider import TokenGrant
from saasport.sso.signed import (
    ExpiredKey,
    LiveKey,
    find_temporary_key,
    issue_temporary_key,
    remember_once,
)
from saasport.web.errors import NO_STORE
from saasport.web.routing import PageRoute, UnitOfWorkRoute, unit_of_work
from saasport.web.uploads import BodyTooLarge, read_body

POLICY = Policy(dialect="qingcloud", access_ttl=timedelta(hours=2), public_refresh=True)
OK = 0
BAD_REQUEST = 1100  # a parameter is missing or malformed
AUTH_FAILED = 1200  # unknown key, bad signature, time stamp outside the window, replay
PERMISSION_DENIED = 1400
ERROR_CODES = {
    "token_missing": str(BAD_REQUEST),
    "token_malformed": str(AUTH_FAILED),
    "token_invalid": str(AUTH_FAILED),
    "token_expired": str(AUTH_FAILED),
    "token_used": str(AUTH_FAILED),
    "invalid_client": str(AUTH_FAILED),
}
BODY_LIMIT = 64 * 1024
API_PATHS = ("/iam/", "/api/")

router = APIRouter(tags=["dialect: qingcloud"], route_class=UnitOfWorkRoute)
pages = APIRouter(route_class=PageRoute, include_in_schema=False)


class RetOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    ret_code: int = Field(
        description="0 on success; 1100 bad request, 1200 authentication, 1400 permission"
    )
    message: str | None = None


class QingcloudUser(BaseModel):
    lang: str
    user_id: str
    user_name: str
    nick_name: str
    email: str = Field(description="Empty unless the listing was granted `email`.")
    phone: str = Field(description="Empty unless the listing was granted `phone`.")


class CheckTokenOut(BaseModel):
    ret_code: int
    access_key: str = Field(description="Temporary: signs API calls until `expiration`.")
    secret_key: str
    token: str = Field(description="The id token; send it as `token` with signed calls.")
    expiration: int = Field(description="Unix time the keys and the id token stop.")
    user: QingcloudUser


class RefreshOut(CheckTokenOut):
    access_token: str
    refresh_token: str = Field(description="The old one is spent: keep this one.")
    expires_in: int
    token_type: str


def ret(code: int, message: str, *, status: int = 200) -> JSONResponse:
    return JSONResponse(
        {"ret_code": code, "message": message}, status_code=status, headers=NO_STORE
    )


async def session_for(request: Request, grant: TokenGrant) -> dict[str, Any]:
    """check_token's answer: new temporary keys and id token for what `grant` allows."""
    platform = get_platform(request)
    db = unit_of_work(request).session
    now = platform.clock()
    id_token = await platform.oauth.id_token_for(db, grant, policy=POLICY)
    key_id, secret, expires = await issue_temporary_key(
        db,
        box=platform.box,
        oauth_token=grant.token,
        ttl=platform.oauth.id_token_ttl,
        now=now,
    )
    claims = grant.claims
    return {
        "ret_code": OK,
        "access_key": key_id,
        "secret_key": secret,
        "token": id_token,
        "expiration": int(expires.timestamp()),
        "user": {
            "lang": "zh-cn" if platform.settings.default_locale == "zh_CN" else "en",
            "user_id": claims["sub"],
            "user_name": claims.get("preferred_username", ""),
            "nick_name": claims.get("name", ""),
            "email": claims.get("email", ""),
            "phone": claims.get("phone_number", ""),
        },
    }


# SSO ------------------------------------------------------------------------------------------


@pages.get("/sso/oauth2/")
async def authorize(request: Request) -> Response:
    return await oauth_http.authorize(request, policy=POLICY)


@pages.post("/sso/oauth2/")
async def authorize_answer(request: Request) -> Response:
    return await oauth_http.authorize(request, policy=POLICY)


@router.post(
    "/sso/token/",
    operation_id="qingcloudToken",
    responses={400: {"description": "Refused (RFC 6749 §5.2)"}, 401: {"description": "Bad client"}},
)
async def token(request: Request) -> Response:
    """The tokens for a code from `/sso/oauth2/` (client_id and client_secret in the form)."""
    return await oauth_http.token(request, policy=POLICY)


@router.post(
    "/sso/check_token/",
    operation_id="qingcloudCheckToken",
    response_model=CheckTokenOut,
    responses={401: {"model": RetOut, "description": "Unknown, expired or revoked token."}},
)
async def check_token(request: Request, db: DbSession, platform: PlatformDep) -> Response:
    """Trade the access token (`Authorization: Bearer …`) for temporary keys and the user."""
    grant = await platform.oauth.bearer(db, oauth_http.bearer_token(request), dialect="qingcloud")
    if grant is None:
        return ret(AUTH_FAILED, "The access token is unknown, expired or revoked.", status=401)
    return JSONResponse(await session_for(request, grant), headers=NO_STORE)


@router.post(
    "/sso/refresh_token/",
    operation_id="qingcloudRefreshToken",
    response_model=RefreshOut,
    responses={
        400: {"description": "The refresh token is refused (`invalid_grant`)."},
        401: {"description": "Bad client credentials."},
        413: {"description": "Body over 64 KB."},
    },
)
async def refresh_token(request: Request, db: DbSession, platform: PlatformDep) -> Response:
    """New tokens for `grant_type=refresh_token&refresh_token=…` (the old one is spent), and a
    new session as check_token gives. Client credentials are optional: the rotating refresh
    token is enough, as QingCloud's apps send it."""
    try:
        plain = await oauth_http.plain_request(request)
    except BodyTooLarge:
        return oauth_http.too_large()
    form = plain.form
    if "client_id" not in form and "authorization" not in request.headers:
        app_id = await platform.oauth.client_of_refresh_token(
            db, form.get("refresh_token", ""), dialect="qingcloud"
        )
        if app_id is not None:
            plain = oauth_http.with_form(plain, client_id=app_id)
    answer = await platform.oauth.token(plain, policy=POLICY)
    if answer.status != 200:
        return oauth_http.send(answer)
    grant = await platform.oauth.bearer(db, answer.body["access_token"], dialect="qingcloud")
    assert grant is not None  # just issued
    return JSONResponse({**answer.body, **await session_for(request, grant)}, headers=NO_STORE)


# Signed API calls -------------------------------------------------------------------------------


def api_tree(scope: str) -> dict[str, Any]:
    """What `DescribeIAMApiActionsByTag` answers: the actions the listing was granted, in the
    tree seed 001 describes (`appCenter.<service>.<Action>.description`)."""

    def action(api_id: str, service: str, optional: list[str]) -> dict[str, Any]:
        return {
            "description": {
                "keys": {"required": [], "optional": optional},
                "service_name": service,
                "attributes": [],
                "type": "read",
                "id": api_id,
            }
        }

    tree: dict[str, Any] = {
        "iam": {"DescribeIAMApiActionsByTag": action("iam-0001", "iam", ["owner"])},
        "user": {"DescribeUsers": action("user-0001", "user", [])},
    }
    if "enterprise" in scope.split():
        tree["enterprise"] = {"DescribeEnterprises": action("enterprise-0001", "enterprise", [])}
    return {"appCenter": tree}


def granted_actions(scope: str) -> set[str]:
    return {name for service in api_tree(scope)["appCenter"].values() for name in service}


async def api_params(request: Request) -> list[tuple[str, str]] | None:
    pairs = list(request.query_params.multi_items())
    if request.method == "POST":
        try:
            body = await read_body(request, limit=BODY_LIMIT)
        except BodyTooLarge:
            return None
        pairs += parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
    return pairs


async def signed_call(request: Request, db: DbSession, platform: PlatformDep) -> Response:
    pairs = await api_params(request)
    if pairs is None:
        return ret(BAD_REQUEST, "The request is larger than 64 KB.")
    params = dict(pairs)
    if len(params) != len(pairs):
        return ret(BAD_REQUEST, "A parameter is given twice.")
    missing = [
        k
        for k in ("access_key_id", "action", "signature", "time_stamp", "token", "version")
        if not params.get(k)
    ]
    if missing:
        return ret(BAD_REQUEST, f"Missing parameter: {', '.join(missing)}.")
    if params.get("signature_method") != "HmacSHA256" or params["version"] != "1":
        return ret(BAD_REQUEST, "signature_method must be HmacSHA256 and version 1.")
    now = platform.clock()
    try:
        sent_at = datetime.strptime(params["time_stamp"], TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return ret(BAD_REQUEST, f"time_stamp must be {TIME_FORMAT}.")
    window = timedelta(seconds=platform.settings.signature_window_seconds)
    if abs(now - sent_at) > window:
        return ret(AUTH_FAILED, "The time_stamp is outside the allowed window.")
    key = await find_temporary_key(
        db, box=platform.box, access_key_id=params["access_key_id"], dialect="qingcloud", now=now
    )
    if isinstance(key, ExpiredKey):
        return ret(AUTH_FAILED, "The access key has expired: refresh the token.", status=401)
    if key is None:
        return ret(AUTH_FAILED, "Unknown access key, or bad signature.")
    expected = signature(key.secret, request.method, request.url.path, pairs)
    if not constant_time_equal(expected, params["signature"]):
        return ret(AUTH_FAILED, "Unknown access key, or bad signature.")
    verdict = await platform.oauth.verify_id_token(
        db, params["token"], client_id=key.listing.app_id, subject=str(key.user.id)
    )
    if verdict == "expired":
        return ret(AUTH_FAILED, "The token has expired: refresh it.", status=401)
    if verdict != "valid":
        return ret(AUTH_FAILED, "The token is not this key's.")
    if not await remember_once(db, key=f"qingcloud:{params['signature']}", window=window, now=now):
        return ret(AUTH_FAILED, "This request was already made (replay).")
    return answer(params, key)


def answer(params: dict[str, str], key: LiveKey) -> Response:
    action, scope = params["action"], key.token.scope
    if action not in granted_actions(scope):
        return ret(PERMISSION_DENIED, f"The application was not granted {action[:64]}.")
    body: dict[str, Any] = {"ret_code": OK, "action": f"{action}Response"}
    if action == "DescribeIAMApiActionsByTag":
        body["api_actions"] = json.dumps(api_tree(scope), ensure_ascii=False)
    elif action == "DescribeUsers":
        user, scopes = key.user, set(scope.split())
        body.update(
            total_count=1,
            user_set=[
                {
                    "user_id": str(user.id),
                    "user_name": user.username,
                    "nick_name": user.display_name,
                    "email": user.email if "email" in scopes and user.email else "",
                    "phone": user.phone if "phone" in scopes and user.phone else "",
                    "status": "active",
                }
            ],
        )
    elif action == "DescribeEnterprises":
        body.update(org_id=str(key.token.org_id or ""), total_count=int(bool(key.token.org_id)))
    return JSONResponse(body, headers=NO_STORE)


for _path in API_PATHS:
    for _method in ("GET", "POST"):
        router.add_api_route(
            _path,
            signed_call,
            methods=[_method],
            operation_id=f"qingcloudApi{_method.title()}{_path.strip('/').title()}",
            summary="A signed API call (HmacSHA256 with the temporary keys)",
            response_model=RetOut,
            responses={401: {"model": RetOut, "description": "The key or id token expired."}},
        )
