"""SCNet / Sugon AC OpenAPI wire format over the core SSO services.

Every answer is the envelope `{"code": "<string>", "msg": ..., "data": ...}` with HTTP 200;
`code` "0" is success. How the calling app authenticates is saasport's choice (the real
parameters are not public), documented in docs/dialects/scnet.md:

- headers `appId` and `appSecret`; or
- headers `appId`, `timestamp` (Unix seconds) and `signature` = lowercase hex
  HMAC-SHA256(app secret, `{"appId":"<id>","timestamp":"<ts>","token":"<token>"}`),
  the same JSON-string style as SCNet's published `/api/user/v3/tokens` signature.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from saasport.core.errors import DomainError
from saasport.core.inputs import json_document
from saasport.core.messages import N_
from saasport.deps import DbSession, PlatformDep, get_platform
from saasport.sso.redemption import AppAuthFailed, AppCredentials, JumpTokenRefused
from saasport.sso.service import check_access_token
from saasport.web.errors import NO_STORE
from saasport.web.routing import UnitOfWorkRoute
from saasport.web.uploads import BodyTooLarge, read_body

router = APIRouter(tags=["dialect: scnet"], route_class=UnitOfWorkRoute)

SUCCESS = "0"
INTERNAL_ERROR = "10001"
MISSING_PARAMETER = "10003"
INVALID_PARAMETER = "10004"
TOKEN_REFUSED = "10008"  # "insufficient permission": SCNet clients take it as "renew the token"
NO_PERMISSION = "10009"

ERROR_CODES = {
    "token_missing": MISSING_PARAMETER,
    "token_malformed": INVALID_PARAMETER,
    "token_invalid": TOKEN_REFUSED,
    "token_expired": TOKEN_REFUSED,
    "token_used": TOKEN_REFUSED,
    "invalid_client": NO_PERMISSION,
}
TOKEN_PATHS = (
    "/querySimpleUserInfoByToken.action",
    "/ac/openapi/v2/querySimpleUserInfoByToken.action",
)


class ScnetUser(BaseModel):
    userId: str
    userName: str
    realName: str
    email: str = Field(description="Empty unless the listing was granted `email`.")
    emailVerified: bool
    phone: str = Field(description="Empty unless the listing was granted `phone`.")
    token: str = Field(description="Access token acting for the user (header `token`).")
    tokenExpireTime: str = Field(description="ISO 8601, UTC.")
    orgId: str | None = Field(default=None, description="Only with `enterprise` granted.")
    orgName: str | None = None


class ScnetEnvelope(BaseModel):
    code: str = Field(
        description='"0" success; 10003 missing parameter, 10004 malformed, 10008 token '
        "refused (unknown, used, expired), 10009 app not authenticated, 10001 other."
    )
    msg: str
    data: ScnetUser | None = None


class ScnetStateEnvelope(BaseModel):
    code: str
    msg: str
    data: str | None = None


def envelope(code: str, msg: str, data: Any = None) -> JSONResponse:
    return JSONResponse({"code": code, "msg": msg, "data": data}, headers=NO_STORE)


MAX_BODY = 64 * 1024  # a token, perhaps in a form of a few fields: nothing more


async def _body(request: Request) -> bytes:
    """The request body, refused (BodyTooLarge) past MAX_BODY before all of it is read."""
    return await read_body(request, limit=MAX_BODY)


async def _token_param(request: Request) -> str:
    """`token` from the query string, a form body or a JSON body, whichever the app used."""
    token = request.query_params.get("token")
    if token is None and request.method == "POST":
        content_type = request.headers.get("content-type", "")
        value: object = None
        if content_type.startswith("application/json"):
            raw = await _body(request)
            try:
                body = json_document(raw or b"{}")
            except ValueError:
                body = {}
            value = body.get("token") if isinstance(body, dict) else None
        elif content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            await _body(request)
            try:
                value = (await request.form(max_files=0, max_fields=20)).get("token")
            except HTTPException as exc:  # a malformed form: no token was sent
                if exc.status_code != 400:
                    raise

        token = value if isinstance(value, str) else None
    return (token or "").strip()


def _credentials(request: Request, token: str) -> AppCredentials:
    headers = request.headers
    app_id, signature, timestamp = (
        headers.get("appid", ""),
        headers.get("signature", ""),
        headers.get("timestamp", ""),
    )
    message = ""
    if signature:
        message = json.dumps(
            {"appId": app_id, "timestamp": timestamp, "token": token},
            separators=(",", ":"),
            ensure_ascii=False,
        )
    return AppCredentials(
        app_id=app_id,
        secret=headers.get("appsecret", ""),
        timestamp=timestamp,
        signature=signature,
        message=message,
    )


async def query_simple_user_info(request: Request) -> JSONResponse:
    """querySimpleUserInfoByToken.action: spend a jump token, answer who the user is."""
    platform = get_platform(request)  # no dependency injection on the hottest route
    try:
        token = await _token_param(request)
    except BodyTooLarge:
        return envelope(INVALID_PARAMETER, N_("The request body is too large."))
    try:
        credentials = _credentials(request, token)
        if not credentials.app_id:
            raise AppAuthFailed(N_("Send the appId header."))
        identity = await platform.jump_tokens.redeem(credentials, token, now=platform.clock())
    except (AppAuthFailed, JumpTokenRefused) as exc:
        return envelope(ERROR_CODES[exc.code], exc.message)
    except DomainError as exc:
        return envelope(INTERNAL_ERROR, exc.message)
    data: dict[str, Any] = {
        "userId": str(identity.user_id),
        "userName": identity.username,
        "realName": identity.display_name,
        "email": identity.email or "",
        "emailVerified": identity.email_verified,
        "phone": identity.phone or "",
        "token": identity.access_token,
        "tokenExpireTime": identity.access_token_expires_at.isoformat(),
    }
    if identity.org_id:
        data["orgId"] = str(identity.org_id)
        data["orgName"] = identity.org_name
    return envelope(SUCCESS, "success", data)


APP_HEADERS = [
    {"name": "appId", "in": "header", "required": True, "schema": {"type": "string"}},
    {
        "name": "appSecret",
        "in": "header",
        "schema": {"type": "string"},
        "description": "The app secret; or sign the request instead.",
    },
    {
        "name": "timestamp",
        "in": "header",
        "schema": {"type": "string", "pattern": "^[0-9]{1,12}$"},
        "description": "Unix seconds, within ±300 s (signed requests).",
    },
    {
        "name": "signature",
        "in": "header",
        "schema": {"type": "string"},
        "description": 'Hex HMAC-SHA256(secret, {"appId":…,"timestamp":…,"token":…}).',
    },
]
TOKEN_QUERY = {
    "name": "token",
    "in": "query",
    "schema": {"type": "string"},
    "description": "The jump token (or send it as a form or JSON field `token`).",
}

for path in TOKEN_PATHS:
    canonical = path == TOKEN_PATHS[0]
    for method in ("GET", "POST"):
        router.add_api_route(
            path,
            query_simple_user_info,
            methods=[method],
            operation_id="scnetQuerySimpleUserInfoByToken" + ("" if method == "GET" else "Post"),
            summary="SCNet: redeem a jump token",
            include_in_schema=canonical,
            response_model=ScnetEnvelope,
            openapi_extra={"parameters": [*APP_HEADERS, TOKEN_QUERY]},
        )


@router.get(
    "/ac/openapi/v2/tokens/state",
    operation_id="scnetTokenState",
    summary="SCNet: is this access token valid",
    response_model=ScnetStateEnvelope,
    openapi_extra={
        "parameters": [
            {
                "name": "token",
                "in": "header",
                "schema": {"type": "string"},
                "description": "The access token handed out with the user's info.",
            }
        ]
    },
)
async def token_state(request: Request, db: DbSession, platform: PlatformDep) -> JSONResponse:
    """Header `token`: the access token handed out with the user's info."""
    token = request.headers.get("token", "").strip()
    if not token:
        return envelope(MISSING_PARAMETER, N_("the token header is missing"))
    if await check_access_token(db, token=token, now=platform.clock()) is None:
        return envelope(TOKEN_REFUSED, N_("token is invalid or expired"))
    return envelope(SUCCESS, "success", "token is valid")
