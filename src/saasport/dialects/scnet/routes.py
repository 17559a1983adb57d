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

from saasport.core.errors import DomainError
from saasport.deps import DbSession, PlatformDep, get_platform
from saasport.sso import flows, service
from saasport.sso.service import AppAuthFailed, AppCredentials, JumpTokenRefused

router = APIRouter(tags=["dialect: scnet"])

SUCCESS = "0"
INTERNAL_ERROR = "10001"
MISSING_PARAMETER = "10003"
INVALID_PARAMETER = "10004"
TOKEN_REFUSED = "10008"  # "insufficient permission": SCNet clients take it as "renew the token"
NO_PERMISSION = "10009"

TOKEN_CODES = {
    "token_missing": MISSING_PARAMETER,
    "token_malformed": INVALID_PARAMETER,
    "token_invalid": TOKEN_REFUSED,
    "token_expired": TOKEN_REFUSED,
    "token_used": TOKEN_REFUSED,
}
TOKEN_PATHS = (
    "/querySimpleUserInfoByToken.action",
    "/ac/openapi/v2/querySimpleUserInfoByToken.action",
)


def envelope(code: str, msg: str, data: Any = None) -> JSONResponse:
    return JSONResponse({"code": code, "msg": msg, "data": data})


async def _token_param(request: Request) -> str:
    """`token` from the query string, a form body or a JSON body, whichever the app used."""
    token = request.query_params.get("token")
    if token is None and request.method == "POST":
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("application/json"):
            try:
                body = json.loads(await request.body() or b"{}")
            except ValueError:
                body = {}
            value = body.get("token") if isinstance(body, dict) else None
            token = value if isinstance(value, str) else None
        elif content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get("token")
            token = value if isinstance(value, str) else None
    return (token or "").strip()


async def query_simple_user_info(request: Request) -> JSONResponse:
    """querySimpleUserInfoByToken.action: spend a jump token, answer who the user is."""
    platform = get_platform(request)  # no dependency injection on the hottest route
    headers = request.headers
    token = await _token_param(request)
    app_id = headers.get("appid", "")
    signature = headers.get("signature", "")
    credentials = AppCredentials(
        app_id=app_id,
        secret=headers.get("appsecret", ""),
        timestamp=headers.get("timestamp", ""),
        signature=signature,
        message=json.dumps(
            {"appId": app_id, "timestamp": headers.get("timestamp", ""), "token": token},
            separators=(",", ":"),
            ensure_ascii=False,
        )
        if signature
        else "",
    )
    try:
        if not app_id:
            raise AppAuthFailed("Send the appId header.")
        identity = await flows.redeem(platform, credentials=credentials, token=token)
    except AppAuthFailed as exc:
        return envelope(NO_PERMISSION, exc.message)
    except JumpTokenRefused as exc:
        return envelope(TOKEN_CODES[exc.code], exc.message)
    except DomainError as exc:
        return envelope(INTERNAL_ERROR, exc.message)
    data: dict[str, Any] = {
        "userId": str(identity.user_id),
        "userName": identity.username,
        "realName": identity.display_name,
        "email": identity.email or "",
        "phone": identity.phone or "",
        "token": identity.access_token,
        "tokenExpireTime": identity.access_token_expires_at.isoformat(),
    }
    if identity.org_id:
        data["orgId"] = str(identity.org_id)
        data["orgName"] = identity.org_name
    return envelope(SUCCESS, "success", data)


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
        )


@router.get(
    "/ac/openapi/v2/tokens/state",
    operation_id="scnetTokenState",
    summary="SCNet: is this access token valid",
)
async def token_state(request: Request, db: DbSession, platform: PlatformDep) -> JSONResponse:
    """Header `token`: the access token handed out with the user's info."""
    token = request.headers.get("token", "").strip()
    if not token:
        return envelope(MISSING_PARAMETER, "the token header is missing")
    if await service.check_access_token(db, token=token, now=platform.clock()) is None:
        return envelope(TOKEN_REFUSED, "token is invalid or expired")
    return envelope(SUCCESS, "success", "token is valid")
