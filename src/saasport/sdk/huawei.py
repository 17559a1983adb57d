"""The merchant side of the `huawei` dialect: KooGallery 联营 OAuth 2 sign-in.

from saasport.sdk.huawei import HuaweiClient

market = HuaweiClient(base_url="https://market.example.com", app_id="sp…", app_secret="…")
url = market.authorize_url(redirect_uri, state)          # send the user there
tokens = await market.exchange_code(code, redirect_uri)  # at the redirect URI
user = await market.userinfo(tokens["access_token"])     # Huawei's field names
tokens = await market.refresh(tokens["refresh_token"])   # keep the new refresh token
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import httpx

from saasport.sdk.client import DialectClient, _unavailable, json_answer, oauth_answer
from saasport.sdk.errors import JumpTokenError, PlatformError


class HuaweiClient(DialectClient):
    dialect = "huawei"
    token_param = "code"  # at the redirect URI

    def authorize_url(self, redirect_uri: str, state: str) -> str:
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.app_id,
                "redirect_uri": redirect_uri,
                "scope": "get_user_info",
                "state": state,
            }
        )
        return f"{self.base_url}/api/v1/oauth2/authorize?{query}"

    def logout_url(self, redirect_uri: str = "") -> str:
        params = {"client_id": self.app_id}
        if redirect_uri:
            params["redirect_uri"] = redirect_uri
        return f"{self.base_url}/api/v1/oauth2/logout?{urlencode(params)}"

    async def _token(self, form: dict[str, str]) -> dict[str, Any]:
        form = {**form, "client_id": self.app_id, "client_secret": self.app_secret}
        try:
            r = await self._async_http().post(self.base_url + "/api/v1/oauth2/token", data=form)
        except httpx.RequestError as exc:
            raise _unavailable(exc) from exc
        return oauth_answer(r)

    async def exchange_code(self, code: str, redirect_uri: str) -> dict[str, Any]:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        return await self._token(form)

    async def refresh(self, refresh_token: str) -> dict[str, Any]:
        return await self._token({"grant_type": "refresh_token", "refresh_token": refresh_token})

    async def userinfo(self, access_token: str) -> dict[str, Any]:
        try:
            r = await self._async_http().get(
                self.base_url + "/api/v1/oauth2/userinfo",
                headers={"Authorization": f"Bearer {access_token}"},
            )
        except httpx.RequestError as exc:
            raise _unavailable(exc) from exc
        body = json_answer(r)
        if r.status_code == 401:
            raise JumpTokenError(str(body.get("error")), str(body.get("error_description", "")))
        if r.status_code != 200:
            raise PlatformError(f"http_{r.status_code}", "userinfo failed.")
        return body
