"""The merchant side of the `qingcloud` dialect (QingCloud AppCenter SSO and signed API calls).

    from saasport.sdk.qingcloud import QingcloudClient

    market = QingcloudClient(base_url="https://market.example.com", app_id="sp…", app_secret="…")
    # the app's URL receives ?access_token=…&refresh_token=… (or a code at its redirect URI:
    # `await market.exchange_code(code, redirect_uri)`)
    session = await market.check_token(access_token)        # temporary keys, id token, user
    answer = await market.call(session, "DescribeUsers")     # signed with the temporary keys
    # TokenExpired (HTTP 401): refresh, then check_token again —
    tokens, session = await market.refresh(refresh_token)

`signature()` is the HmacSHA256 query signature QingCloud documents (and its `qingcloud-sdk`
computes): the platform verifies with this very function.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from saasport.sdk.client import (
    DialectClient,
    PlatformUser,
    _unavailable,
    json_answer,
    oauth_answer,
)
from saasport.sdk.errors import JumpTokenError, PlatformError

TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def string_to_sign(method: str, path: str, params: Iterable[tuple[str, str]]) -> str:
    """METHOD, path and the parameters but `signature`, sorted, names and values escaped."""
    pairs = sorted((k, v) for k, v in params if k != "signature")
    query = "&".join(f"{quote(k, safe='')}={quote(v, safe='-_~')}" for k, v in pairs)
    return f"{method.upper()}\n{path}\n{query}"


def signature(secret_key: str, method: str, path: str, params: Iterable[tuple[str, str]]) -> str:
    """base64(HMAC-SHA256(secret key, string to sign))."""
    digest = hmac.new(
        secret_key.encode(), string_to_sign(method, path, params).encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode()


def _now_stamp() -> str:
    return time.strftime(TIME_FORMAT, time.gmtime())


class TokenExpired(JumpTokenError):
    """HTTP 401 from a signed call: refresh the tokens, then check_token again."""


@dataclass(frozen=True)
class QingcloudSession:
    """What check_token gives: sign calls with these keys and send `token` with them."""

    access_key: str
    secret_key: str = field(repr=False)
    token: str = field(repr=False)  # the id token
    user: PlatformUser
    lang: str = ""


class QingcloudClient(DialectClient):
    dialect = "qingcloud"
    token_param = "access_token"  # at the app's URL, beside refresh_token

    async def _post(self, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self._async_http().post(self.base_url + path, **kwargs)
        except httpx.RequestError as exc:
            raise _unavailable(exc) from exc

    async def exchange_code(self, code: str, redirect_uri: str) -> dict[str, Any]:
        """`/sso/token/`: the tokens for an authorization code from `/sso/oauth2/`."""
        r = await self._post(
            "/sso/token/",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "client_id": self.app_id,
                "client_secret": self.app_secret,
            },
        )
        return oauth_answer(r)

    async def check_token(self, access_token: str) -> QingcloudSession:
        """`/sso/check_token/`: temporary keys, the id token and the user."""
        r = await self._post(
            "/sso/check_token/", headers={"Authorization": f"Bearer {access_token}"}
        )
        return _session(r)

    async def refresh(self, refresh_token: str) -> tuple[dict[str, Any], QingcloudSession]:
        """`/sso/refresh_token/`: new tokens (keep the new refresh token) and a new session."""
        r = await self._post(
            "/sso/refresh_token/",
            data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        )
        body = oauth_answer(r)
        return body, _session(r)

    async def call(
        self,
        session: QingcloudSession,
        action: str,
        *,
        path: str = "/iam/",
        method: str = "GET",
        **params: str,
    ) -> dict[str, Any]:
        """A signed API call; raises TokenExpired when the platform answers 401."""
        sent = {
            **params,
            "action": action,
            "access_key_id": session.access_key,
            "token": session.token,
            "signature_method": "HmacSHA256",
            "signature_version": "2",
            "version": "1",
            "time_stamp": _now_stamp(),
        }
        sent["signature"] = signature(session.secret_key, method, path, sent.items())
        http = self._async_http()
        try:
            if method.upper() == "POST":
                r = await http.post(self.base_url + path, data=sent)
            else:
                r = await http.get(self.base_url + path, params=sent)
        except httpx.RequestError as exc:
            raise _unavailable(exc) from exc
        body = json_answer(r)
        if r.status_code == 401:
            raise TokenExpired(
                str(body.get("ret_code")), str(body.get("message", "")), http_status=401
            )
        if body.get("ret_code") != 0:
            raise PlatformError(str(body.get("ret_code")), str(body.get("message", "")))
        return body


def _session(r: httpx.Response) -> QingcloudSession:
    body = json_answer(r)
    if body.get("ret_code") != 0:
        raise JumpTokenError(str(body.get("ret_code")), str(body.get("message", "")))
    user = body["user"]
    return QingcloudSession(
        access_key=str(body["access_key"]),
        secret_key=str(body["secret_key"]),
        token=str(body["token"]),
        lang=str(user.get("lang", "")),
        user=PlatformUser(
            user_id=str(user["user_id"]),
            username=str(user["user_name"]),
            display_name=str(user.get("nick_name") or user["user_name"]),
            email=user.get("email") or None,
            phone=user.get("phone") or None,
            org_id=None,
            org_name=None,
            access_token=None,
        ),
    )
